build2/src/ingest/source.o: src/ingest/source.c include/floe/engine.h \
 include/floe/err.h include/floe/util.h include/floe/ingest.h \
 include/floe/defs.h src/ingest/ingest_int.h include/floe/lake.h \
 include/floe/secrets.h
include/floe/engine.h:
include/floe/err.h:
include/floe/util.h:
include/floe/ingest.h:
include/floe/defs.h:
src/ingest/ingest_int.h:
include/floe/lake.h:
include/floe/secrets.h:
