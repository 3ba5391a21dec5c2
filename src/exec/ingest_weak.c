/* ingest_weak.c — fallback used only when the binary is built without the ingest module. */
#include "floe/ingest.h"
__attribute__((weak)) int floe_ingest_step(const floe_project *p, const floe_asset *a, const char *run_id, FILE *events,
                                           floe_err *err) {
  (void)p, (void)run_id, (void)events;
  return floe_err_set(err, FLOE_EUNSUPPORTED, "asset '%s': ingest is not available in this build", a->key);
}
