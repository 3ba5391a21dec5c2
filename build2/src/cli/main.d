build2/src/cli/main.o: src/cli/main.c src/cli/cli.h include/floe/defs.h \
 include/floe/err.h include/floe/util.h
src/cli/cli.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
