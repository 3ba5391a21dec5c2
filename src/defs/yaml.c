/* yaml.c — libyaml events -> floe_node tree with file:line:column on every node.
 *
 * Built on the event API rather than yaml_parser_load so that depth and size stay bounded for everything
 * that walks the tree afterwards. Anchors and aliases (&defaults / *defaults) and merge keys
 * (`<<: *defaults`) work as in YAML 1.1: an alias shares the anchored node (its positions are the
 * anchor's), an alias to an unfinished node (recursion) is an error, and every node counts with the size
 * it expands to, so nested aliases cannot blow up ("billion laughs": refused past MAX_EXPANDED nodes). */
#include "defs_int.h"
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 64
#define MAX_EXPANDED 1000000 /* nodes a document may expand to through aliases */

typedef struct frame {
  floe_node *n;
  floe_vec kids;      /* SEQ: items; MAP: key, value, key, value ... */
  const char *anchor; /* &name on this collection, registered when it closes */
  size_t size;        /* nodes this collection expands to so far, itself included */
} frame;

/* What an anchor names: the node and the size it expands to. */
typedef struct anchored {
  floe_node *n;
  size_t size;
} anchored;

const floe_node *floe_node_get(const floe_node *map, const char *key) {
  if (!map || map->type != FLOE_NODE_MAP) return NULL;
  for (size_t i = 0; i < map->len; i++)
    if (!strcmp(map->keys[i], key)) return map->items[i];
  return NULL;
}

bool floe_node_is_null(const floe_node *n) {
  if (!n) return true;
  if (n->type != FLOE_NODE_SCALAR || n->quoted) return false;
  const char *s = n->str;
  return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

const char *floe_node_scalar(const floe_node *n) {
  if (!n || n->type != FLOE_NODE_SCALAR || floe_node_is_null(n)) return NULL;
  return n->str;
}

const char *floe_node_describe(const floe_node *n, char *out, size_t size) {
  if (floe_node_is_null(n))
    snprintf(out, size, "null");
  else if (n->type == FLOE_NODE_MAP)
    snprintf(out, size, "a mapping");
  else if (n->type == FLOE_NODE_SEQ)
    snprintf(out, size, "a list");
  else if (strlen(n->str) > 60)
    snprintf(out, size, "'%.57s...'", n->str);
  else
    snprintf(out, size, "'%s'", n->str);
  return out;
}

static floe_node *new_node(floe_arena *a, floe_node_type t, const char *file, yaml_mark_t m) {
  floe_node *n = floe_arena_alloc(a, sizeof *n);
  if (!n) return NULL;
  n->type = t;
  n->file = file;
  n->line = (int)m.line + 1;
  n->col = (int)m.column + 1;
  return n;
}

/* Line and column of byte offset off (reader errors carry only an offset). */
static void offset_pos(const char *text, size_t len, size_t off, int *line, int *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < off && i < len; i++) {
    if (text[i] == '\n') {
      ++*line;
      *col = 1;
    } else {
      ++*col;
    }
  }
}

static int syntax_error(yaml_parser_t *ps, const char *file, const char *text, size_t len, floe_err *err) {
  int line, col;
  if (ps->error == YAML_READER_ERROR) {
    offset_pos(text, len, ps->problem_offset, &line, &col);
  } else {
    line = (int)ps->problem_mark.line + 1;
    col = (int)ps->problem_mark.column + 1;
  }
  const char *problem = ps->problem ? ps->problem : "invalid YAML";
  if (ps->context)
    return floe_err_set(err, FLOE_EINPUT, "%s:%d:%d: %s %s (line %d)", file, line, col, problem, ps->context,
                        (int)ps->context_mark.line + 1);
  return floe_err_set(err, FLOE_EINPUT, "%s:%d:%d: %s", file, line, col, problem);
}

static bool is_merge_key(const floe_node *k) { return !k->quoted && !strcmp(k->str, "<<"); }

/* `<<: MAP` or `<<: [MAP, ...]` in the mapping f: appends the merged pairs whose keys the mapping does not
 * set itself (nor an earlier merged mapping), as YAML's merge key does. */
static int merge_into(frame *f, floe_map *present, const floe_node *key, const floe_node *v, floe_err *err) {
  const floe_node *one[1] = {v};
  const floe_node *const *maps = v->type == FLOE_NODE_SEQ ? (const floe_node *const *)v->items : one;
  size_t nmaps = v->type == FLOE_NODE_SEQ ? v->len : 1;
  for (size_t m = 0; m < nmaps; m++) {
    const floe_node *src = maps[m];
    if (src->type != FLOE_NODE_MAP) {
      char what[80];
      return floe_err_set(err, FLOE_EINPUT,
                          "%s:%d:%d: merge key '<<': expected a mapping or a list of mappings (e.g. <<: *defaults), "
                          "found %s",
                          key->file, key->line, key->col, floe_node_describe(src, what, sizeof what));
    }
    for (size_t i = 0; i < src->len; i++) {
      if (floe_map_has(present, src->keys[i])) continue;
      if (floe_map_put(present, src->keys[i], src->key_nodes[i]) || floe_vec_push(&f->kids, src->key_nodes[i]) ||
          floe_vec_push(&f->kids, src->items[i]))
        return floe_err_set(err, FLOE_ENOMEM, "out of memory");
    }
  }
  return 0;
}

/* Moves the collected children of f into arena arrays of f->n; checks duplicate keys of a mapping and
 * applies its merge keys. */
static int close_frame(floe_arena *a, frame *f, floe_err *err) {
  floe_node *n = f->n;
  if (n->type == FLOE_NODE_MAP) {
    /* merge keys: the mapping's own pairs first (they win), then each merged one in order */
    floe_vec merges = {0};
    size_t w = 0;
    int rc = 0;
    for (size_t r = 0; r + 1 < f->kids.len && !rc; r += 2) {
      floe_node *k = f->kids.items[r];
      if (is_merge_key(k)) {
        if (floe_vec_push(&merges, k) || floe_vec_push(&merges, f->kids.items[r + 1]))
          rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
        continue;
      }
      f->kids.items[w++] = k;
      f->kids.items[w++] = f->kids.items[r + 1];
    }
    f->kids.len = w;
    if (rc) {
      floe_vec_free(&merges);
      return rc;
    }
    size_t own_len = f->kids.len;
    /* duplicate check over the mapping's own keys (merged ones may repeat them: the mapping's win) */
    floe_map seen = {0};
    for (size_t i = 0; i < own_len / 2 && !rc; i++) {
      floe_node *k = f->kids.items[2 * i];
      const floe_node *first = NULL;
      if (own_len / 2 <= 16) {
        for (size_t j = 0; j < i; j++)
          if (!strcmp(((floe_node *)f->kids.items[2 * j])->str, k->str)) first = f->kids.items[2 * j];
      } else {
        first = floe_map_get(&seen, k->str);
        if (!first && floe_map_put(&seen, k->str, k)) rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
      }
      if (first)
        rc = floe_err_set(
            err, FLOE_EINPUT,
            "%s:%d:%d: duplicate key '%s'; expected each key once in a mapping, found it again (first at line %d)",
            n->file, k->line, k->col, k->str, first->line);
    }
    floe_map_free(&seen);
    if (merges.len && !rc) {
      floe_map present = {0};
      for (size_t i = 0; i < own_len && !rc; i += 2)
        if (floe_map_put(&present, ((floe_node *)f->kids.items[i])->str, f->kids.items[i]))
          rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
      for (size_t m = 0; m + 1 < merges.len && !rc; m += 2)
        rc = merge_into(f, &present, merges.items[m], merges.items[m + 1], err);
      floe_map_free(&present);
    }
    floe_vec_free(&merges);
    if (rc) return rc;
  }
  size_t k = f->kids.len;
  if (n->type == FLOE_NODE_SEQ) {
    n->len = k;
    n->items = floe_arena_alloc(a, (k ? k : 1) * sizeof *n->items);
    if (!n->items) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
    if (k) memcpy(n->items, f->kids.items, k * sizeof *n->items);
    return 0;
  }
  n->len = k / 2;
  n->keys = floe_arena_alloc(a, (n->len ? n->len : 1) * sizeof *n->keys);
  n->key_nodes = floe_arena_alloc(a, (n->len ? n->len : 1) * sizeof *n->key_nodes);
  n->items = floe_arena_alloc(a, (n->len ? n->len : 1) * sizeof *n->items);
  if (!n->keys || !n->key_nodes || !n->items) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  for (size_t i = 0; i < n->len; i++) {
    n->key_nodes[i] = f->kids.items[2 * i];
    n->keys[i] = n->key_nodes[i]->str;
    n->items[i] = f->kids.items[2 * i + 1];
  }
  return 0;
}

static int too_big(const char *file, const floe_node *n, floe_err *err) {
  return floe_err_set(err, FLOE_EINPUT, "%s:%d:%d: aliases expand this document past %d nodes; expected a "
                      "document of reasonable size (nested aliases multiply)", file, n->line, n->col, MAX_EXPANDED);
}

/* Registers &name (a later anchor of the same name replaces it, as in YAML). */
static int add_anchor(floe_arena *a, floe_map *anchors, const char *name, floe_node *n, size_t size, floe_err *err) {
  anchored *an = floe_arena_alloc(a, sizeof *an);
  const char *key = floe_arena_strdup(a, name);
  if (!an || !key) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  an->n = n;
  an->size = size;
  if (floe_map_put(anchors, key, an)) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  return 0;
}

