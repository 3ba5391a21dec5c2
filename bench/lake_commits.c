/* lake_commits.c — 1,000 successive small appends to one Iceberg table through libfloe. Prints the mean
 * commit time of the first and the last 100 (fast append keeps them level: untouched manifests are
 * carried over, not rewritten) and the time to plan a scan of the table afterwards.
 * Usage: lake_commits DIR [N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "floe/engine.h"
#include "floe/lake.h"
#include "floe/util.h"

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(const double *v, int k) {
  double *c = malloc((size_t)k * sizeof *c);
  memcpy(c, v, (size_t)k * sizeof *c);
  qsort(c, (size_t)k, sizeof *c, cmp);
  double m = c[k / 2];
  free(c);
  return m;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: lake_commits DIR [N]\n");
    return 2;
  }
  int n = argc > 2 ? atoi(argv[2]) : 1000;
  floe_arena a;
  floe_arena_init(&a, 4096);
  floe_err err = {0};
  floe_lake *l;
  if (floe_lake_open(floe_path_join(&a, argv[1], "lake"), floe_path_join(&a, argv[1], "floe.db"), "bench", &l, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  double *ms = calloc((size_t)n, sizeof *ms);
  for (int i = 0; i < n; i++) {
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %d * 10 + i AS id, 'row ' || i AS name, now() AS ts FROM range(10) t(i)", i);
    int64_t t0 = floe_mono_us();
    floe_lake_commit_info info;
    if (floe_lake_write(l, "bench.events", sql, NULL, &info, &err)) {
      fprintf(stderr, "append %d: %s\n", i, err.msg);
      return 1;
    }
    ms[i] = (floe_mono_us() - t0) / 1000.0;
  }
  int k = n < 200 ? n / 2 : 100;
  double first = 0, last = 0;
  for (int i = 0; i < k; i++) first += ms[i], last += ms[n - k + i];
  first /= k, last /= k;
  int64_t t0 = floe_mono_us();
  char *files = NULL;
  if (floe_lake_files(l, "bench.events", 0, &files, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  double plan = (floe_mono_us() - t0) / 1000.0;
  if (getenv("LAKE_COMMITS_TRACE"))
    for (int i = 0; i < n; i++)
      if (ms[i] > 3 * first) fprintf(stderr, "commit %d: %.1f ms\n", i, ms[i]);
  t0 = floe_mono_us();
  floe_engine *e;
  floe_result *r;
  if (floe_lake_query_engine(l, NULL, &e, &err) ||
      floe_engine_query_readonly(e, "SELECT count(*) FROM bench.events", &r, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  double query = (floe_mono_us() - t0) / 1000.0;
  printf("appends: %d x 10 rows; rows in table: %s\n", n, floe_result_str(r, 0, 0));
  printf("mean commit, first %d: %.2f ms\n", k, first);
  printf("mean commit, last %d:  %.2f ms\n", k, last);
  printf("ratio last/first:      %.2f (target <= 1.5)\n", last / first);
  printf("medians first/last:    %.2f / %.2f ms (ratio %.2f; the mean of the last 100 includes one manifest merge)\n",
         median(ms, k), median(ms + n - k, k), median(ms + n - k, k) / median(ms, k));
  printf("plan a scan (%d data files): %.1f ms; open views + count(*): %.1f ms\n", n, plan, query);
  floe_result_free(r);
  floe_engine_close(e);
  floe_free(files);
  free(ms);
  floe_lake_close(l);
  floe_arena_free(&a);
  return 0;
}
