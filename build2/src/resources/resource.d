build2/src/resources/resource.o: src/resources/resource.c \
 include/floe/resources.h include/floe/defs.h include/floe/err.h \
 include/floe/util.h include/floe/secrets.h src/resources/resources_int.h
include/floe/resources.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/secrets.h:
src/resources/resources_int.h:
