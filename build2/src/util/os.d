build2/src/util/os.o: src/util/os.c include/floe/util.h \
 include/floe/err.h
include/floe/util.h:
include/floe/err.h:
