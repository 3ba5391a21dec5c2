build2/src/cli/cmd_lake.o: src/cli/cmd_lake.c src/cli/cli.h \
 include/floe/defs.h include/floe/err.h include/floe/util.h \
 include/floe/engine.h include/floe/lake.h
src/cli/cli.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/engine.h:
include/floe/lake.h:
