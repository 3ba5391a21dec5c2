build2/src/util/mem.o: src/util/mem.c include/floe/util.h \
 include/floe/err.h
include/floe/util.h:
include/floe/err.h:
