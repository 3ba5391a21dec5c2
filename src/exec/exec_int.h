/* exec_int.h — private helpers shared by the run lifecycle (run.c) and the worker (worker.c). */
#ifndef FLOE_EXEC_INT_H
#define FLOE_EXEC_INT_H

#include <stdio.h>
#include "floe/exec.h"
#include "floe/secrets.h"

/* Reads a step's NDJSON events file and records its events (redacted) in the store. Collects the
 * metadata of materialization events into *metadata_json (arena string, "{}" when none). */
int floe_step_events_ingest(floe_store *s, floe_arena *a, const floe_secrets *sec, const char *run_id,
                            const char *asset_key, const char *path, const char **metadata_json, floe_err *err);

#endif
