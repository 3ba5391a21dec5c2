/* clock.c — the automation clock: the one "now" that schedules, sensors, the run queue and retention read.
 * Tests replace it without waiting for real time to pass: FLOE_CLOCK_FILE names a file holding the current
 * instant (an integer of microseconds since the epoch, or an ISO-8601 UTC time that floe_time_parse accepts),
 * re-read on every call, so a test moves time forward by rewriting the file; unit tests use
 * floe_clock_override(). Everything else (durations, leases, log timestamps) keeps floe_now_us(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "floe/util.h"

static int64_t (*clock_fn)(void);

void floe_clock_override(int64_t (*fn)(void)) { clock_fn = fn; }

/* Reads the fake instant from path. An unreadable or bad file is a test-setup error:
 * falling back to the real clock would silently make a test pass for the wrong reason, so it aborts. */
static int64_t clock_from_file(const char *path) {
  char text[64] = {0};
  FILE *f = fopen(path, "re");
  size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
  if (f) fclose(f);
  while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' ' || text[n - 1] == '\r')) text[--n] = 0;
  char *end = NULL;
  long long v = n > 0 ? strtoll(text, &end, 10) : 0;
  if (n > 0 && end && *end == 0) return (int64_t)v;
  int64_t us = 0;
  if (n > 0 && strchr(text, '-') && floe_time_parse(text, &us) == 0) return us;
  fprintf(stderr, "floe: FLOE_CLOCK_FILE %s: expected microseconds since the epoch or an ISO-8601 time, found \"%s\"\n",
          path, text);
  abort();
}

int64_t floe_clock_now_us(void) {
  if (clock_fn) return clock_fn();
  const char *path = getenv("FLOE_CLOCK_FILE");
  if (path && *path) return clock_from_file(path);
  return floe_now_us();
}

int floe_clock_is_fake(void) {
  const char *path = getenv("FLOE_CLOCK_FILE");
  return clock_fn != NULL || (path && *path);
}
