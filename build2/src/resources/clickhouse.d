build2/src/resources/clickhouse.o: src/resources/clickhouse.c \
 src/resources/resources_int.h include/floe/resources.h \
 include/floe/defs.h include/floe/err.h include/floe/util.h \
 include/floe/secrets.h src/resources/../util/dyn.h
src/resources/resources_int.h:
include/floe/resources.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/secrets.h:
src/resources/../util/dyn.h:
