/* ingest.h — built-in ingest steps: read a source, write an Iceberg table. */
#ifndef FLOE_INGEST_H
#define FLOE_INGEST_H

#include <stdio.h>
#include "floe/defs.h"

/* Runs the ingest of asset a (kind ingest) for run run_id in the current process (a step child).
 * Writes a materialization event line to events:
 *   {"type":"materialization","metadata":{"rows":N,"snapshot_id":S,"table":"ns.t"}} */
int floe_ingest_step(const floe_project *p, const floe_asset *a, const char *run_id, FILE *events, floe_err *err) FLOE_WUR;

#endif
