build2/src/lake/table.o: src/lake/table.c src/lake/lake_int.h \
 include/floe/engine.h include/floe/err.h include/floe/util.h \
 include/floe/lake.h include/floe/defs.h include/floe/store.h
src/lake/lake_int.h:
include/floe/engine.h:
include/floe/err.h:
include/floe/util.h:
include/floe/lake.h:
include/floe/defs.h:
include/floe/store.h:
