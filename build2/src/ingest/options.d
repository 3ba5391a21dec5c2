build2/src/ingest/options.o: src/ingest/options.c include/floe/ingest.h \
 include/floe/defs.h include/floe/err.h include/floe/util.h
include/floe/ingest.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
