build2/tests/util/test_clock: tests/unit/util/test_clock.c \
 include/floe/util.h include/floe/err.h tests/unit/test.h
include/floe/util.h:
include/floe/err.h:
tests/unit/test.h:
