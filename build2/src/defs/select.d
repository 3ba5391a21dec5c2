build2/src/defs/select.o: src/defs/select.c src/defs/defs_int.h \
 include/floe/defs.h include/floe/err.h include/floe/util.h
src/defs/defs_int.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
