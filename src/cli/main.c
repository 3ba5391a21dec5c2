/* main.c — entry point of `floe`: the command table, global options and dispatch.
 * The same table produces `floe --help`. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

typedef struct command {
  const char *words; /* "run list" */
  floe_cli_fn fn;
  const char *args;  /* usage after the words */
  const char *summary;
  bool hidden;
} command;

static const command commands[] = {
    {"init", cmd_init, "DIR", "scaffold a new project in DIR", false},
    {"defs validate", cmd_defs_validate, "", "load and validate the project; print warnings", false},
    {"defs list", cmd_defs_list, "[--json] [--select SEL]", "print the asset graph (in dependency order)", false},
    {"asset materialize", cmd_asset_materialize, "--select SEL [--detach]", "materialize a selection of assets now", false},
    {"asset list", cmd_asset_list, "[--json]", "assets with their last materialization and status", false},
    {"job launch", cmd_job_launch, "JOB [-c run_config.yaml] [--detach]", "run a job with run config", false},
    {"job list", cmd_job_list, "[--json]", "list the project's jobs and how many assets each selects", false},
    {"run list", cmd_run_list, "[--status S] [--job J] [--since T] [--limit N] [--json]", "list runs, newest first", false},
    {"run show", cmd_run_show, "ID [--events] [--json]", "a run's steps, durations, status, errors (and event log)", false},
    {"run logs", cmd_run_logs, "ID [--step ASSET] [--follow]", "print (or follow) a run's step logs", false},
    {"run cancel", cmd_run_cancel, "ID", "cancel a run: SIGTERM its steps, SIGKILL after a grace period", false},
    {"run reexecute", cmd_run_reexecute, "ID [--from-failure] [--detach]", "run again (only what failed or was skipped)", false},
    {"secrets set", cmd_secrets_set, "GROUP.KEY [--raw]", "store a secret in the keystore; the value is read from stdin or a prompt", false},
    {"secrets get", cmd_secrets_get, "GROUP.KEY", "print a secret from the keystore", false},
    {"secrets list", cmd_secrets_list, "", "names of the secrets in the keystore (never values)", false},
    {"secrets rm", cmd_secrets_rm, "GROUP.KEY", "remove a secret from the keystore", false},
    {"secrets keygen", cmd_secrets_keygen, "[--file PATH]", "make a new random keystore key (for FLOE_KEYSTORE_KEY)", false},
    {"secrets rekey", cmd_secrets_rekey, "", "re-encrypt the keystore at today's Argon2id cost, or under FLOE_KEYSTORE_NEW_KEY[_FILE] / FLOE_KEYSTORE_NEW_PASSPHRASE", false},
    {"secrets doctor", cmd_secrets_doctor, "[--json]", "every secret reference, where it resolves from and whether it does", false},
    {"resource check", cmd_resource_check, "NAME", "connect to a resource from floe.yaml and run SELECT 1", false},
    {"query", cmd_query, "\"SQL\" [--format table|csv|json|ndjson] [--as-of SNAPSHOT_ID|TAG|TIME]", "SQL over the lake's tables (read-only, DuckDB)", false},
    {"lake tables", cmd_lake_tables, "[--json]", "the lake's tables with row and snapshot counts", false},
    {"lake describe", cmd_lake_describe, "TABLE [--json]", "a table's schema, partitioning, refs and metadata", false},
    {"lake snapshots", cmd_lake_snapshots, "TABLE [--json]", "a table's snapshots with their summaries and refs", false},
    {"lake files", cmd_lake_files, "TABLE [--snapshot ID] [--json]", "the data files of a snapshot (default: current)", false},
    {"lake rollback", cmd_lake_rollback, "TABLE SNAPSHOT_ID", "make an earlier snapshot the current one", false},
    {"lake tag", cmd_lake_tag, "TABLE NAME [--snapshot ID] [--branch]", "create or move a tag (or branch) to a snapshot", false},
    {"lake delete", cmd_lake_delete, "TABLE --where PREDICATE", "delete rows (copy-on-write: rewrites only files holding them)", false},
    {"lake expire", cmd_lake_expire, "TABLE [--older-than TIME|AGE] [--retain-last N]", "expire old snapshots and delete the files only they used", false},
    {"lake register", cmd_lake_register, "TABLE METADATA_LOCATION", "add an existing Iceberg table to the catalog (no copy), after checking what can be read", false},
    {"lake unregister", cmd_lake_unregister, "TABLE", "remove a table from the catalog, leaving its files", false},
    {"lake orphans", cmd_lake_orphans, "[--delete] [--min-age SECONDS]", "files no table references (killed or failed writes), also in directories of no table", false},
    {"daemon status", cmd_daemon_status, "[--json]", "the daemon's pid and host, and each component's last heartbeat (exit 1 when none runs)", false},
    {"daemon", cmd_daemon, "", "run the automation daemon (run queue, run monitor) in the foreground; SIGTERM stops it", false},
    {"dev", cmd_dev, "", "local development: runs the daemon in the foreground (the web server is not built yet)", false},
    {"__run-worker", cmd_internal_run_worker, "RUN_ID", "internal: execute a run", true},
    {"__step", cmd_internal_step, "RUN_ID ASSET", "internal: execute one built-in step", true},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* Whether command k belongs to group (its first word), or every command when group is NULL. */
static bool in_group(size_t k, const char *group) {
  if (!group) return true;
  size_t n = strlen(group);
  return !strncmp(commands[k].words, group, n) && commands[k].words[n] == ' ';
}

static void print_help(FILE *f, const char *group) {
  if (group) fprintf(f, "usage: floe [-p PROJECT_DIR] %s COMMAND [ARGS]\n\ncommands:\n", group);
  else fprintf(f, "usage: floe [-p PROJECT_DIR] COMMAND [ARGS]\n\ncommands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++) {
    if (commands[i].hidden || !in_group(i, group)) continue;
    char head[128];
    snprintf(head, sizeof head, "%s %s", commands[i].words, commands[i].args);
    fprintf(f, "  floe %-58s %s\n", head, commands[i].summary);
  }
  fprintf(f, "\nexit codes: 0 success, 1 the work failed, 2 bad usage or bad input\n");
}

/* `floe GROUP` with no (or an unknown) command, or `floe GROUP --help`: the group's commands. Returns -1
 * when word names no group. */
static int group_help(int argc, char **argv) {
  bool group = false;
  for (size_t k = 0; k < NCOMMANDS && !group; k++) group = !commands[k].hidden && in_group(k, argv[0]);
  if (!group) return -1;
  if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
    print_help(stdout, argv[0]);
    return 0;
  }
  if (argc > 1) {
    const char *subs[NCOMMANDS];
    size_t n = 0, glen = strlen(argv[0]) + 1;
    for (size_t k = 0; k < NCOMMANDS; k++)
      if (!commands[k].hidden && in_group(k, argv[0])) subs[n++] = commands[k].words + glen;
    const char *best = NULL;
    int bestd = 3;
    for (size_t k = 0; k < n; k++) {
      int d = floe_edit_distance(argv[1], subs[k], 2);
      if (d < bestd) bestd = d, best = subs[k];
    }
    fprintf(stderr, "floe: error: unknown command '%s %s'", argv[0], argv[1]);
    if (best) fprintf(stderr, " (did you mean '%s %s'?)", argv[0], best);
    fprintf(stderr, "\n");
  } else {
    fprintf(stderr, "floe: error: '%s' needs a command\n", argv[0]);
  }
  print_help(stderr, argv[0]);
  return 2;
}

