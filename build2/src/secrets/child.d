build2/src/secrets/child.o: src/secrets/child.c include/floe/secrets.h \
 include/floe/defs.h include/floe/err.h include/floe/util.h
include/floe/secrets.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
