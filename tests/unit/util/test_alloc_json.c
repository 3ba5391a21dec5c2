/* jansson allocates through floe's wrapper: failing the first allocation (FLOE_FAIL_ALLOC_AT=1, set before
 * anything allocates) fails jansson's first value, so the allocation-failure torture reaches JSON code. */
#include <jansson.h>
#include <stdlib.h>
#include "floe/util.h"
#include "test.h"

int main(void) {
  setenv("FLOE_FAIL_ALLOC_AT", "1", 1);
  json_t *first = json_object(); /* allocation 1: refused */
  CHECK(first == NULL);
  json_t *second = json_loads("{\"a\": [1, 2]}", 0, NULL); /* later ones succeed */
  CHECK(second != NULL);
  char *text = second ? json_dumps(second, JSON_COMPACT) : NULL;
  CHECK_STR(text, "{\"a\":[1,2]}");
  floe_free(text); /* jansson's buffers are floe's: floe_free frees them */
  json_decref(second);
  json_decref(first);
  TEST_MAIN_END();
}
