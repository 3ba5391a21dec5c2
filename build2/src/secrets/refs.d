build2/src/secrets/refs.o: src/secrets/refs.c include/floe/resources.h \
 include/floe/defs.h include/floe/err.h include/floe/util.h \
 include/floe/secrets.h
include/floe/resources.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/secrets.h:
