build2/src/ingest/json_check.o: src/ingest/json_check.c \
 src/ingest/ingest_int.h include/floe/defs.h include/floe/err.h \
 include/floe/util.h include/floe/lake.h include/floe/engine.h \
 include/floe/secrets.h
src/ingest/ingest_int.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/lake.h:
include/floe/engine.h:
include/floe/secrets.h:
