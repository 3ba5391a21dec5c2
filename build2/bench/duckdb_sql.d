build2/bench/duckdb_sql: bench/duckdb_sql.c \
 third_party/node_modules/duckdb/src/duckdb/src/include/duckdb.h
third_party/node_modules/duckdb/src/duckdb/src/include/duckdb.h:
