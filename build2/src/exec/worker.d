build2/src/exec/worker.o: src/exec/worker.c src/exec/exec_int.h \
 include/floe/exec.h include/floe/defs.h include/floe/err.h \
 include/floe/util.h include/floe/store.h include/floe/secrets.h \
 include/floe/resources.h
src/exec/exec_int.h:
include/floe/exec.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/store.h:
include/floe/secrets.h:
include/floe/resources.h:
