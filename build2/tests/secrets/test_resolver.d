build2/tests/secrets/test_resolver: tests/unit/secrets/test_resolver.c \
 include/floe/resources.h include/floe/defs.h include/floe/err.h \
 include/floe/util.h include/floe/secrets.h tests/unit/test.h
include/floe/resources.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/secrets.h:
tests/unit/test.h:
