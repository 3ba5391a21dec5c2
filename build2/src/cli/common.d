build2/src/cli/common.o: src/cli/common.c src/cli/cli.h \
 include/floe/defs.h include/floe/err.h include/floe/util.h \
 include/floe/lake.h include/floe/engine.h include/floe/secrets.h \
 include/floe/store.h
src/cli/cli.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/lake.h:
include/floe/engine.h:
include/floe/secrets.h:
include/floe/store.h:
