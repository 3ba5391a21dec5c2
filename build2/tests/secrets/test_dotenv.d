build2/tests/secrets/test_dotenv: tests/unit/secrets/test_dotenv.c \
 include/floe/secrets.h include/floe/defs.h include/floe/err.h \
 include/floe/util.h tests/unit/test.h
include/floe/secrets.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
tests/unit/test.h:
