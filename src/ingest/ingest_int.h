/* ingest_int.h — private parts of the ingest module: source connectors. */
#ifndef FLOE_INGEST_INT_H
#define FLOE_INGEST_INT_H

#include <stdarg.h>
#include "floe/defs.h"
#include "floe/lake.h"

/* Runs an ingest without the step protocol (used by floe_ingest_step and tests). */
int floe_ingest_run(const floe_project *p, const floe_asset *a, floe_lake_commit_info *info, floe_err *err) FLOE_WUR;

/* FLOE_EINPUT "<file>:<line>:<col>: <message>" pointing at n. */
int ingest_fail_at(floe_err *err, const floe_node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* csv.c: the DuckDB SELECT reading the asset's CSV source (*select from the arena). */
int ingest_csv_select(const floe_project *p, const floe_asset *a, floe_arena *ar, char **select, floe_err *err) FLOE_WUR;
/* Rewrites a DuckDB CSV error in err as "<file>: line N: <reason>". */
void ingest_csv_explain(const floe_project *p, const floe_asset *a, floe_err *err);

#endif
