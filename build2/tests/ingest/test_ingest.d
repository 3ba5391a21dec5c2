build2/tests/ingest/test_ingest: tests/unit/ingest/test_ingest.c \
 include/floe/defs.h include/floe/err.h include/floe/util.h \
 tests/unit/test.h tests/unit/ingest/../../../src/ingest/ingest_int.h \
 include/floe/lake.h include/floe/engine.h include/floe/secrets.h
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
tests/unit/test.h:
tests/unit/ingest/../../../src/ingest/ingest_int.h:
include/floe/lake.h:
include/floe/engine.h:
include/floe/secrets.h:
