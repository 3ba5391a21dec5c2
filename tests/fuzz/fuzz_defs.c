/* fuzz_defs.c — libFuzzer target for the project loader: the input is floe.yaml, then a line `---`, then
 * one assets file. Every input must load or fail with a message; never crash, leak or loop. */
#include "floe/defs.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  const char *assets = NULL;
  char *sep = strstr(text, "\n---\n");
  if (!strncmp(text, "---\n", 4)) {
    text[0] = 0;
    assets = text + 4;
  } else if (sep) {
    sep[1] = 0;
    assets = sep + 5;
  }
  const char *files[] = {"assets/a.yaml", assets, NULL};
  floe_project *p = NULL;
  floe_err err;
  if (floe_project_load_strings("/tmp/fuzz-project", text, assets ? files : NULL, &p, &err) == 0) {
    /* exercise selection over whatever loaded */
    bool *mask = malloc(p->nassets + 1);
    if (mask) {
      for (size_t i = 0; i < p->nassets && i < 4; i++) {
        size_t n = strlen(p->assets[i]->key) + 32;
        char *sel = malloc(n);
        if (!sel) break;
        snprintf(sel, n, "+%s*,tag:k=v,group:g", p->assets[i]->key);
        if (floe_select(p, sel, mask, &err)) abort(); /* a loaded key always selects */
        free(sel);
      }
      free(mask);
    }
    floe_project_free(p);
  } else if (!err.msg[0]) {
    abort(); /* every failure carries a message */
  }
  free(text);
  return 0;
}
