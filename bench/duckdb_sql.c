/* duckdb_sql.c — the "DuckDB alone" peer for bench/lake_query.sh: a process that loads libduckdb (the
 * same library floe uses, the same way), opens an in-memory database, runs one SQL statement and prints
 * the result's first column — what the duckdb command-line shell does, minus the shell.
 * Usage: duckdb_sql SQL */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include "duckdb.h"

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  const char *lib = getenv("FLOE_DUCKDB_LIB");
  void *h = dlopen(lib && *lib ? lib : FLOE_DUCKDB_LIB, RTLD_LAZY | RTLD_LOCAL);
  if (!h) return 1;
#define F(n) __typeof__(&n) p_##n = (__typeof__(&n))dlsym(h, #n)
  F(duckdb_open);
  F(duckdb_connect);
  F(duckdb_query);
  F(duckdb_row_count);
  F(duckdb_value_varchar);
  F(duckdb_result_error);
  F(duckdb_free);
  duckdb_database db;
  duckdb_connection con;
  duckdb_result r;
  if (p_duckdb_open(NULL, &db) || p_duckdb_connect(db, &con)) return 1;
  if (p_duckdb_query(con, argv[1], &r)) {
    fprintf(stderr, "%s\n", p_duckdb_result_error(&r));
    return 1;
  }
  for (idx_t i = 0; i < p_duckdb_row_count(&r); i++) {
    char *v = p_duckdb_value_varchar(&r, 0, i);
    puts(v ? v : "NULL");
    p_duckdb_free(v);
  }
  return 0;
}
