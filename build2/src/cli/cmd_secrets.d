build2/src/cli/cmd_secrets.o: src/cli/cmd_secrets.c src/cli/cli.h \
 include/floe/defs.h include/floe/err.h include/floe/util.h \
 include/floe/resources.h include/floe/secrets.h
src/cli/cli.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/resources.h:
include/floe/secrets.h:
