build2/src/cli/cmd_defs.o: src/cli/cmd_defs.c src/cli/cli.h \
 include/floe/defs.h include/floe/err.h include/floe/util.h \
 include/floe/ingest.h include/floe/secrets.h
src/cli/cli.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/ingest.h:
include/floe/secrets.h:
