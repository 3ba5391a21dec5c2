/* options.c — the keys every connector reads from `source:`, as tables (data, no code of the connectors):
 * the project loader (src/defs/schema.c) checks every asset's source: against them, so a key a connector
 * does not read is an error at load, not silently ignored. A connector that reads a new key adds a row
 * here and to docs/sources/<type>.md. Kept apart from the connectors so that the loader (and its fuzzer)
 * links these tables without the engine. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "floe/ingest.h"

static const char *const formats[] = {"ndjson", "csv", "parquet", NULL};
static const char *const page_types[] = {"none", "page", "offset", "cursor", "link", "next_url", NULL};

/* Every connector's rows pass through shape.c, which reads these. */
#define COMMON_OPTS                                                                                                    \
  {"type", FLOE_OPT_STRING, true, NULL, NULL, "a source type"}, {"columns", FLOE_OPT_COLUMNS, false, NULL, NULL, NULL}, \
      {"flatten", FLOE_OPT_STRMAP, false, NULL, NULL, "a mapping new_column: path.in.a.nested.column"},               \
      {"replace_where", FLOE_OPT_STRING, false, NULL, NULL, "an SQL predicate"},                                       \
      {"start", FLOE_OPT_STRING, false, NULL, NULL, NULL}, {"end", FLOE_OPT_STRING, false, NULL, NULL, NULL}

static const floe_opt csv_opts[] = {
    COMMON_OPTS,
    {"path", FLOE_OPT_STRING, true, NULL, NULL, "the path of the CSV file"},
    {"header", FLOE_OPT_BOOL, false, NULL, NULL, NULL},
    {"delimiter", FLOE_OPT_STRING, false, NULL, NULL, "the field separator"},
    {"empty_as_null", FLOE_OPT_BOOL, false, NULL, NULL, NULL},
    {"max_line_size", FLOE_OPT_NUMBER, false, NULL, NULL, "a number of bytes >= 1 (the longest row; default 2000000)"},
    {NULL},
};
static const floe_opt ndjson_opts[] = {
    COMMON_OPTS,
    {"path", FLOE_OPT_STRING, true, NULL, NULL, "the path or glob of the NDJSON files"},
    {NULL},
};
static const floe_opt parquet_opts[] = {
    COMMON_OPTS,
    {"path", FLOE_OPT_STRING, true, NULL, NULL, "the path or glob of the Parquet files"},
    {NULL},
};
static const floe_opt command_opts[] = {
    COMMON_OPTS,
    {"command", FLOE_OPT_STRINGS, true, NULL, NULL, "a list of strings (the argv to run)"},
    {"format", FLOE_OPT_ENUM, false, formats, NULL, NULL},
    {"env", FLOE_OPT_VALUES, false, NULL, NULL, NULL},
    {"cwd", FLOE_OPT_STRING, false, NULL, NULL, "a directory"},
    {NULL},
};
static const floe_opt http_retry_opts[] = {
    {"max_retries", FLOE_OPT_NUMBER, false, NULL, NULL, NULL},
    {"backoff", FLOE_OPT_NUMBER, false, NULL, NULL, "a number of seconds >= 0"},
    {"max_backoff", FLOE_OPT_NUMBER, false, NULL, NULL, "a number of seconds >= 0"},
    {NULL},
};
static const floe_opt http_page_opts[] = {
    {"type", FLOE_OPT_ENUM, false, page_types, NULL, NULL},
    {"page_param", FLOE_OPT_STRING, false, NULL, NULL, NULL},
    {"start", FLOE_OPT_NUMBER, false, NULL, NULL, NULL},
    {"size_param", FLOE_OPT_STRING, false, NULL, NULL, NULL},
    {"size", FLOE_OPT_NUMBER, false, NULL, NULL, NULL},
    {"offset_param", FLOE_OPT_STRING, false, NULL, NULL, NULL},
    {"limit_param", FLOE_OPT_STRING, false, NULL, NULL, NULL},
    {"limit", FLOE_OPT_NUMBER, false, NULL, NULL, NULL},
    {"cursor_param", FLOE_OPT_STRING, false, NULL, NULL, NULL},
    {"cursor_path", FLOE_OPT_STRING, false, NULL, NULL, "a dotted path"},
    {"next_path", FLOE_OPT_STRING, false, NULL, NULL, "a dotted path"},
    {NULL},
};
static const floe_opt http_json_opts[] = {
    COMMON_OPTS,
    {"url", FLOE_OPT_VALUE, true, NULL, NULL, NULL},
    {"params", FLOE_OPT_VALUES, false, NULL, NULL, NULL},
    {"headers", FLOE_OPT_VALUES, false, NULL, NULL, NULL},
    {"bearer_token", FLOE_OPT_VALUE, false, NULL, NULL, NULL},
    {"records", FLOE_OPT_STRING, false, NULL, NULL, "a dotted path (data.items)"},
    {"pagination", FLOE_OPT_ENUM_OR_MAP, false, page_types, http_page_opts, NULL},
    {"max_pages", FLOE_OPT_NUMBER, false, NULL, NULL, NULL},
    {"max_page_bytes", FLOE_OPT_NUMBER, false, NULL, NULL, "a number of bytes >= 0"},
    {"allow_hosts", FLOE_OPT_STRINGS, false, NULL, NULL, "a list of host names (api.example.com or host:port)"},
    {"retry", FLOE_OPT_MAP, false, NULL, http_retry_opts, NULL},
    {"rate_limit", FLOE_OPT_NUMBER, false, NULL, NULL, "requests per second (a number >= 0)"},
    {"timeout", FLOE_OPT_NUMBER, false, NULL, NULL, "a number of seconds >= 0"},
    {"serve", FLOE_OPT_STRINGS, false, NULL, NULL, "a list of strings (the argv of a local server)"},
    {NULL},
};
static const floe_opt postgres_opts[] = {
    COMMON_OPTS,
    {"url", FLOE_OPT_VALUE, true, NULL, NULL, NULL},
    {"query", FLOE_OPT_STRING, false, NULL, NULL, "an SQL query"},
    {"table", FLOE_OPT_STRING, false, NULL, NULL, "schema.table"},
    {NULL},
};

static const struct {
  const char *type;
  const floe_opt *opts;
} source_opts[] = {
    {"csv", csv_opts},         {"ndjson", ndjson_opts},     {"parquet", parquet_opts},
    {"command", command_opts}, {"http_json", http_json_opts}, {"postgres", postgres_opts},
};
const char *const floe_ingest_source_types[] = {"csv", "ndjson", "parquet", "http_json", "postgres", "command", NULL};

const floe_opt *floe_ingest_source_opts(const char *type) {
  for (size_t i = 0; type && i < sizeof source_opts / sizeof source_opts[0]; i++)
    if (!strcmp(type, source_opts[i].type)) return source_opts[i].opts;
  return NULL;
}

const char *floe_ingest_column_type(const char *t) {
  static const struct {
    const char *name, *duck;
  } map[] = {{"boolean", "BOOLEAN"},     {"bool", "BOOLEAN"},   {"int", "INTEGER"},      {"integer", "INTEGER"},
             {"long", "BIGINT"},         {"bigint", "BIGINT"},  {"float", "FLOAT"},      {"double", "DOUBLE"},
             {"string", "VARCHAR"},      {"varchar", "VARCHAR"}, {"text", "VARCHAR"},    {"date", "DATE"},
             {"timestamp", "TIMESTAMP"}, {"timestamptz", "TIMESTAMPTZ"}, {"json", "VARCHAR"}};
  if (!t) return NULL;
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (!strcasecmp(t, map[i].name)) return map[i].duck;
  int prec, scale, end = 0;
  if (!strncasecmp(t, "decimal", 7) && sscanf(t + 7, " ( %d , %d )%n", &prec, &scale, &end) == 2 && !t[7 + end] &&
      prec >= 1 && prec <= 38 && scale >= 0 && scale <= prec)
    return t;
  return NULL;
}
