build2/src/engine/engine.o: src/engine/engine.c \
 third_party/node_modules/duckdb/src/duckdb/src/include/duckdb.h \
 include/floe/engine.h include/floe/err.h include/floe/util.h
third_party/node_modules/duckdb/src/duckdb/src/include/duckdb.h:
include/floe/engine.h:
include/floe/err.h:
include/floe/util.h:
