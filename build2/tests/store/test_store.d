build2/tests/store/test_store: tests/unit/store/test_store.c \
 include/floe/store.h include/floe/err.h include/floe/util.h \
 tests/unit/test.h
include/floe/store.h:
include/floe/err.h:
include/floe/util.h:
tests/unit/test.h:
