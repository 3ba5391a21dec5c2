/* events.c — the step side of the event protocol: a step appends NDJSON lines to $FLOE_EVENTS,
 *   {"type":"log","level":"info","message":"..."}
 *   {"type":"materialization","metadata":{"rows":10}}
 *   {"type":"asset_check","name":"not_null","passed":true,"metadata":{...}}
 * and the worker records them in the event log while the step runs (complete lines, from where it left off)
 * and when it ends. A malformed line becomes a warning event naming the line; it never fails the step or
 * gets lost silently. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "exec_int.h"

const char *floe_exec_redact(floe_arena *a, const floe_secrets *sec, const char *s) {
  if (!s) return NULL;
  if (!sec || !floe_secrets_count(sec)) return floe_arena_strdup(a, s);
  floe_buf b;
  floe_buf_init(&b, 0);
  const char *r = floe_secrets_redact(sec, s, strlen(s), &b) ? "********" : floe_arena_strdup(a, floe_buf_str(&b));
  floe_buf_free(&b);
  return r;
}

/* jansson's parse error without the text it quotes ("invalid token near 'Sup3r'"): the line may hold a
 * secret, and a quoted fragment of one is not caught by redaction. The column says where. */
static const char *json_error_unquoted(json_error_t *je) {
  char *near = strstr(je->text, " near ");
  if (near) *near = 0;
  size_t n = strlen(je->text);
  snprintf(je->text + n, sizeof je->text - n, " (column %d)", je->column);
  return je->text;
}

int floe_step_events_ingest(floe_store *s, floe_arena *a, const floe_secrets *sec, const char *run_id,
                            const char *asset_key, const char *path, int64_t *offset, bool final,
                            const char **metadata_json, floe_err *err) {
  if (metadata_json) *metadata_json = "{}";
  FILE *f = fopen(path, "r");
  if (!f) return 0; /* the step wrote no events */
  json_t *meta = json_object();
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int lineno = 0, rc = 0;
  int64_t pos = 0;
  while (!rc && (len = getline(&line, &cap, f)) >= 0) {
    lineno++;
    int64_t start = pos;
    pos += len;
    bool complete = len > 0 && line[len - 1] == '\n';
    if (!final && !complete) break;        /* the step is still writing this line: next time */
    bool seen = start < *offset;           /* recorded by an earlier pass */
    if (!final && seen) continue;
    if (!seen) *offset = pos;
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
    if (!len) continue;
    if (seen) { /* final pass over a line already recorded: only its materialization metadata counts */
      json_t *ev = json_loadb(line, (size_t)len, 0, NULL);
      const char *type = json_string_value(json_object_get(ev, "type"));
      json_t *m = json_object_get(ev, "metadata");
      if (type && !strcmp(type, "materialization") && json_is_object(m)) json_object_update(meta, m);
      json_decref(ev);
      continue;
    }
    json_error_t je;
    json_t *ev = json_loadb(line, (size_t)len, 0, &je);
    floe_event_rec e = {.run_id = run_id, .asset_key = asset_key, .ts_us = floe_now_us()};
    const char *type = ev && json_is_object(ev) ? json_string_value(json_object_get(ev, "type")) : NULL;
    if (!type) {
      e.type = "LOG";
      e.level = "warning";
      e.message = floe_arena_printf(a, "%s:%d: ignored event line: %s", path, lineno,
                                    ev ? "expected an object with a \"type\" string" : json_error_unquoted(&je));
    } else if (!strcmp(type, "log")) {
      e.type = "LOG";
      const char *lvl = json_string_value(json_object_get(ev, "level"));
      e.level = lvl && (!strcmp(lvl, "debug") || !strcmp(lvl, "info") || !strcmp(lvl, "warning") ||
                        !strcmp(lvl, "error") || !strcmp(lvl, "critical"))
                    ? floe_arena_strdup(a, lvl)
                    : "info";
      e.message = floe_arena_strdup(a, json_string_value(json_object_get(ev, "message")));
    } else if (!strcmp(type, "materialization")) {
      e.type = "MATERIALIZATION_METADATA";
      e.level = "info";
      json_t *m = json_object_get(ev, "metadata");
      if (json_is_object(m)) json_object_update(meta, m);
      char *d = m ? json_dumps(m, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
      e.data_json = floe_arena_strdup(a, d ? d : "{}");
      free(d);
    } else if (!strcmp(type, "asset_check")) {
      e.type = "ASSET_CHECK";
      json_t *passed = json_object_get(ev, "passed");
      e.level = json_is_true(passed) ? "info" : "warning";
      const char *name = json_string_value(json_object_get(ev, "name"));
      e.message = floe_arena_printf(a, "check %s %s", name ? name : "(unnamed)", json_is_true(passed) ? "passed" : "failed");
      char *d = json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(15));
      e.data_json = floe_arena_strdup(a, d);
      free(d);
    } else {
      e.type = "LOG";
      e.level = "warning";
      e.message = floe_arena_printf(a, "%s:%d: unknown event type '%s' (expected log, materialization, asset_check)",
                                    path, lineno, type);
    }
    /* every field that carries text from the step is redacted here, once, whatever the event type */
    e.message = floe_exec_redact(a, sec, e.message);
    e.data_json = floe_exec_redact(a, sec, e.data_json);
    rc = floe_store_event_append(s, &e, err);
    json_decref(ev);
  }
  free(line);
  fclose(f);
  if (final) {
    unlink(path); /* recorded (redacted) in the event log; the raw file may hold secrets */
    char *m = json_dumps(meta, JSON_COMPACT | JSON_REAL_PRECISION(15));
    if (metadata_json) *metadata_json = floe_exec_redact(a, sec, m ? m : "{}");
    free(m);
  }
  json_decref(meta);
  return rc;
}
