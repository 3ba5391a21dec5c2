/* graph.c — the asset graph: deps resolved to indexes, downstream lists, topological order and
 * cycle reporting. Everything is O(assets + edges) (the heap adds a log factor to the topo sort);
 * suggestions for unknown keys are computed only on the error path. */
#include "defs_int.h"
#include <stdio.h>
#include <string.h>

/* "assets[i]" where i is the asset's position in its own file (error path only: O(assets)). */
static void asset_path(const floe_project *p, const floe_asset *a, char *out, size_t n) {
  size_t i = 0;
  for (int k = 0; k < a->index; k++)
    if (!strcmp(p->assets[k]->node->file, a->node->file)) i++;
  snprintf(out, n, "assets[%zu]", i);
}

static int oom(floe_err *err) { return floe_err_set(err, FLOE_ENOMEM, "out of memory while building the asset graph"); }

/* ---- a binary min-heap of asset indexes: Kahn's algorithm takes the earliest-defined ready asset, so
 * the order is the definition order whenever that order already respects the deps. */
typedef struct heap {
  int *v;
  size_t n;
} heap;

static void heap_push(heap *h, int x) {
  size_t i = h->n++;
  h->v[i] = x;
  while (i && h->v[(i - 1) / 2] > h->v[i]) {
    int t = h->v[i];
    h->v[i] = h->v[(i - 1) / 2];
    h->v[(i - 1) / 2] = t;
    i = (i - 1) / 2;
  }
}

static int heap_pop(heap *h) {
  int top = h->v[0];
  h->v[0] = h->v[--h->n];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < h->n && h->v[l] < h->v[m]) m = l;
    if (r < h->n && h->v[r] < h->v[m]) m = r;
    if (m == i) break;
    int t = h->v[i];
    h->v[i] = h->v[m];
    h->v[m] = t;
    i = m;
  }
  return top;
}

/* Called when the topo sort could not place every asset: walks upstream among the unplaced assets
 * (each has at least one unplaced dep) until it meets itself, and reports that loop. */
static int report_cycle(floe_project *p, const bool *placed, floe_err *err) {
  size_t n = p->nassets;
  int *pos = floe_malloc(n * sizeof *pos), *seq = floe_malloc((n + 1) * sizeof *seq);
  int rc = 0;
  if (!pos || !seq) {
    rc = oom(err);
    goto out;
  }
  for (size_t i = 0; i < n; i++)
    pos[i] = -1;
  int v = 0;
  while (placed[v])
    v++;
  int len = 0;
  while (pos[v] < 0) {
    pos[v] = len;
    seq[len++] = v;
    const floe_asset *a = p->assets[v];
    int next = -1;
    for (size_t j = 0; j < a->nupstream && next < 0; j++)
      if (!placed[a->upstream[j]]) next = a->upstream[j];
    v = next; /* never -1: an unplaced asset has an unplaced dep */
  }
  int start = pos[v];
  floe_buf b;
  floe_buf_init(&b, 2048);
  for (int k = start; k < len; k++) {
    if (floe_buf_printf(&b, "%s -> ", p->assets[seq[k]]->key)) break;
  }
  (void)floe_buf_puts(&b, p->assets[v]->key);
  if (b.oom) {
    floe_buf_reset(&b);
    b.oom = false;
    (void)floe_buf_puts(&b, "(a long cycle)");
  }
  /* point at the dep entry of the first asset that names the second */
  const floe_asset *a = p->assets[seq[start]];
  const floe_asset *to = p->assets[start + 1 < len ? seq[start + 1] : seq[start]];
  const floe_node *deps = floe_node_get(a->node, "deps"), *at = deps ? deps : a->node;
  size_t j = 0;
  for (; j < a->ndeps; j++)
    if (!strcmp(a->deps[j], to->key)) break;
  if (deps && deps->type == FLOE_NODE_SEQ && j < deps->len) at = deps->items[j];
  char path[128];
  asset_path(p, a, path, sizeof path);
  rc = floe_err_set(err, FLOE_EINPUT,
                    "%s:%d:%d: %s.deps[%zu]: dependency cycle %s; expected deps without cycles, found a cycle ('a -> "
                    "b' reads 'a depends on b')",
                    at->file, at->line, at->col, path, j, floe_buf_str(&b));
  floe_buf_free(&b);
out:
  floe_free(pos);
  floe_free(seq);
  return rc;
}

int defs_graph_build(floe_project *p, floe_err *err) {
  size_t n = p->nassets;
  floe_arena *ar = &p->arena;
  int rc = 0;
  int *stamp = floe_calloc(n ? n : 1, sizeof *stamp), *indeg = floe_calloc(n ? n : 1, sizeof *indeg);
  bool *placed = floe_calloc(n ? n : 1, sizeof *placed);
  heap h = {floe_malloc((n ? n : 1) * sizeof(int)), 0};
  if (!stamp || !indeg || !placed || !h.v) {
    rc = oom(err);
    goto out;
  }
  /* deps -> upstream indexes (duplicates dropped), counting downstream edges */
  for (size_t i = 0; i < n; i++) {
    floe_asset *a = p->assets[i];
    a->upstream = floe_arena_alloc(ar, (a->ndeps ? a->ndeps : 1) * sizeof *a->upstream);
    if (!a->upstream) {
      rc = oom(err);
      goto out;
    }
    for (size_t j = 0; j < a->ndeps; j++) {
      floe_asset *u = floe_map_get(&p->by_key, a->deps[j]);
      if (!u) {
        const floe_node *at = floe_node_get(a->node, "deps")->items[j];
        char path[128], hint[160];
        asset_path(p, a, path, sizeof path);
        rc = floe_err_set(
            err, FLOE_EINPUT,
            "%s:%d:%d: %s.deps[%zu]: no asset '%s'; expected the key of an asset defined in the project, found '%s'%s",
            at->file, at->line, at->col, path, j, a->deps[j], a->deps[j],
            defs_hint(hint, sizeof hint, defs_suggest_asset(p, a->deps[j])));
        goto out;
      }
      if (stamp[u->index] == (int)i + 1) {
        defs_warn(p, "%s:%d:%d: asset '%s' lists dep '%s' twice", a->node->file, a->node->line, a->node->col, a->key,
                  u->key);
        continue;
      }
      stamp[u->index] = (int)i + 1;
      a->upstream[a->nupstream++] = u->index;
      u->ndownstream++;
    }
  }
  for (size_t i = 0; i < n; i++) {
    floe_asset *a = p->assets[i];
    a->downstream = floe_arena_alloc(ar, (a->ndownstream ? a->ndownstream : 1) * sizeof *a->downstream);
    if (!a->downstream) {
      rc = oom(err);
      goto out;
    }
    a->ndownstream = 0;
  }
  for (size_t i = 0; i < n; i++) {
    floe_asset *a = p->assets[i];
    for (size_t j = 0; j < a->nupstream; j++) {
      floe_asset *u = p->assets[a->upstream[j]];
      u->downstream[u->ndownstream++] = (int)i;
    }
    indeg[i] = (int)a->nupstream;
    if (!indeg[i]) heap_push(&h, (int)i);
  }
  /* Kahn */
  p->topo = floe_arena_alloc(ar, (n ? n : 1) * sizeof *p->topo);
  if (!p->topo) {
    rc = oom(err);
    goto out;
  }
  size_t done = 0;
  while (h.n) {
    int v = heap_pop(&h);
    placed[v] = true;
    p->topo[done++] = v;
    const floe_asset *a = p->assets[v];
    for (size_t j = 0; j < a->ndownstream; j++)
      if (--indeg[a->downstream[j]] == 0) heap_push(&h, a->downstream[j]);
  }
  if (done < n) rc = report_cycle(p, placed, err);
out:
  floe_free(stamp);
  floe_free(indeg);
  floe_free(placed);
  floe_free(h.v);
  return rc;
}
