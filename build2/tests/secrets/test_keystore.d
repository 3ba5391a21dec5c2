build2/tests/secrets/test_keystore: tests/unit/secrets/test_keystore.c \
 include/floe/secrets.h include/floe/defs.h include/floe/err.h \
 include/floe/util.h \
 tests/unit/secrets/../../../src/secrets/secrets_int.h tests/unit/test.h
include/floe/secrets.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
tests/unit/secrets/../../../src/secrets/secrets_int.h:
tests/unit/test.h:
