build2/src/secrets/resolver.o: src/secrets/resolver.c \
 include/floe/secrets.h include/floe/defs.h include/floe/err.h \
 include/floe/util.h src/secrets/secrets_int.h
include/floe/secrets.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
src/secrets/secrets_int.h:
