/* cli.h — shared plumbing of the `floe` command: the command table and argument helpers.
 * The CLI is a thin client of libfloe: each command parses its arguments, calls the library and
 * prints. Exit codes: 0 ok, 1 the work failed, 2 bad usage or bad input. */
#ifndef FLOE_CLI_H
#define FLOE_CLI_H

#include <stdbool.h>
#include "floe/defs.h"
#include "floe/err.h"

struct floe_store;
struct floe_lake;

typedef struct floe_cli {
  int argc;          /* arguments after the command words */
  char **argv;
  const char *project_opt; /* -p DIR, or NULL */
  const char *cmd_name;    /* "run list" */
  const char *usage;
  /* What a command opens through cli_load_project / cli_store / cli_lake belongs to the invocation:
   * opened once on first use, closed by cli_close after the command returns. */
  floe_project *project;
  struct floe_store *store;
  struct floe_lake *lake;
} floe_cli;

typedef int (*floe_cli_fn)(floe_cli *c);

/* Option helpers over c->argv. Flags may appear anywhere after the command words. */
bool cli_flag(floe_cli *c, const char *name);               /* --json; removes it from argv */
const char *cli_opt(floe_cli *c, const char *name);          /* --select X or --select=X; removes both */
const char *cli_opt2(floe_cli *c, const char *name, const char *alias); /* e.g. "--config", "-c" */
/* After all options are taken: the remaining positional arguments. Unknown "--x" is a usage error. */
int cli_positionals(floe_cli *c, int min, int max);
int cli_usage_error(floe_cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "floe: error: <msg>" (redacted when secrets are open) and returns the exit code for err. */
int cli_fail(const floe_err *err);
/* A whole-number option (--limit 10): *out = def when absent; a value that is not a whole number in
 * [min, max] is a usage error (returns 2). */
int cli_int_opt(floe_cli *c, const char *name, long long def, long long min, long long max, long long *out);
/* Finds and loads the project; on failure prints the error and returns 2 (or 1). */
int cli_load_project(floe_cli *c, floe_project **out);
/* The project's instance store (created on first use) and lake. Same error convention. */
int cli_store(floe_cli *c, struct floe_store **out);
int cli_lake(floe_cli *c, struct floe_lake **out);
/* Closes whatever the command opened through the three above. */
void cli_close(floe_cli *c);
bool cli_isatty_out(void);

/* Command implementations (one file per group). */
int cmd_init(floe_cli *c);
int cmd_defs_validate(floe_cli *c);
int cmd_defs_list(floe_cli *c);
int cmd_asset_materialize(floe_cli *c);
int cmd_asset_list(floe_cli *c);
int cmd_job_launch(floe_cli *c);
int cmd_job_list(floe_cli *c);
int cmd_run_list(floe_cli *c);
int cmd_run_show(floe_cli *c);
int cmd_run_logs(floe_cli *c);
int cmd_run_cancel(floe_cli *c);
int cmd_run_reexecute(floe_cli *c);
int cmd_internal_run_worker(floe_cli *c);
int cmd_internal_step(floe_cli *c);
int cmd_secrets_set(floe_cli *c);
int cmd_secrets_get(floe_cli *c);
int cmd_secrets_list(floe_cli *c);
int cmd_secrets_rm(floe_cli *c);
int cmd_secrets_keygen(floe_cli *c);
int cmd_secrets_rekey(floe_cli *c);
int cmd_secrets_doctor(floe_cli *c);
int cmd_resource_check(floe_cli *c);

int cmd_query(floe_cli *c);
int cmd_lake_tables(floe_cli *c);
int cmd_lake_describe(floe_cli *c);
int cmd_lake_snapshots(floe_cli *c);
int cmd_lake_files(floe_cli *c);
int cmd_lake_rollback(floe_cli *c);
int cmd_lake_tag(floe_cli *c);
int cmd_lake_expire(floe_cli *c);
int cmd_lake_orphans(floe_cli *c);
int cmd_lake_delete(floe_cli *c);
int cmd_lake_register(floe_cli *c);
int cmd_lake_unregister(floe_cli *c);
int cmd_daemon(floe_cli *c);
int cmd_daemon_status(floe_cli *c);
int cmd_dev(floe_cli *c);
#endif