int floe_yaml_parse(floe_arena *a, const char *file, const char *text, size_t len, floe_node **out, floe_err *err) {
  *out = NULL;
  yaml_parser_t ps;
  yaml_event_t ev;
  frame stack[MAX_DEPTH + 1];
  int depth = 0, rc = 0, docs = 0;
  bool done = false;
  floe_map anchors = {0}; /* name -> anchored (arena) */
  if (!yaml_parser_initialize(&ps)) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
  while (!done && !rc) {
    if (!yaml_parser_parse(&ps, &ev)) {
      rc = syntax_error(&ps, file, text, len, err);
      break;
    }
    floe_node *n = NULL;
    size_t n_size = 1;         /* nodes n expands to (an alias: the anchored node's) */
    const char *anchor = NULL; /* &name given to n */
    switch (ev.type) {
    case YAML_STREAM_END_EVENT: done = true; break;
    case YAML_DOCUMENT_START_EVENT:
      if (++docs > 1)
        rc = floe_err_set(err, FLOE_EINPUT,
                          "%s:%d:%d: a second YAML document; expected one document per file, found '---'", file,
                          (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1);
      break;
    case YAML_ALIAS_EVENT: {
      const char *name = (const char *)ev.data.alias.anchor;
      anchored *an = floe_map_get(&anchors, name);
      bool open = false;
      for (int d = 0; d < depth; d++) open |= stack[d].anchor && !strcmp(stack[d].anchor, name);
      if (open)
        rc = floe_err_set(err, FLOE_EINPUT, "%s:%d:%d: alias '*%s' refers to a node that contains it; expected an "
                          "alias to a finished node (recursive YAML is not allowed)", file,
                          (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1, name);
      else if (!an)
        rc = floe_err_set(err, FLOE_EINPUT, "%s:%d:%d: unknown alias '*%s'; expected an anchor defined above it "
                          "(&%s)", file, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1, name, name);
      else {
        n = an->n;
        n_size = an->size;
      }
      break;
    }
    case YAML_SCALAR_EVENT:
      n = new_node(a, FLOE_NODE_SCALAR, file, ev.start_mark);
      if (n) {
        n->str = floe_arena_strndup(a, (const char *)ev.data.scalar.value, ev.data.scalar.length);
        n->quoted = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
                    (ev.data.scalar.tag && !strcmp((const char *)ev.data.scalar.tag, YAML_STR_TAG));
        if (!n->str) n = NULL;
        anchor = (const char *)ev.data.scalar.anchor;
      }
      if (!n) rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
      break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
      if (depth >= MAX_DEPTH) {
        rc = floe_err_set(err, FLOE_EINPUT, "%s:%d:%d: nesting too deep; expected at most %d levels, found more", file,
                          (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1, MAX_DEPTH);
        break;
      }
      n = new_node(a, ev.type == YAML_SEQUENCE_START_EVENT ? FLOE_NODE_SEQ : FLOE_NODE_MAP, file, ev.start_mark);
      if (!n) {
        rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
        break;
      }
      anchor = (const char *)(ev.type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.anchor
                                                                    : ev.data.mapping_start.anchor);
      break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      if (depth > 0) {
        frame *f = &stack[--depth];
        rc = close_frame(a, f, err); /* already attached to its parent when it opened */
        floe_vec_free(&f->kids);
        if (!rc && depth > 0) stack[depth - 1].size += f->size - 1; /* the parent counted it as 1 when it opened */
        if (!rc && depth > 0 && stack[depth - 1].size > MAX_EXPANDED) rc = too_big(file, f->n, err);
        if (!rc && f->anchor) rc = add_anchor(a, &anchors, f->anchor, f->n, f->size, err);
      }
      break;
    default: break;
    }
    /* attach a scalar or a new collection to its parent; push the collection to receive its children */
    bool opening = ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT;
    if (n && !rc) {
      if (depth > 0) {
        frame *p = &stack[depth - 1];
        if (p->n->type == FLOE_NODE_MAP && p->kids.len % 2 == 0 && n->type != FLOE_NODE_SCALAR)
          rc = floe_err_set(err, FLOE_EINPUT, "%s:%d:%d: complex mapping key; expected a plain key, found %s", file,
                            n->line, n->col, n->type == FLOE_NODE_MAP ? "a mapping" : "a list");
        else if (floe_vec_push(&p->kids, n))
          rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
        else if ((p->size += opening ? 1 : n_size) > MAX_EXPANDED)
          rc = too_big(file, n, err);
      } else if (!*out) {
        *out = n;
      }
      if (!rc && opening) {
        stack[depth].n = n;
        memset(&stack[depth].kids, 0, sizeof stack[depth].kids);
        stack[depth].anchor = anchor ? floe_arena_strdup(a, anchor) : NULL;
        stack[depth].size = 1;
        if (anchor && !stack[depth].anchor) rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
        depth++;
      } else if (!rc && anchor && ev.type == YAML_SCALAR_EVENT) {
        rc = add_anchor(a, &anchors, anchor, n, 1, err);
      }
    }
    yaml_event_delete(&ev);
  }
  while (depth > 0)
    floe_vec_free(&stack[--depth].kids);
  floe_map_free(&anchors);
  yaml_parser_delete(&ps);
  if (rc) *out = NULL;
  return rc;
}
