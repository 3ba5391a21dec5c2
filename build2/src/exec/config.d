build2/src/exec/config.o: src/exec/config.c include/floe/exec.h \
 include/floe/defs.h include/floe/err.h include/floe/util.h \
 include/floe/store.h
include/floe/exec.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/store.h:
