build2/src/util/err.o: src/util/err.c include/floe/err.h
include/floe/err.h:
