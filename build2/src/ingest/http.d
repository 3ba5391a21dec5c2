build2/src/ingest/http.o: src/ingest/http.c src/ingest/../util/dyn.h \
 include/floe/err.h src/ingest/ingest_int.h include/floe/defs.h \
 include/floe/util.h include/floe/lake.h include/floe/engine.h \
 include/floe/secrets.h
src/ingest/../util/dyn.h:
include/floe/err.h:
src/ingest/ingest_int.h:
include/floe/defs.h:
include/floe/util.h:
include/floe/lake.h:
include/floe/engine.h:
include/floe/secrets.h:
