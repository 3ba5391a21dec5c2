/* test_load.c — the YAML tree (positions, aliases, limits), settings and defaults, and load errors. */
#include "floe/defs.h"
#include "test.h"

static char msg[4096];

/* Loads floe_yaml + one assets file; returns the error message ("" on success). */
static const char *load(const char *floe_yaml, const char *assets) {
  const char *files[] = {"assets/a.yaml", assets, NULL};
  floe_project *p = NULL;
  floe_err err = {0};
  int rc = floe_project_load_strings("/tmp/proj", floe_yaml, assets ? files : NULL, &p, &err);
  snprintf(msg, sizeof msg, "%s", rc ? err.msg : "");
  if (rc) CHECK(rc == FLOE_EINPUT && p == NULL);
  floe_project_free(p);
  return msg;
}

#define CMD "kind: command, command: [echo]"

int main(void) {
  /* tree positions */
  floe_arena ar;
  floe_arena_init(&ar, 0);
  floe_node *root;
  floe_err err = {0};
  const char *y = "a: 1\nb:\n  - x\n  - 'y'\nc: {d: e}\n";
  CHECK(floe_yaml_parse(&ar, "f.yaml", y, strlen(y), &root, &err) == 0);
  CHECK(root && root->type == FLOE_NODE_MAP && root->len == 3);
  const floe_node *b = floe_node_get(root, "b");
  CHECK(b && b->type == FLOE_NODE_SEQ && b->len == 2);
  CHECK(b->items[1]->line == 4 && b->items[1]->col == 5 && b->items[1]->quoted);
  CHECK(!b->items[0]->quoted);
  CHECK(root->key_nodes[2]->line == 5 && root->key_nodes[2]->col == 1);
  CHECK_STR(floe_node_scalar(floe_node_get(floe_node_get(root, "c"), "d")), "e");
  CHECK(floe_node_get(root, "zz") == NULL);
  /* anchors, aliases and merge keys */
  y = "a: &x [1]\nb: *x\nc: &s hello\nd: *s\n";
  CHECK(floe_yaml_parse(&ar, "f.yaml", y, strlen(y), &root, &err) == 0);
  CHECK(floe_node_get(root, "b") && floe_node_get(root, "b")->type == FLOE_NODE_SEQ);
  CHECK_STR(floe_node_scalar(floe_node_get(root, "b")->items[0]), "1");
  CHECK_STR(floe_node_scalar(floe_node_get(root, "d")), "hello");
  CHECK(floe_node_get(root, "d")->line == 3); /* an alias is the anchored node: its position */
  y = "base: &b {retry: 1, group: g, tags: {t: 1}}\n"
      "other: &o {owner: me, group: h}\n"
      "x:\n  <<: [*b, *o]\n  group: mine\n  key: k\n";
  CHECK(floe_yaml_parse(&ar, "f.yaml", y, strlen(y), &root, &err) == 0);
  const floe_node *x = floe_node_get(root, "x");
  CHECK(x && x->len == 5); /* group, key, retry, tags, owner */
  CHECK_STR(floe_node_scalar(floe_node_get(x, "group")), "mine"); /* the mapping's own key wins */
  CHECK_STR(floe_node_scalar(floe_node_get(x, "retry")), "1");
  CHECK_STR(floe_node_scalar(floe_node_get(x, "owner")), "me");
  CHECK(floe_node_get(x, "<<") == NULL);
  CHECK_STR(x->keys[0], "group");
  y = "x:\n  '<<': 1\n"; /* a quoted << is an ordinary key */
  CHECK(floe_yaml_parse(&ar, "f.yaml", y, strlen(y), &root, &err) == 0);
  CHECK_STR(floe_node_scalar(floe_node_get(floe_node_get(root, "x"), "<<")), "1");
  y = "a: &x [1]\nb:\n  <<: *x\n";
  CHECK(floe_yaml_parse(&ar, "f.yaml", y, strlen(y), &root, &err) == FLOE_EINPUT);
  CHECK_CONTAINS(err.msg, "f.yaml:3:3: merge key '<<': expected a mapping or a list of mappings");
  y = "a: 1\nb: *nope\n";
  CHECK(floe_yaml_parse(&ar, "f.yaml", y, strlen(y), &root, &err) == FLOE_EINPUT);
  CHECK_CONTAINS(err.msg, "f.yaml:2:4: unknown alias '*nope'");
  y = "a: &x [*x]\n";
  CHECK(floe_yaml_parse(&ar, "f.yaml", y, strlen(y), &root, &err) == FLOE_EINPUT);
  CHECK_CONTAINS(err.msg, "f.yaml:1:8: alias '*x' refers to a node that contains it");
  y = "a: &x {k: 1}\nb: {<<: *x, k: 2, k: 3}\n";
  CHECK(floe_yaml_parse(&ar, "f.yaml", y, strlen(y), &root, &err) == FLOE_EINPUT);
  CHECK_CONTAINS(err.msg, "duplicate key 'k'");
  /* "billion laughs": nine levels of ten aliases would expand to 10^9 nodes */
  {
    floe_buf bomb;
    floe_buf_init(&bomb, 0);
    floe_buf_puts(&bomb, "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 10; i++) {
      floe_buf_printf(&bomb, "l%d: &l%d [", i, i);
      for (int j = 0; j < 10; j++) floe_buf_printf(&bomb, "%s*l%d", j ? ", " : "", i - 1);
      floe_buf_puts(&bomb, "]\n");
    }
    CHECK(floe_yaml_parse(&ar, "f.yaml", floe_buf_str(&bomb), bomb.len, &root, &err) == FLOE_EINPUT);
    CHECK_CONTAINS(err.msg, "aliases expand this document past");
    floe_buf_free(&bomb);
  }
  char deep[400] = "";
  for (int i = 0; i < 100; i++)
    strcat(deep, "[");
  CHECK(floe_yaml_parse(&ar, "f.yaml", deep, strlen(deep), &root, &err) == FLOE_EINPUT);
  CHECK_CONTAINS(err.msg, "nesting too deep");
  y = "a: 1\n---\nb: 2\n";
  CHECK(floe_yaml_parse(&ar, "f.yaml", y, strlen(y), &root, &err) == FLOE_EINPUT);
  CHECK_CONTAINS(err.msg, "f.yaml:2:1: a second YAML document");
  y = "a: 1\na: 2\n";
  CHECK(floe_yaml_parse(&ar, "f.yaml", y, strlen(y), &root, &err) == FLOE_EINPUT);
  CHECK_CONTAINS(err.msg, "f.yaml:2:1: duplicate key 'a'");
  y = "";
  CHECK(floe_yaml_parse(&ar, "f.yaml", y, 0, &root, &err) == 0 && root == NULL);
  floe_arena_free(&ar);

  /* settings and defaults */
  const char *files[] = {"assets/a.yaml",
                         "assets:\n"
                         "  - {key: s, kind: ingest, source: {type: csv, path: x.csv}, table: t1}\n"
                         "  - {key: oso2.t, kind: ingest, source: {type: csv, path: x.csv}, mode: merge, unique_key: [id]}\n"
                         "  - {key: c, " CMD ", resources: [ch], env: {A: lit, B: {secret: gh.token}},\n"
                         "     retry: {max_retries: 2, delay: 1.5, backoff: exponential, jitter: 0.5}, timeout: 60}\n",
                         NULL};
  floe_project *p;
  int rc = floe_project_load_strings(
      "/tmp/proj",
      "name: n\nstorage: {sqlite: db/x.db, postgres: {url: {secret: postgres.url}}}\n"
      "lake: {warehouse: /wh, namespace: ns}\nsecrets: {prefix: pfx, env_file: sec.env, override_env: true}\n"
      "executor: {max_concurrent: 3}\n"
      "resources: {ch: {type: clickhouse, host: h, password: {secret: ch.pw}}}\n"
      "jobs: [{name: j}]\nschedules: [{name: s, job: j, cron: '0 0 * * 0'}]\n",
      files, &p, &err);
  CHECK(rc == 0);
  if (rc)
    fprintf(stderr, "%s\n", err.msg);
  else {
    CHECK_STR(p->name, "n");
    CHECK_STR(p->db_path, "/tmp/proj/db/x.db");
    CHECK_STR(p->warehouse, "/wh");
    CHECK_STR(p->lake_namespace, "ns");
    CHECK_STR(p->secrets_prefix, "pfx");
    CHECK_STR(p->env_file, "/tmp/proj/sec.env");
    CHECK(p->secrets_override_env);
    CHECK(p->max_concurrent == 3);
    CHECK_STR(p->postgres_url.secret_group, "postgres");
    CHECK_STR(p->postgres_url.secret_key, "url");
    CHECK(p->nresources == 1 && p->resources[0]->nfields == 2);
    CHECK_STR(p->resources[0]->type, "clickhouse");
    CHECK_STR(p->resources[0]->fields[1].value.secret_group, "ch");
    CHECK_STR(floe_project_asset(p, "s")->table, "ns.t1");
    CHECK_STR(floe_project_asset(p, "oso2.t")->table, "oso2.t");
    CHECK_STR(floe_project_asset(p, "oso2.t")->unique_key[0], "id");
    floe_asset *c = floe_project_asset(p, "c");
    CHECK(c->retry.max_retries == 2 && c->retry.delay == 1.5 && c->retry.backoff == FLOE_BACKOFF_EXPONENTIAL);
    CHECK(c->retry.jitter == 0.5 && c->timeout == 60);
    CHECK(c->nenv == 2 && c->env[0].value.literal && !c->env[1].value.literal);
    CHECK_STR(c->env[1].value.secret_key, "token");
    CHECK_STR(c->command[0], "echo");
    CHECK(c->command[1] == NULL);
    CHECK(p->njobs == 1 && !strcmp(p->jobs[0]->selection, "*"));
    CHECK(p->nschedules == 1 && p->schedules[0]->enabled);
    CHECK_STR(p->schedules[0]->timezone, "UTC");
    CHECK(floe_project_job(p, "j") == p->jobs[0] && !floe_project_job(p, "k"));
    floe_project_free(p);
  }
  CHECK_STR(load("", NULL), "");
  CHECK_STR(load("# only a comment\n", "# nothing\n"), "");

  /* errors */
  CHECK_CONTAINS(load("nmae: x\n", NULL), "floe.yaml:1:1: nmae: unknown key; expected one of name, storage");
  CHECK_CONTAINS(msg, "found 'nmae' (did you mean 'name'?)");
  CHECK_CONTAINS(load("- a\n", NULL), "floe.yaml:1:1: (top level): wrong type; expected a mapping");
  CHECK_CONTAINS(load("executor: {max_concurrent: 0}\n", NULL),
                 "floe.yaml:1:28: executor.max_concurrent: too small; expected an integer >= 1, found '0'");
  CHECK_CONTAINS(load("executor: {max_concurrent: 1.5}\n", NULL), "executor.max_concurrent: not an integer");
  CHECK_CONTAINS(load("executor: {max_concurrent: '2'}\n", NULL), "not an integer");
  CHECK_CONTAINS(load("secrets: {override_env: maybe}\n", NULL),
                 "secrets.override_env: not a boolean; expected true or false, found 'maybe'");
  CHECK_CONTAINS(load("resources: {r: {host: h}}\n", NULL), "floe.yaml:1:16: resources.r.type: missing required key");
  CHECK_CONTAINS(load("storage: {postgres: {uri: x}}\n", NULL), "storage.postgres.uri: unknown key");
  CHECK_CONTAINS(load("jobs: [{name: j}, {name: j}]\n", NULL), "floe.yaml:1:26: jobs[1].name: duplicate job name 'j'");
  CHECK_CONTAINS(load("jobs: [x]\n", NULL), "floe.yaml:1:8: jobs[0]: wrong type; expected a mapping, found 'x'");
  CHECK_CONTAINS(load("jobs: {name: j}\n", NULL), "jobs: wrong type; expected a list of mappings, found a mapping");
  CHECK_CONTAINS(load("sensors: {a: 1}\n", NULL), "sensors: wrong type; expected a list");
  CHECK_CONTAINS(
      load("schedules: [{name: s, job: j, cron: '* * * * *', enabled: yes please}]\njobs: [{name: j}]\n", NULL),
      "schedules[0].enabled: not a boolean");
  CHECK_CONTAINS(load("", "assets: [{key: a, kind: cmd}]\n"),
                 "assets[0].kind: invalid value; expected one of command, ingest, found 'cmd'");
  CHECK_CONTAINS(load("", "assets: [{key: a, kind: ingest, source: {path: x}}]\n"),
                 "assets[0].source.type: missing required key");
  CHECK_CONTAINS(load("", "assets: [{key: a, kind: ingest, source: {type: csv, path: x.csv}, command: [x]}]\n"),
                 "assets[0].command: not allowed for kind ingest");
  CHECK_CONTAINS(load("", "assets: [{key: a, kind: ingest, source: {type: csv, path: x.csv}, mode: merge}]\n"),
                 "assets[0].unique_key: missing required key for mode merge");
  CHECK_CONTAINS(load("", "assets: [{key: a, " CMD ", retry: {jitter: 2}}]\n"),
                 "assets[0].retry.jitter: too large; expected a number from 0 to 1, found '2'");
  CHECK_CONTAINS(load("", "assets: [{key: a, " CMD ", resources: [chh]}]\n"),
                 "assets[0].resources[0]: no resource 'chh'");
  CHECK_CONTAINS(load("resources: {ch: {type: x}}\n", "assets: [{key: a, " CMD ", resources: [chh]}]\n"),
                 "(did you mean 'ch'?)");
  CHECK_CONTAINS(load("", "assets: [{key: a, " CMD ", env: {1A: x}}]\n"),
                 "assets[0].env.1A: invalid environment variable name");
  CHECK_CONTAINS(load("", "assets: [{key: a, " CMD ", env: {A: {secrt: a.b}}}]\n"),
                 "assets[0].env.A.secrt: unknown key; expected secret");
  CHECK_CONTAINS(load("", "assets: [{key: a, " CMD ", env: {A: [x]}}]\n"),
                 "assets[0].env.A: wrong type; expected a string or {secret: group.key}, found a list");
  CHECK_CONTAINS(load("", "assets: [{key: a, " CMD ", env: {A: {secret: .b}}}]\n"), "invalid secret reference");
  CHECK_CONTAINS(load("", "assets: [{key: a, " CMD ", command: []}]\n"), "duplicate key 'command'");
  CHECK_CONTAINS(load("", "assets: [{key: a, kind: command, command: []}]\n"), "assets[0].command: empty list");
  CHECK_CONTAINS(load("", "assets: [{key: a, kind: command, command: [[x]]}]\n"), "assets[0].command[0]: wrong type");
  CHECK_CONTAINS(load("", "assets: [{key: a, " CMD ", deps: [a]}]\n"), "assets[0].deps[0]: dependency cycle a -> a");
  CHECK_CONTAINS(load("", "assets: [{key: a, " CMD ", tags: {k: [1]}}]\n"), "assets[0].tags.k: wrong type");
  CHECK_CONTAINS(load("", "assets: [{key: a, " CMD ", timeout: .nan}]\n"), "assets[0].timeout: not a number");
  CHECK_CONTAINS(load("", "assets: [{key: a, " CMD ", timeout: 1e999}]\n"), "assets[0].timeout: not a number");
  CHECK_CONTAINS(load("", "assets:\n  - key: a\n    " CMD "\n"), "assets/a.yaml:3:");
  CHECK_CONTAINS(load("", "assets: x\n"),
                 "assets/a.yaml:1:9: assets: wrong type; expected a list of mappings, found 'x'");
  CHECK_CONTAINS(load("", "[1]\n"),
                 "assets/a.yaml:1:1: (top level): wrong type; expected a mapping with assets: [...]");
  CHECK_CONTAINS(load("", "asets: []\n"), "(did you mean 'assets'?)");
  CHECK_CONTAINS(load("", "assets: [{key: 'a:b', " CMD "}]\n"), "invalid character ':'");
  TEST_MAIN_END();
}
