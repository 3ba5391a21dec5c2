build2/tests/util/test_alloc_json: tests/unit/util/test_alloc_json.c \
 include/floe/util.h include/floe/err.h tests/unit/test.h
include/floe/util.h:
include/floe/err.h:
tests/unit/test.h:
