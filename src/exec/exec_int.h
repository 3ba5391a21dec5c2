/* exec_int.h — private helpers shared by the run lifecycle (run.c) and the worker (worker.c). */
#ifndef FLOE_EXEC_INT_H
#define FLOE_EXEC_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "floe/exec.h"
#include "floe/secrets.h"

/* Returns an arena copy of s with every value sec resolved replaced by "********" (NULL for NULL). */
const char *floe_exec_redact(floe_arena *a, const floe_secrets *sec, const char *s);

/* Reads a step's NDJSON events file from *offset and records its events (redacted) in the store, moving
 * *offset past what it recorded. While the step runs (final false) only complete lines are taken. The final
 * pass (the step ended) takes the rest, collects the metadata of all materialization events into
 * *metadata_json (arena string, "{}" when none) and removes the file. */
int floe_step_events_ingest(floe_store *s, floe_arena *a, const floe_secrets *sec, const char *run_id,
                            const char *asset_key, const char *path, int64_t *offset, bool final,
                            const char **metadata_json, floe_err *err);

#endif
