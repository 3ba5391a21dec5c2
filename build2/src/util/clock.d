build2/src/util/clock.o: src/util/clock.c include/floe/util.h \
 include/floe/err.h
include/floe/util.h:
include/floe/err.h:
