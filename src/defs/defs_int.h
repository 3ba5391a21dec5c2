/* defs_int.h — private helpers shared by the files of the definitions loader (src/defs/). */
#ifndef FLOE_DEFS_INT_H
#define FLOE_DEFS_INT_H

#include "floe/defs.h"

/* A loaded-but-not-finalized project: the schema pass fills p, the graph pass links it. */
int defs_schema_project(floe_project *p, const floe_node *root, floe_err *err) FLOE_WUR;
/* Validates one assets file (root may be NULL for an empty file) and appends its assets to *assets. */
int defs_schema_assets_file(floe_project *p, const char *file, const floe_node *root, floe_vec *assets,
                            floe_err *err) FLOE_WUR;
/* After all files: defaults, asset index, deps -> graph, topo order, cross references (resources,
 * job selections, schedule jobs). */
int defs_finish(floe_project *p, floe_vec *assets, floe_err *err) FLOE_WUR;
int defs_graph_build(floe_project *p, floe_err *err) FLOE_WUR;

/* Closest candidate within edit distance 2 of word, or NULL. */
const char *defs_suggest(const char *word, const char *const *cands, size_t n);
const char *defs_suggest_asset(const floe_project *p, const char *word);
/* " (did you mean 'x'?)" or "" — into buf. */
const char *defs_hint(char *buf, size_t n, const char *suggestion);
/* True when s is a non-empty asset key: [A-Za-z0-9_./-]+. On false, *bad is the first bad char. */
bool defs_key_valid(const char *s, char *bad);

/* Records a warning (arena string) on p; out-of-memory is ignored (warnings are best effort). */
void defs_warn(floe_project *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
