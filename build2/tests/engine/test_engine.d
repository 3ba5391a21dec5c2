build2/tests/engine/test_engine: tests/unit/engine/test_engine.c \
 include/floe/engine.h include/floe/err.h include/floe/util.h \
 tests/unit/test.h
include/floe/engine.h:
include/floe/err.h:
include/floe/util.h:
tests/unit/test.h:
