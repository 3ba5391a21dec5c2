build2/bench/lake_commits: bench/lake_commits.c include/floe/engine.h \
 include/floe/err.h include/floe/util.h include/floe/lake.h \
 include/floe/defs.h
include/floe/engine.h:
include/floe/err.h:
include/floe/util.h:
include/floe/lake.h:
include/floe/defs.h:
