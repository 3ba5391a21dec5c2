build2/src/util/dyn.o: src/util/dyn.c src/util/dyn.h include/floe/err.h
src/util/dyn.h:
include/floe/err.h:
