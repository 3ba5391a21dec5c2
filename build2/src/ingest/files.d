build2/src/ingest/files.o: src/ingest/files.c include/floe/engine.h \
 include/floe/err.h include/floe/util.h src/ingest/ingest_int.h \
 include/floe/defs.h include/floe/lake.h include/floe/secrets.h
include/floe/engine.h:
include/floe/err.h:
include/floe/util.h:
src/ingest/ingest_int.h:
include/floe/defs.h:
include/floe/lake.h:
include/floe/secrets.h:
