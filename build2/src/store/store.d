build2/src/store/store.o: src/store/store.c src/store/store_int.h \
 include/floe/store.h include/floe/err.h include/floe/util.h
src/store/store_int.h:
include/floe/store.h:
include/floe/err.h:
include/floe/util.h:
