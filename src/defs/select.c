/* select.c — Dagster-style asset selection over a loaded project, and lookups by key/name.
 *
 * A selection is a comma-separated union of terms: `*`, `key`, `+key` / `key+` (one level per +),
 * `*key` / `key*` (all levels), `tag:k=v`, `tag:k`, `group:g`, `kind:k`. Each term costs
 * O(assets + edges) at most (one breadth-first walk per direction). */
#include "defs_int.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

floe_asset *floe_project_asset(const floe_project *p, const char *key) { return floe_map_get(&p->by_key, key); }

floe_job *floe_project_job(const floe_project *p, const char *name) {
  for (size_t i = 0; i < p->njobs; i++)
    if (!strcmp(p->jobs[i]->name, name)) return p->jobs[i];
  return NULL;
}

#define TERMS "terms are key, +key, key+, *key, key*, tag:k=v, tag:k, group:g, kind:command|ingest|model, or *"

typedef struct walk {
  int *dist; /* depth at which an asset was reached in the current walk; valid when seen == gen */
  int *seen;
  int *queue;
  int gen;
} walk;

/* Marks start and everything within depth levels (depth < 0: all) up- or downstream of it. */
static void walk_from(const floe_project *p, walk *w, int start, int depth, bool up, bool *mask) {
  w->gen++;
  size_t head = 0, tail = 0;
  w->queue[tail++] = start;
  w->seen[start] = w->gen;
  w->dist[start] = 0;
  while (head < tail) {
    int v = w->queue[head++];
    mask[v] = true;
    if (depth >= 0 && w->dist[v] >= depth) continue;
    const floe_asset *a = p->assets[v];
    const int *next = up ? a->upstream : a->downstream;
    size_t nn = up ? a->nupstream : a->ndownstream;
    for (size_t j = 0; j < nn; j++) {
      int u = next[j];
      if (w->seen[u] == w->gen) continue;
      w->seen[u] = w->gen;
      w->dist[u] = w->dist[v] + 1;
      w->queue[tail++] = u;
    }
  }
}

static int term_error(floe_err *err, const char *sel, const char *fmt, const char *arg, const char *tail) {
  return floe_err_set(err, FLOE_EINPUT, fmt, sel, arg, tail);
}

/* Evaluates one trimmed term t (NUL-terminated copy) into mask. */
static int eval_term(const floe_project *p, const char *sel, char *t, walk *w, bool *mask, floe_err *err) {
  size_t n = p->nassets;
  char orig[256];
  snprintf(orig, sizeof orig, "%s", t);
  if (!strcmp(t, "*")) {
    memset(mask, 1, n);
    return 0;
  }
  char *colon = strchr(t, ':');
  if (colon) {
    *colon = 0;
    const char *arg = colon + 1;
    if (!strcmp(t, "tag")) {
      const char *eq = strchr(arg, '=');
      size_t kl = eq ? (size_t)(eq - arg) : strlen(arg);
      if (!kl) return term_error(err, sel, "selection '%s': empty tag name in 'tag:%s'%s", arg, "");
      for (size_t i = 0; i < n; i++) {
        const floe_asset *a = p->assets[i];
        for (size_t k = 0; k < a->ntags; k++) {
          const floe_tag *tg = &a->tags[k];
          if (strlen(tg->key) == kl && !strncmp(tg->key, arg, kl) && (!eq || !strcmp(tg->value, eq + 1)))
            mask[i] = true;
        }
      }
      return 0;
    }
    if (!strcmp(t, "group")) {
      if (!*arg) return term_error(err, sel, "selection '%s': empty group name in 'group:%s'%s", arg, "");
      for (size_t i = 0; i < n; i++)
        if (!strcmp(p->assets[i]->group, arg)) mask[i] = true;
      return 0;
    }
    if (!strcmp(t, "kind")) {
      static const char *const kinds[] = {"command", "ingest", "model"};
      int k = 0;
      while (k < 3 && strcmp(kinds[k], arg))
        k++;
      if (k == 3) {
        char hint[128];
        return term_error(err, sel, "selection '%s': unknown kind '%s'%s (kinds are command, ingest, model)", arg,
                          defs_hint(hint, sizeof hint, defs_suggest(arg, kinds, 3)));
      }
      for (size_t i = 0; i < n; i++)
        if ((int)p->assets[i]->kind == k) mask[i] = true;
      return 0;
    }
    static const char *const prefixes[] = {"tag", "group", "kind"};
    const char *s = defs_suggest(t, prefixes, 3);
    char hint[128];
    if (s)
      snprintf(hint, sizeof hint, " (did you mean '%s:'?)", s);
    else
      snprintf(hint, sizeof hint, " (" TERMS ")");
    return term_error(err, sel, "selection '%s': unknown term prefix '%s:'%s", t, hint);
  }
  /* [+...|*] key [+...|*] */
  int up = 0, down = 0;
  char *k = t;
  if (*k == '*') {
    up = -1;
    k++;
  } else {
    while (*k == '+')
      k++, up++;
  }
  char *e = k + strlen(k);
  if (e > k && e[-1] == '*') {
    down = -1;
    *--e = 0;
  } else {
    while (e > k && e[-1] == '+')
      *--e = 0, down++;
  }
  char bad;
  if (!defs_key_valid(k, &bad))
    return term_error(err, sel, "selection '%s': malformed term '%s'%s", orig, " (" TERMS ")");
  floe_asset *a = floe_project_asset(p, k);
  if (!a) {
    char hint[160];
    return term_error(err, sel, "selection '%s': no asset '%s'%s", k,
                      defs_hint(hint, sizeof hint, defs_suggest_asset(p, k)));
  }
  mask[a->index] = true;
  if (up) walk_from(p, w, a->index, up, true, mask);
  if (down) walk_from(p, w, a->index, down, false, mask);
  return 0;
}

int floe_select(const floe_project *p, const char *selection, bool *mask, floe_err *err) {
  size_t n = p->nassets;
  if (n) memset(mask, 0, n);
  if (!selection) return floe_err_set(err, FLOE_EINPUT, "selection is empty");
  walk w = {floe_malloc((n ? n : 1) * sizeof(int)), floe_calloc(n ? n : 1, sizeof(int)),
            floe_malloc((n ? n : 1) * sizeof(int)), 0};
  char *copy = floe_strdup(selection);
  int rc = 0;
  if (!w.dist || !w.seen || !w.queue || !copy) {
    rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    goto out;
  }
  char *s = copy;
  for (;;) {
    char *comma = strchr(s, ',');
    if (comma) *comma = 0;
    while (isspace((unsigned char)*s))
      s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
      *--e = 0;
    if (!*s) {
      rc = floe_err_set(err, FLOE_EINPUT, "selection '%s': empty term (" TERMS ")", selection);
      break;
    }
    if ((rc = eval_term(p, selection, s, &w, mask, err))) break;
    if (!comma) break;
    s = comma + 1;
  }
out:
  floe_free(copy);
  floe_free(w.dist);
  floe_free(w.seen);
  floe_free(w.queue);
  return rc;
}
