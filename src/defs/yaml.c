/* yaml.c — libyaml events -> floe_node tree with file:line:column on every node.
 *
 * Built on the event API rather than yaml_parser_load so that aliases can be refused where they are
 * written (an alias is a pointer into the tree: a recursive one loops, a nested one explodes), and so
 * that depth stays bounded for everything that walks the tree afterwards. */
#include "defs_int.h"
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 64

typedef struct frame {
  floe_node *n;
  floe_vec kids; /* SEQ: items; MAP: key, value, key, value ... */
} frame;

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

/* Moves the collected children of f into arena arrays of f->n; checks duplicate keys of a mapping. */
static int close_frame(floe_arena *a, frame *f, floe_err *err) {
  floe_node *n = f->n;
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
  floe_map seen = {0};
  int rc = 0;
  for (size_t i = 0; i < n->len && !rc; i++) {
    n->key_nodes[i] = f->kids.items[2 * i];
    n->keys[i] = n->key_nodes[i]->str;
    n->items[i] = f->kids.items[2 * i + 1];
    const floe_node *first = NULL;
    if (n->len <= 16) {
      for (size_t j = 0; j < i; j++)
        if (!strcmp(n->keys[j], n->keys[i])) first = n->key_nodes[j];
    } else {
      first = floe_map_get(&seen, n->keys[i]);
      if (!first && floe_map_put(&seen, n->keys[i], n->key_nodes[i]))
        rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
    }
    if (first)
      rc = floe_err_set(
          err, FLOE_EINPUT,
          "%s:%d:%d: duplicate key '%s'; expected each key once in a mapping, found it again (first at line %d)",
          n->file, n->key_nodes[i]->line, n->key_nodes[i]->col, n->keys[i], first->line);
  }
  floe_map_free(&seen);
  return rc;
}

int floe_yaml_parse(floe_arena *a, const char *file, const char *text, size_t len, floe_node **out, floe_err *err) {
  *out = NULL;
  yaml_parser_t ps;
  yaml_event_t ev;
  frame stack[MAX_DEPTH + 1];
  int depth = 0, rc = 0, docs = 0;
  bool done = false;
  if (!yaml_parser_initialize(&ps)) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
  while (!done && !rc) {
    if (!yaml_parser_parse(&ps, &ev)) {
      rc = syntax_error(&ps, file, text, len, err);
      break;
    }
    floe_node *n = NULL;
    switch (ev.type) {
    case YAML_STREAM_END_EVENT: done = true; break;
    case YAML_DOCUMENT_START_EVENT:
      if (++docs > 1)
        rc = floe_err_set(err, FLOE_EINPUT,
                          "%s:%d:%d: a second YAML document; expected one document per file, found '---'", file,
                          (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1);
      break;
    case YAML_ALIAS_EVENT:
      rc = floe_err_set(
          err, FLOE_EINPUT,
          "%s:%d:%d: YAML aliases are not supported; expected a value, found alias '*%s' (write the value out)", file,
          (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1, (const char *)ev.data.alias.anchor);
      break;
    case YAML_SCALAR_EVENT:
      n = new_node(a, FLOE_NODE_SCALAR, file, ev.start_mark);
      if (n) {
        n->str = floe_arena_strndup(a, (const char *)ev.data.scalar.value, ev.data.scalar.length);
        n->quoted = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
                    (ev.data.scalar.tag && !strcmp((const char *)ev.data.scalar.tag, YAML_STR_TAG));
        if (!n->str) n = NULL;
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
      break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      if (depth > 0) {
        frame *f = &stack[--depth];
        rc = close_frame(a, f, err); /* already attached to its parent when it opened */
        floe_vec_free(&f->kids);
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
      } else if (!*out) {
        *out = n;
      }
      if (!rc && opening) {
        stack[depth].n = n;
        memset(&stack[depth].kids, 0, sizeof stack[depth].kids);
        depth++;
      }
    }
    yaml_event_delete(&ev);
  }
  while (depth > 0)
    floe_vec_free(&stack[--depth].kids);
  yaml_parser_delete(&ps);
  if (rc) *out = NULL;
  return rc;
}
