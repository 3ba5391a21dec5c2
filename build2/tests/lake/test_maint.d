build2/tests/lake/test_maint: tests/unit/lake/test_maint.c \
 include/floe/engine.h include/floe/err.h include/floe/util.h \
 include/floe/lake.h include/floe/defs.h tests/unit/test.h \
 tests/unit/lake/../../../src/lake/lake_int.h include/floe/store.h
include/floe/engine.h:
include/floe/err.h:
include/floe/util.h:
include/floe/lake.h:
include/floe/defs.h:
tests/unit/test.h:
tests/unit/lake/../../../src/lake/lake_int.h:
include/floe/store.h:
