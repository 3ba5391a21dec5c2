build2/src/secrets/keystore.o: src/secrets/keystore.c \
 include/floe/secrets.h include/floe/defs.h include/floe/err.h \
 include/floe/util.h src/secrets/secrets_int.h
include/floe/secrets.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
src/secrets/secrets_int.h:
