build2/tests/secrets/test_redact: tests/unit/secrets/test_redact.c \
 include/floe/secrets.h include/floe/defs.h include/floe/err.h \
 include/floe/util.h tests/unit/test.h
include/floe/secrets.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
tests/unit/test.h:
