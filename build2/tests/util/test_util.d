build2/tests/util/test_util: tests/unit/util/test_util.c \
 tests/unit/test.h include/floe/util.h include/floe/err.h
tests/unit/test.h:
include/floe/util.h:
include/floe/err.h:
