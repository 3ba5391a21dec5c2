build2/tests/ingest/test_types: tests/unit/ingest/test_types.c \
 include/floe/ingest.h include/floe/defs.h include/floe/err.h \
 include/floe/util.h include/floe/lake.h include/floe/engine.h \
 tests/unit/test.h
include/floe/ingest.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/lake.h:
include/floe/engine.h:
tests/unit/test.h:
