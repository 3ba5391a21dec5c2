build2/src/defs/schema.o: src/defs/schema.c src/defs/defs_int.h \
 include/floe/defs.h include/floe/err.h include/floe/util.h \
 include/floe/ingest.h
src/defs/defs_int.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/ingest.h:
