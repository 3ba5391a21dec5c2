build2/src/exec/events.o: src/exec/events.c src/exec/exec_int.h \
 include/floe/exec.h include/floe/defs.h include/floe/err.h \
 include/floe/util.h include/floe/store.h include/floe/secrets.h
src/exec/exec_int.h:
include/floe/exec.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/store.h:
include/floe/secrets.h:
