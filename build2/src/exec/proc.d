build2/src/exec/proc.o: src/exec/proc.c src/exec/exec_int.h \
 include/floe/exec.h include/floe/defs.h include/floe/err.h \
 include/floe/util.h include/floe/store.h include/floe/secrets.h
src/exec/exec_int.h:
include/floe/exec.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/store.h:
include/floe/secrets.h:
