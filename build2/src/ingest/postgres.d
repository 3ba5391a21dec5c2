build2/src/ingest/postgres.o: src/ingest/postgres.c \
 src/ingest/../util/dyn.h include/floe/err.h include/floe/engine.h \
 include/floe/util.h include/floe/resources.h include/floe/defs.h \
 include/floe/secrets.h src/ingest/ingest_int.h include/floe/lake.h
src/ingest/../util/dyn.h:
include/floe/err.h:
include/floe/engine.h:
include/floe/util.h:
include/floe/resources.h:
include/floe/defs.h:
include/floe/secrets.h:
src/ingest/ingest_int.h:
include/floe/lake.h:
