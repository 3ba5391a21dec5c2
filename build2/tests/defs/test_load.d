build2/tests/defs/test_load: tests/unit/defs/test_load.c \
 include/floe/defs.h include/floe/err.h include/floe/util.h \
 tests/unit/test.h
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
tests/unit/test.h:
