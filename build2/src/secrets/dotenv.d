build2/src/secrets/dotenv.o: src/secrets/dotenv.c include/floe/secrets.h \
 include/floe/defs.h include/floe/err.h include/floe/util.h
include/floe/secrets.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
