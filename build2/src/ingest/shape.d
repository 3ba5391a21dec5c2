build2/src/ingest/shape.o: src/ingest/shape.c include/floe/engine.h \
 include/floe/err.h include/floe/util.h src/ingest/ingest_int.h \
 include/floe/defs.h include/floe/lake.h include/floe/secrets.h
include/floe/engine.h:
include/floe/err.h:
include/floe/util.h:
src/ingest/ingest_int.h:
include/floe/defs.h:
include/floe/lake.h:
include/floe/secrets.h:
