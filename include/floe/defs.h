/* defs.h — project definitions: floe.yaml + assets/ *.yaml loaded into a validated asset graph.
 *
 * Everything a load produces lives in the project's arena and is freed by floe_project_free().
 * Files are parsed with libyaml into a floe_node tree that keeps file:line:column for every value,
 * so that any module reading its own settings later (ingest sources, resources, secrets) can still
 * report errors at the exact place in the user's file. */
#ifndef FLOE_DEFS_H
#define FLOE_DEFS_H

#include <stdbool.h>
#include <stddef.h>
#include "floe/err.h"
#include "floe/util.h"

/* ---- generic YAML tree with source positions */
typedef enum { FLOE_NODE_SCALAR, FLOE_NODE_MAP, FLOE_NODE_SEQ } floe_node_type;

typedef struct floe_node floe_node;
struct floe_node {
  floe_node_type type;
  const char *file; /* path as given to the loader (relative to the project dir when inside it) */
  int line, col;    /* 1-based */
  const char *str;  /* FLOE_NODE_SCALAR: the value */
  bool quoted;      /* scalar was quoted ('x' or "x"): never a number/bool/null */
  size_t len;       /* MAP: pairs; SEQ: items */
  const char **keys;       /* MAP keys */
  floe_node **key_nodes;   /* MAP key nodes (positions of keys) */
  floe_node **items;       /* MAP values / SEQ items */
};

/* Returns the value of key in a MAP node, or NULL. */
const floe_node *floe_node_get(const floe_node *map, const char *key);
bool floe_node_is_null(const floe_node *n);
/* The text of a non-null scalar, or NULL for anything else. */
const char *floe_node_scalar(const floe_node *n);
/* Describes n for a "found ..." message: 'text' (shortened), null, a mapping, a list. Returns out. */
const char *floe_node_describe(const floe_node *n, char *out, size_t size);

/* Parses one YAML document (text of len bytes) into a floe_node tree allocated in arena a; file is the
 * name used in positions and messages. An empty document gives *out = NULL. Aliases (*x) and multiple
 * documents are rejected with FLOE_EINPUT "file:line:col: ..."; so is nesting deeper than 64 levels. */
int floe_yaml_parse(floe_arena *a, const char *file, const char *text, size_t len, floe_node **out,
                    floe_err *err) FLOE_WUR;

/* A string value as it appears in a project file: a literal or a secret reference
 * `{secret: group.key}`. Secrets are resolved when a step runs, never at load time. */
typedef struct floe_value {
  const char *literal;      /* NULL when this is a secret reference */
  const char *secret_group; /* e.g. "clickhouse" */
  const char *secret_key;   /* e.g. "password" */
  const floe_node *node;    /* where it was written */
} floe_value;

typedef struct floe_kv {
  const char *name;
  floe_value value;
} floe_kv;

typedef struct floe_tag {
  const char *key, *value;
} floe_tag;

typedef enum { FLOE_ASSET_COMMAND, FLOE_ASSET_INGEST, FLOE_ASSET_MODEL } floe_asset_kind;
typedef enum { FLOE_BACKOFF_CONSTANT, FLOE_BACKOFF_LINEAR, FLOE_BACKOFF_EXPONENTIAL } floe_backoff;

typedef struct floe_retry {
  int max_retries;     /* 0 = no retry */
  double delay;        /* seconds before the first retry */
  floe_backoff backoff;
  double jitter;       /* 0..1: fraction of the delay added at random */
} floe_retry;

typedef struct floe_asset floe_asset;
struct floe_asset {
  const char *key; /* unique; may contain dots and slashes */
  floe_asset_kind kind;
  const char **command; /* argv (kind command), NULL-terminated */
  size_t ncommand;
  const char *cwd;      /* working directory, relative to the project dir; NULL = project dir */
  floe_kv *env;         /* extra environment for the step */
  size_t nenv;
  const char **deps;    /* upstream asset keys */
  size_t ndeps;
  const char *group;    /* "default" when absent */
  floe_tag *tags;
  size_t ntags;
  const char **owners;
  size_t nowners;
  const char *description;
  const char **resources; /* names of resources (floe.yaml `resources:`) the asset uses */
  size_t nresources;
  floe_retry retry;
  double timeout;       /* seconds; 0 = none */
  const char *table;    /* table written (ingest/model): "ns.table"; NULL for command assets */
  const floe_node *node;   /* the asset's whole mapping, for modules that read their own keys (source, mode) */
  const floe_node *source; /* kind ingest: the `source:` mapping */
  const char *mode;        /* kind ingest: append | overwrite | merge */
  /* graph, filled by the loader */
  int index;             /* position in project->assets */
  int *upstream;         /* indexes of deps */
  int *downstream;       /* indexes of direct dependents */
  size_t nupstream, ndownstream;
  /* kind ingest, more settings (NULL when absent; the ingest module validates their contents) */
  const char **unique_key;      /* merge key columns (`unique_key: [...]`; required for mode merge) */
  size_t nunique_key;
  const char *on_schema_change; /* as written */
  const floe_node *columns;     /* mapping column -> type, as written */
  const floe_node *rejects;     /* as written */
  const floe_node *partition;   /* as written */
  const floe_node *range;       /* mode replace_range: {column, start, end}, as written */
};

typedef struct floe_job {
  const char *name;
  const char *selection;
  floe_tag *tags;
  size_t ntags;
  const char *description;
  const floe_node *config_schema; /* optional: ops: <op>: config: {key: type} */
  const floe_node *node;
} floe_job;

typedef struct floe_schedule {
  const char *name, *job, *cron, *timezone;
  bool enabled;
  const floe_node *node;
} floe_schedule;

typedef struct floe_resource {
  const char *name, *type;
  floe_kv *fields;
  size_t nfields;
  const floe_node *node;
} floe_resource;

/* run_queue: tag_concurrency_limits entries (as Dagster writes them). */
typedef struct floe_tag_limit {
  const char *key;
  const char *value;  /* NULL: every run holding the key counts (whatever its value) */
  bool per_value;     /* value: {applyLimitPerUniqueValue: true}: the limit applies to each value apart */
  int limit;
  const floe_node *node;
} floe_tag_limit;

/* Automation settings of floe.yaml read by the daemon (docs/automation.md). */
typedef struct floe_run_queue_cfg {
  bool enabled;            /* run_queue: is present: launches queue, the daemon starts them */
  int max_concurrent_runs; /* default 10; -1 = no limit */
  floe_tag_limit **tag_limits;
  size_t ntag_limits;
} floe_run_queue_cfg;

typedef struct floe_run_retries_cfg {
  bool enabled;                      /* default true; false: no run is retried, whatever its tags */
  int max_retries;                   /* default 0 (tag dagster/max_retries overrides per run) */
  bool retry_on_asset_or_op_failure; /* default true: false retries only runs whose worker failed */
} floe_run_retries_cfg;

typedef struct floe_run_monitoring_cfg {
  double start_timeout;  /* start_timeout_seconds: a STARTING run older fails (default 180) */
  double max_runtime;    /* max_runtime_seconds: default for the dagster/max_runtime tag (0 = none) */
} floe_run_monitoring_cfg;

typedef struct floe_project {
  floe_arena arena;
  const char *dir;     /* absolute project directory */
  const char *name;
  const char *home;    /* absolute instance directory: $FLOE_HOME or <dir>/.floe */
  const char *db_path; /* absolute SQLite path (storage.sqlite, default <home>/floe.db) */
  const char *warehouse; /* absolute lake warehouse dir (lake.warehouse, default <home>/lake) */
  const char *lake_namespace; /* lake.namespace, default "oso" */
  const char *secrets_prefix; /* secrets.prefix, default "dagster" */
  const char *env_file;       /* secrets.env_file, absolute, default <dir>/.env */
  int max_concurrent;         /* executor.max_concurrent, default number of cores */
  floe_asset **assets;
  size_t nassets;
  floe_map by_key; /* key -> floe_asset* */
  int *topo;       /* asset indexes in dependency order (upstream first) */
  floe_job **jobs;
  size_t njobs;
  floe_schedule **schedules;
  size_t nschedules;
  floe_resource **resources;
  size_t nresources;
  const floe_node *root; /* floe.yaml */
  floe_vec warnings;     /* char* (arena) — non-fatal findings, printed by `defs validate` */
  /* settings kept as written for the modules that own them (NULL when absent) */
  const floe_node *storage_postgres; /* storage.postgres: a URL, {secret: ...} or {url: ...} */
  floe_value postgres_url;           /* the URL from storage.postgres (both members NULL when absent) */
  const floe_node *secret_sources;   /* secrets.sources */
  bool secrets_override_env;         /* secrets.override_env, default false */
  const char *secrets_keystore;      /* secrets.keystore (relative to dir), default <home>/keystore */
  const floe_node *sensors;          /* list */
  const floe_node *alerts;           /* list */
  floe_run_queue_cfg run_queue;      /* run_queue: */
  floe_run_retries_cfg run_retries;  /* run_retries: */
  floe_run_monitoring_cfg run_monitoring; /* run_monitoring: */
} floe_project;

/* ---- option tables declared by the modules that read the options, checked by the loader
 *
 * A module that reads its settings from a mapping the user writes (an ingest connector's `source:`)
 * declares its keys as a table of floe_opt; the loader checks every mapping against it when the project
 * loads, so a misspelt or mistyped key is an error at its file:line:col ("did you mean"), never ignored. */
typedef enum {
  FLOE_OPT_STRING,  /* a scalar */
  FLOE_OPT_NUMBER,  /* a number >= 0 */
  FLOE_OPT_BOOL,    /* true/false (yes/no, on/off, 1/0) */
  FLOE_OPT_VALUE,   /* a string or {secret: group.key} */
  FLOE_OPT_VALUES,  /* a mapping NAME: string or {secret: group.key} */
  FLOE_OPT_STRINGS, /* a non-empty list of strings */
  FLOE_OPT_STRMAP,  /* a mapping name: string */
  FLOE_OPT_ENUM,    /* one of enums */
  FLOE_OPT_MAP,     /* a mapping with the keys of sub */
  FLOE_OPT_ENUM_OR_MAP, /* one of enums, or a mapping with the keys of sub (e.g. pagination) */
  FLOE_OPT_COLUMNS, /* a mapping column: type (see floe_ingest_column_type) */
  FLOE_OPT_ANY,     /* anything; the module checks it */
} floe_opt_type;

typedef struct floe_opt {
  const char *name;
  floe_opt_type type;
  bool required;
  const char *const *enums;   /* NULL-terminated */
  const struct floe_opt *sub; /* FLOE_OPT_MAP / ENUM_OR_MAP: the nested keys, ended by {NULL} */
  const char *expect;         /* what "expected" says instead of the type's default text */
} floe_opt;

/* Loads and validates the project in dir (floe.yaml + assets/ *.yaml in name order).
 * On success *out is a new project the caller frees with floe_project_free.
 * On failure returns FLOE_EINPUT (or another code) with err->msg as
 *   "<file>:<line>:<col>: <key path>: <what is wrong>; expected <...>, found <...>". */
int floe_project_load(const char *dir, floe_project **out, floe_err *err) FLOE_WUR;

/* Same, from in-memory texts (for tests and the fuzzer): floe_yaml is floe.yaml, asset_files a
 * NULL-terminated array of {name, text, name, text, ..., NULL}. dir is used only to resolve paths. */
int floe_project_load_strings(const char *dir, const char *floe_yaml, const char *const *asset_files,
                              floe_project **out, floe_err *err) FLOE_WUR;

void floe_project_free(floe_project *p);

floe_asset *floe_project_asset(const floe_project *p, const char *key);
floe_job *floe_project_job(const floe_project *p, const char *name);

/* Evaluates a Dagster-style selection: `key`, `+key`, `key+`, `*key`, `key*`, `+key+`, `tag:k=v`, `tag:k`,
 * `group:g`, `kind:command`, `*` and comma-separated unions. mask must have p->nassets entries; it is
 * overwritten (true = selected). An unknown key or malformed term is FLOE_EINPUT naming the term. */
int floe_select(const floe_project *p, const char *selection, bool *mask, floe_err *err) FLOE_WUR;

/* Scaffolds a new project in dir (created if missing; refuses to overwrite an existing floe.yaml). */
int floe_project_init(const char *dir, floe_err *err) FLOE_WUR;

/* Finds the project dir: explicit (-p) if given, else the current directory or its nearest parent
 * holding floe.yaml. Result is arena-free static storage (valid until the next call). */
int floe_project_find(const char *explicit_dir, const char **dir_out, floe_err *err) FLOE_WUR;

#endif
