/* test_select.c — selection semantics (floe_select) and the asset graph (upstream/downstream, topo order). */
#include "floe/defs.h"
#include "test.h"

/*  a -> b -> c -> d  (b deps a, ...), e deps a, x alone (ingest, group g2)  */
static const char *const files[] = {
    "assets/a.yaml",
    "assets:\n"
    "  - {key: d, kind: command, command: [echo], deps: [c]}\n"
    "  - {key: c, kind: command, command: [echo], deps: [b]}\n"
    "  - {key: b, kind: command, command: [echo], deps: [a], tags: {k: u}}\n"
    "  - {key: a, kind: command, command: [echo]}\n"
    "  - {key: e, kind: command, command: [echo], deps: [a, a], tags: {k: w}, group: g1}\n"
    "  - {key: x, kind: ingest, source: {type: csv, path: x.csv}, tags: {k: v}, group: g2}\n",
    NULL};

static floe_project *p;

/* Returns the selected keys in definition order, space separated, or "ERR: msg". */
static const char *sel(const char *s) {
  static char out[4200];
  static bool mask[64];
  floe_err err = {0};
  if (floe_select(p, s, mask, &err)) {
    snprintf(out, sizeof out, "ERR: %s", err.msg);
    return out;
  }
  out[0] = 0;
  for (size_t i = 0; i < p->nassets; i++) {
    if (!mask[i]) continue;
    if (out[0]) strcat(out, " ");
    strcat(out, p->assets[i]->key);
  }
  return out;
}

int main(void) {
  floe_err err = {0};
  int rc = floe_project_load_strings("/tmp/proj", "name: t\n", files, &p, &err);
  CHECK(rc == 0);
  if (rc) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  /* graph */
  CHECK(p->nassets == 6);
  const char *topo[6];
  for (size_t i = 0; i < 6; i++)
    topo[i] = p->assets[p->topo[i]]->key;
  CHECK_STR(topo[0], "a"); /* the earliest-defined ready asset goes first */
  CHECK_STR(topo[1], "b");
  CHECK_STR(topo[2], "c");
  CHECK_STR(topo[3], "d");
  CHECK_STR(topo[4], "e");
  CHECK_STR(topo[5], "x");
  floe_asset *a = floe_project_asset(p, "a"), *e = floe_project_asset(p, "e");
  CHECK(a && e);
  CHECK(a->nupstream == 0 && a->ndownstream == 2);
  CHECK(e->nupstream == 1 && e->upstream[0] == a->index); /* duplicate dep dropped */
  CHECK(p->warnings.len == 1);
  CHECK(floe_project_asset(p, "nope") == NULL);
  /* defaults */
  CHECK_STR(a->group, "default");
  CHECK_STR(floe_project_asset(p, "x")->table, "oso.x");
  CHECK_STR(floe_project_asset(p, "x")->mode, "append");
  CHECK(a->table == NULL);
  CHECK_STR(p->lake_namespace, "oso");
  CHECK_STR(p->secrets_prefix, "dagster");
  CHECK_STR(p->env_file, "/tmp/proj/.env");
  CHECK(p->max_concurrent >= 1);

  /* selection */
  CHECK_STR(sel("c"), "c");
  CHECK_STR(sel("+c"), "c b");
  CHECK_STR(sel("c+"), "d c");
  CHECK_STR(sel("++c"), "c b a");
  CHECK_STR(sel("+++c"), "c b a");
  CHECK_STR(sel("*c"), "c b a");
  CHECK_STR(sel("c*"), "d c");
  CHECK_STR(sel("+c+"), "d c b");
  CHECK_STR(sel("a+"), "b a e");
  CHECK_STR(sel("a++"), "c b a e");
  CHECK_STR(sel("a*"), "d c b a e");
  CHECK_STR(sel("*d"), "d c b a");
  CHECK_STR(sel("*"), "d c b a e x");
  CHECK_STR(sel("tag:k=v"), "x");
  CHECK_STR(sel("tag:k"), "b e x");
  CHECK_STR(sel("tag:k=nope"), "");
  CHECK_STR(sel("group:g2"), "x");
  CHECK_STR(sel("group:default"), "d c b a");
  CHECK_STR(sel("kind:ingest"), "x");
  CHECK_STR(sel("kind:command"), "d c b a e");
  CHECK_STR(sel("kind:model"), "");
  CHECK_STR(sel(" c , x "), "c x");
  CHECK_STR(sel("c,+c,x"), "c b x");
  CHECK_STR(sel("tag:k=u+"), ""); /* a tag value may hold any character: filters take no + or * */
  CHECK_STR(sel("cc"), "ERR: selection 'cc': no asset 'cc' (did you mean 'c'?)");
  CHECK_CONTAINS(sel("zzzzzz"), "no asset 'zzzzzz'");
  CHECK_CONTAINS(sel("c,,d"), "empty term");
  CHECK_CONTAINS(sel(""), "empty term");
  CHECK_CONTAINS(sel("+"), "malformed term '+'");
  CHECK_CONTAINS(sel("a++b"), "malformed term 'a++b'");
  CHECK_CONTAINS(sel("*+c"), "malformed term '*+c'");
  CHECK_CONTAINS(sel("kind:comand"), "unknown kind 'comand' (did you mean 'command'?)");
  CHECK_CONTAINS(sel("grop:g2"), "unknown term prefix 'grop:' (did you mean 'group:'?)");
  CHECK_CONTAINS(sel("tag:=v"), "empty tag name");
  floe_project_free(p);
  TEST_MAIN_END();
}
