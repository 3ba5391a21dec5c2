build2/tests/exec/test_exec: tests/unit/exec/test_exec.c \
 tests/unit/exec/../../../src/exec/exec_int.h include/floe/exec.h \
 include/floe/defs.h include/floe/err.h include/floe/util.h \
 include/floe/store.h include/floe/secrets.h tests/unit/test.h
tests/unit/exec/../../../src/exec/exec_int.h:
include/floe/exec.h:
include/floe/defs.h:
include/floe/err.h:
include/floe/util.h:
include/floe/store.h:
include/floe/secrets.h:
tests/unit/test.h:
