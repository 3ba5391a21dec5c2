/* launch_latency.c — time from starting `floe asset materialize` of one asset to its step process starting.
 * usage: launch_latency FLOE PROJECT_DIR STAMP_FILE RUNS
 * The asset's command is `stamp STAMP_FILE`, which writes CLOCK_REALTIME in ns as its first act.
 * As a peer, the same stamp program started directly (posix_spawn) gives the bare process-start cost. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double run_once(char **argv, const char *stamp) {
  unlink(stamp);
  long long t0 = now_ns();
  pid_t pid;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc) return -1;
  int st;
  waitpid(pid, &st, 0);
  FILE *f = fopen(stamp, "r");
  long long t1 = 0;
  if (!f || fscanf(f, "%lld", &t1) != 1) t1 = 0;
  if (f) fclose(f);
  return t1 ? (t1 - t0) / 1e6 : -1;
}

int main(int argc, char **argv) {
  if (argc == 2) { /* stamp mode */
    long long t = now_ns();
    FILE *f = fopen(argv[1], "w");
    if (!f) return 1;
    fprintf(f, "%lld\n", t);
    return fclose(f) != 0;
  }
  if (argc != 5) {
    fprintf(stderr, "usage: %s FLOE PROJECT_DIR STAMP_FILE RUNS\n", argv[0]);
    return 2;
  }
  int n = atoi(argv[4]);
  double *lat = calloc((size_t)n, sizeof *lat), *base = calloc((size_t)n, sizeof *base);
  char *fargv[] = {argv[1], "-p", argv[2], "asset", "materialize", "--select", "stamp", NULL};
  char self[4096];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  self[len > 0 ? len : 0] = 0;
  char *bargv[] = {self, argv[3], NULL};
  for (int i = 0; i < n; i++) {
    lat[i] = run_once(fargv, argv[3]);
    base[i] = run_once(bargv, argv[3]);
    if (lat[i] < 0 || base[i] < 0) {
      fprintf(stderr, "run %d failed\n", i);
      return 1;
    }
  }
  qsort(lat, (size_t)n, sizeof *lat, cmp);
  qsort(base, (size_t)n, sizeof *base, cmp);
  int p95 = (int)(n * 0.95);
  if (p95 >= n) p95 = n - 1;
  printf("launch latency over %d runs: median %.2f ms, p95 %.2f ms (target: median < 20 ms)\n", n, lat[n / 2], lat[p95]);
  printf("  peer: bare process start median %.2f ms, p95 %.2f ms; floe/bare = %.1fx\n", base[n / 2], base[p95],
         lat[n / 2] / base[n / 2]);
  free(lat);
  free(base);
  return 0;
}
