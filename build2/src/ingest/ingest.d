build2/src/ingest/ingest.o: src/ingest/ingest.c include/floe/ingest.h \
 include/floe/defs.h include/floe/err.h include/floe/util.h \
 include/floe/lake.h include/floe/engine.h src/ingest/ingest_int.h \
 include/floe/secrets.h
include/floe/ingest.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/lake.h:
include/floe/engine.h:
src/ingest/ingest_int.h:
include/floe/secrets.h:
