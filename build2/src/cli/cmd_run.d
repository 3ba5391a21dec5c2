build2/src/cli/cmd_run.o: src/cli/cmd_run.c src/cli/cli.h \
 include/floe/defs.h include/floe/err.h include/floe/util.h \
 include/floe/exec.h include/floe/store.h include/floe/ingest.h
src/cli/cli.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/exec.h:
include/floe/store.h:
include/floe/ingest.h:
