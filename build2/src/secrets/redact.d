build2/src/secrets/redact.o: src/secrets/redact.c include/floe/secrets.h \
 include/floe/defs.h include/floe/err.h include/floe/util.h \
 src/secrets/secrets_int.h
include/floe/secrets.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
src/secrets/secrets_int.h:
