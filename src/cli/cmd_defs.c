/* cmd_defs.c — `floe init`, `floe defs validate|list`, `floe job list`. */
#include <stdio.h>
#include "cli.h"
int cmd_init(floe_cli *c) { (void)c; fprintf(stderr, "not implemented\n"); return 1; }
int cmd_defs_validate(floe_cli *c) { floe_project *p; int rc = cli_load_project(c, &p); if (rc) return rc; floe_project_free(p); return 0; }
int cmd_defs_list(floe_cli *c) { (void)c; return 1; }
int cmd_job_list(floe_cli *c) { (void)c; return 1; }
