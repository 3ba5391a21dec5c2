build2/tests/util/test_os: tests/unit/util/test_os.c include/floe/util.h \
 include/floe/err.h tests/unit/test.h
include/floe/util.h:
include/floe/err.h:
tests/unit/test.h:
