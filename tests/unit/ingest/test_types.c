/* test_types.c — one mapping from column types to DuckDB types: what `columns:` accepts (ingest) is read
 * and written by the lake as the same DuckDB type (they disagreed: TIMESTAMPTZ vs TIMESTAMP WITH TIME ZONE). */
#include <string.h>
#include <strings.h>
#include "floe/ingest.h"
#include "floe/lake.h"
#include "test.h"

int main(void) {
  static const char *const iceberg[] = {"boolean", "int", "long", "float", "double", "string", "date",
                                        "timestamp", "timestamptz"};
  char buf[64];
  for (size_t i = 0; i < sizeof iceberg / sizeof iceberg[0]; i++) {
    const char *in = floe_ingest_column_type(iceberg[i]), *lake = floe_lake_duck_type(iceberg[i], buf, sizeof buf);
    CHECK(in != NULL);
    CHECK(in && !strcasecmp(in, lake));
  }
  CHECK(!strcmp(floe_lake_duck_type("timestamptz", buf, sizeof buf), "TIMESTAMPTZ"));
  CHECK(!strcmp(floe_lake_duck_type("decimal(10, 2)", buf, sizeof buf), "DECIMAL(10,2)"));
  CHECK(floe_ingest_column_type("decimal(10, 2)") != NULL);
  CHECK(floe_ingest_column_type("decimal(39, 2)") == NULL);
  CHECK(floe_ingest_column_type("bogus_type") == NULL);
  TEST_MAIN_END();
}