/* The CLI reference (docs/reference/cli.md) is this output; tests/e2e/docs_cli.sh keeps them equal. */
static void print_markdown(FILE *f) {
  fprintf(f, "# CLI reference\n\n<!-- generated by `floe --help-markdown`; do not edit by hand -->\n\n");
  fprintf(f, "`floe [-p PROJECT_DIR] COMMAND [ARGS]` — the project is `-p DIR`, else the current directory or its\n"
             "nearest parent holding `floe.yaml`.\n\n");
  fprintf(f, "Exit codes: 0 success, 1 the work failed (a run failed), 2 bad usage or bad input.\n\n");
  fprintf(f, "| command | what it does |\n| --- | --- |\n");
  for (size_t i = 0; i < NCOMMANDS; i++) {
    if (commands[i].hidden) continue;
    fprintf(f, "| `floe %s%s%s` | %s |\n", commands[i].words, commands[i].args[0] ? " " : "", commands[i].args,
            commands[i].summary);
  }
}

/* Number of words of `words` matched by argv, or 0. */
static int match_words(const char *words, int argc, char **argv) {
  char buf[64];
  snprintf(buf, sizeof buf, "%s", words);
  int n = 0;
  for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
    if (n >= argc || strcmp(argv[n], w) != 0) return 0;
    n++;
  }
  return n;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  floe_cli c = {0};
  int i = 1;
  while (i < argc && argv[i][0] == '-') {
    if ((!strcmp(argv[i], "-p") || !strcmp(argv[i], "--project")) && i + 1 < argc) {
      c.project_opt = argv[i + 1];
      i += 2;
    } else if (!strncmp(argv[i], "--project=", 10)) {
      c.project_opt = argv[i] + 10;
      i++;
    } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      print_help(stdout, NULL);
      return 0;
    } else if (!strcmp(argv[i], "--help-markdown")) {
      print_markdown(stdout);
      return 0;
    } else if (!strcmp(argv[i], "--version")) {
      printf("floe 0.1.0\n");
      return 0;
    } else {
      fprintf(stderr, "floe: error: unknown option '%s'\n", argv[i]);
      print_help(stderr, NULL);
      return 2;
    }
  }
  if (i >= argc) {
    print_help(stderr, NULL);
    return 2;
  }
  for (size_t k = 0; k < NCOMMANDS; k++) {
    int n = match_words(commands[k].words, argc - i, argv + i);
    if (!n) continue;
    c.argc = argc - i - n;
    c.argv = argv + i + n;
    c.cmd_name = commands[k].words;
    c.usage = commands[k].args;
    for (int j = 0; j < c.argc; j++) {
      if (!strcmp(c.argv[j], "-h") || !strcmp(c.argv[j], "--help")) {
        printf("usage: floe %s %s\n  %s\n", commands[k].words, commands[k].args, commands[k].summary);
        return 0;
      }
    }
    /* Everything floe creates — the instance, the lake, step logs, files other libraries write for it — is
     * private to its user (docs/security.md); `init` writes the project's own files, which are not. */
    if (commands[k].fn != cmd_init) floe_umask_private();
    int rc = commands[k].fn(&c);
    cli_close(&c);
    fflush(stdout);
    return rc;
  }
  int grc = group_help(argc - i, argv + i);
  if (grc >= 0) return grc;
  fprintf(stderr, "floe: error: unknown command '%s'", argv[i]);
  if (i + 1 < argc) fprintf(stderr, " '%s'", argv[i + 1]);
  fprintf(stderr, "\n");
  print_help(stderr, NULL);
  return 2;
}
