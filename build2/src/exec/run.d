build2/src/exec/run.o: src/exec/run.c include/floe/exec.h \
 include/floe/defs.h include/floe/err.h include/floe/util.h \
 include/floe/store.h src/exec/exec_int.h include/floe/secrets.h
include/floe/exec.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/store.h:
src/exec/exec_int.h:
include/floe/secrets.h:
