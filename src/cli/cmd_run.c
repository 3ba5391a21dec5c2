/* cmd_run.c — `floe asset materialize|list`, `floe job launch`, `floe run ...`. */
#include <stdio.h>
#include "cli.h"
#define STUB(n) int n(floe_cli *c) { (void)c; fprintf(stderr, "not implemented\n"); return 1; }
STUB(cmd_asset_materialize) STUB(cmd_asset_list) STUB(cmd_job_launch) STUB(cmd_run_list) STUB(cmd_run_show)
STUB(cmd_run_logs) STUB(cmd_run_cancel) STUB(cmd_run_reexecute) STUB(cmd_internal_run_worker) STUB(cmd_internal_step)
