/* test_clock.c — util/clock.c: the automation clock follows FLOE_CLOCK_FILE (epoch microseconds or ISO-8601),
 * re-read on every call, and an in-process override; without either it is the wall clock. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "floe/util.h"
#include "test.h"

static int64_t fixed(void) { return 42; }

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

int main(void) {
  char path[] = "/tmp/floe-clock-unit.XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return 1;
  close(fd);
  int64_t before = floe_now_us(), now = floe_clock_now_us();
  CHECK(!floe_clock_is_fake() && now >= before && now - before < 60 * 1000000LL);
  setenv("FLOE_CLOCK_FILE", path, 1);
  write_file(path, "1700000000000000\n");
  CHECK(floe_clock_is_fake() && floe_clock_now_us() == 1700000000000000LL);
  write_file(path, "2026-03-29T01:30:00Z");
  CHECK(floe_clock_now_us() == 1774747800000000LL);
  floe_clock_override(fixed);
  CHECK(floe_clock_now_us() == 42);
  floe_clock_override(NULL);
  CHECK(floe_clock_now_us() == 1774747800000000LL);
  unsetenv("FLOE_CLOCK_FILE");
  CHECK(!floe_clock_is_fake());
  unlink(path);
  return test_failures != 0;
}
