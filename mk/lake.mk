# lake.mk — the lake (Iceberg), the engine (DuckDB, loaded with dlopen) and ingest.
# duckdb.h comes from npm duckdb (third_party/, installed by scripts/bootstrap.sh); libduckdb.so is not
# linked: src/engine/engine.c dlopen()s it on first use from the path baked in here (env FLOE_DUCKDB_LIB
# overrides it at run time).
# mk/*.mk are read before the Makefile's `all:`: keep `all` the default goal despite the rules below.
.DEFAULT_GOAL := all

DUCKDB_INC := third_party/node_modules/duckdb/src/duckdb/src/include
DUCKDB_LIB := $(CURDIR)/third_party/node_modules/@duckdb/node-bindings-linux-x64/libduckdb.so
$(BUILD)/src/engine/%.o: CFLAGS += -I$(DUCKDB_INC) -DFLOE_DUCKDB_LIB='"$(DUCKDB_LIB)"'

# bench/lake_commits: 1,000 small appends through libfloe (bench/lake_commits.sh runs it).
EXTRA_BINS += $(BUILD)/bench/lake_commits
# (LIB_OBJ is defined after mk/*.mk are read: depend on the floe binary, which depends on it)
$(BUILD)/bench/lake_commits: bench/lake_commits.c $(BUILD)/floe
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_OBJ) $(LDLIBS)

# bench/duckdb_sql: the DuckDB-alone peer of bench/lake_query.sh.
EXTRA_BINS += $(BUILD)/bench/duckdb_sql
$(BUILD)/bench/duckdb_sql: bench/duckdb_sql.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(DUCKDB_INC) -DFLOE_DUCKDB_LIB='"$(DUCKDB_LIB)"' $(LDFLAGS) -o $@ $< -ldl
