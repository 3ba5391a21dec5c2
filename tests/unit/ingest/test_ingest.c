/* test_ingest.c — the ingest module's pure parsers, without a server or a lake: the Link header, the
 * records path into a JSON body, Retry-After (seconds and HTTP dates), and where the replaced range of
 * mode replace_range comes from (FLOE_START/FLOE_END > run config > range: > source options), and where an
 * http_json request may go (the origin rule of docs/security.md "Remote APIs"). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "floe/defs.h"
#include "test.h"
#include "../../../src/ingest/ingest_int.h" /* white-box: the parsers */

static void check_link(const char *v, const char *want) {
  char next[256] = "stale";
  ingest_parse_link(v, strlen(v), next, sizeof next);
  CHECK_STR(next, want);
}

static void test_link(void) {
  check_link(" <https://api.github.com/x?page=2>; rel=\"next\", <https://api.github.com/x?page=9>; rel=\"last\"\r\n",
       "https://api.github.com/x?page=2");
  check_link("<https://a/1>; rel=\"first\", <https://a/3>; rel=\"next\"", "https://a/3"); /* not the first one */
  check_link("<https://a/p?x=1,2>; rel=\"prev\", <https://a/n>; rel=\"next\"", "https://a/n"); /* comma inside <> */
  check_link("<https://a/n>; title=\"a, b\"; rel=\"next\"", "https://a/n");                  /* comma inside quotes */
  check_link("</relative?page=2>; rel=next", "/relative?page=2");                          /* unquoted, relative */
  check_link("<https://a/n>; rel=\"prefetch next\"", "https://a/n");                       /* several types */
  check_link("<https://a/n>; rel=\"nextpage\"", "");                                       /* not "next" */
  check_link("<https://a/l>; rel=\"last\"", "");
  check_link("garbage without brackets", "");
  char tiny[4] = "x";
  ingest_parse_link("<https://too-long/>; rel=next", 29, tiny, sizeof tiny); /* does not fit: none */
  CHECK_STR(tiny, "");
}

static void test_json_path(void) {
  json_t *body = json_loads("{\"data\":{\"items\":[{\"id\":1},{\"id\":2}]},\"meta\":{\"next\":\"c2\",\"n\":null},"
                            "\"a.b\":1,\"list\":[[5,6]]}",
                            0, NULL);
  CHECK(body != NULL);
  CHECK(ingest_json_path(body, NULL) == body);
  CHECK(ingest_json_path(body, "") == body);
  CHECK(json_array_size(ingest_json_path(body, "data.items")) == 2);
  CHECK_STR(json_string_value(ingest_json_path(body, "$.meta.next")), "c2");
  CHECK_STR(json_string_value(ingest_json_path(body, "meta.next")), "c2");
  CHECK(json_integer_value(ingest_json_path(body, "data.items.1.id")) == 2);
  CHECK(json_integer_value(ingest_json_path(body, "list.0.1")) == 6);
  CHECK(json_is_null(ingest_json_path(body, "meta.n")));
  CHECK(ingest_json_path(body, "data.missing") == NULL);
  CHECK(ingest_json_path(body, "data.items.x") == NULL); /* not an index */
  CHECK(ingest_json_path(body, "data.items.7") == NULL);
  CHECK(ingest_json_path(body, "meta.next.deeper") == NULL);
  json_decref(body);
}

static double ra(const char *v, double now) { return ingest_retry_after(v, strlen(v), now); }

static void test_retry_after(void) {
  const double now = 1445412480.0; /* Wed, 21 Oct 2015 07:28:00 GMT */
  CHECK(ra("120", now) == 120);
  CHECK(ra(" 1\r\n", now) == 1);
  CHECK(ra("0.5", now) == 0.5);
  CHECK(ra("Wed, 21 Oct 2015 07:28:30 GMT", now) == 30);              /* IMF-fixdate */
  CHECK(ra(" Wed, 21 Oct 2015 07:29:00 GMT\r\n", now + 0.25) == 59.75); /* fraction of a second of now */
  CHECK(ra("Wednesday, 21-Oct-15 07:28:10 GMT", now) == 10);          /* RFC 850 */
  CHECK(ra("Wed Oct 21 07:28:05 2015", now) == 5);                    /* asctime */
  CHECK(ra("Wed, 21 Oct 2015 07:00:00 GMT", now) == 0);               /* in the past: now */
  CHECK(ra("Thu, 21 Oct 2025 07:28:00 GMT", now) == 86400);           /* capped */
  CHECK(ra("999999999", now) == 86400);
  CHECK(ra("", now) < 0);
  CHECK(ra("soon", now) < 0);
  CHECK(ra("12abc", now) < 0);
  CHECK(ra("Wed, 21 Oct 2015 07:28:30 PST", now) < 0);
  CHECK(ra("-5", now) < 0);
}

/* A project and an asset parsed from YAML: the source, range and key range_bounds reads. */
static floe_arena ar;
static floe_project proj;
static floe_asset asset;
static const floe_node *range_node;

static void setup_asset(const char *yaml) {
  floe_node *root = NULL;
  floe_err err = {0};
  CHECK(floe_yaml_parse(&ar, "a.yaml", yaml, strlen(yaml), &root, &err) == 0);
  memset(&asset, 0, sizeof asset);
  asset.key = "oso.daily";
  asset.node = root;
  asset.source = floe_node_get(root, "source");
  range_node = floe_node_get(root, "range");
}

static void bounds(const char *want_start, const char *want_end, const char *want_err) {
  ingest_ctx cx;
  ingest_ctx_init(&cx, &proj, &asset, &ar);
  floe_err err = {0};
  const char *s = NULL, *e = NULL;
  int rc = ingest_range_bounds(&cx, range_node, &s, &e, &err);
  if (want_err) {
    CHECK(rc != 0);
    CHECK_CONTAINS(err.msg, want_err);
  } else {
    CHECK(rc == 0);
    CHECK_STR(s, want_start);
    CHECK_STR(e, want_end);
  }
  ingest_ctx_free(&cx);
}

static void test_range_bounds(void) {
  floe_arena_init(&ar, 4096);
  char dir[] = "/tmp/floe-ingest-unit.XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  proj.dir = proj.home = dir;
  unsetenv("FLOE_START");
  unsetenv("FLOE_END");
  unsetenv("FLOE_RUN_CONFIG");
  setup_asset("source: {type: ndjson, start: s0, end: e0}\nrange: {column: ts, start: '2024-01-01', end: '2024-01-02'}\n");
  bounds("2024-01-01", "2024-01-02", NULL); /* range: */
  char cfg[512];
  snprintf(cfg, sizeof cfg, "%s/cfg.yaml", dir);
  FILE *f = fopen(cfg, "w");
  CHECK(f != NULL);
  fputs("ops:\n  oso.daily:\n    config: {start: '2024-02-01', end: '2024-02-02'}\n  other: {config: {start: x, end: y}}\n", f);
  fclose(f);
  setenv("FLOE_RUN_CONFIG", cfg, 1);
  bounds("2024-02-01", "2024-02-02", NULL); /* the run config beats range: */
  setenv("FLOE_START", "2024-03-01", 1);
  bounds("2024-02-01", "2024-02-02", NULL); /* FLOE_START alone is not a range */
  setenv("FLOE_END", "2024-03-02", 1);
  bounds("2024-03-01", "2024-03-02", NULL); /* a partitioned run beats both */
  setenv("FLOE_START", "", 1);
  bounds("2024-02-01", "2024-02-02", NULL); /* empty = unset */
  unsetenv("FLOE_START");
  unsetenv("FLOE_END");
  setenv("FLOE_RUN_CONFIG", "/nonexistent/cfg.yaml", 1);
  bounds("2024-01-01", "2024-01-02", NULL); /* a missing run config file is no config */
  unsetenv("FLOE_RUN_CONFIG");
  setup_asset("source: {type: ndjson, start: s0, end: e0}\nrange: {column: ts}\n");
  bounds("s0", "e0", NULL); /* source options last */
  setup_asset("source: {type: ndjson, start: s0}\nrange: {column: ts, end: e1}\n");
  bounds("s0", "e1", NULL); /* mixed: range.end, source.start */
  setup_asset("source: {type: ndjson}\nrange: {column: ts, start: s1}\n");
  bounds(NULL, NULL, "a.yaml:2:8: mode replace_range: no range to replace; expected FLOE_START and FLOE_END");
  unlink(cfg);
  rmdir(dir);
  floe_arena_free(&ar);
}

/* Where an http_json request may go: only http(s), never https -> http, the same origin or an allowed host. */
static void test_http_refusal(void) {
  static const char *const allow[] = {"api2.example.com", "cdn.example.com:8443", "[::1]:9000"};
#define REFUSAL(fs, fh, fp, s, h, p) ingest_http_refusal(fs, fh, fp, s, h, p, allow, 3)
  CHECK(REFUSAL("https", "api.example.com", 443, "https", "api.example.com", 443) == NULL); /* same origin */
  CHECK(REFUSAL("https", "api.example.com", 443, "https", "API.example.com", 443) == NULL); /* host case */
  CHECK(strstr(REFUSAL("https", "api.example.com", 443, "http", "api.example.com", 80), "https to http"));
  CHECK(strstr(REFUSAL("https", "api.example.com", 443, "http", "api2.example.com", 80), "https to http")); /* allowed host too */
  CHECK(strstr(REFUSAL("https", "api.example.com", 443, "https", "api.example.com", 8443), "another origin")); /* port */
  CHECK(strstr(REFUSAL("http", "api.example.com", 80, "https", "api.example.com", 443), "another origin"));  /* scheme */
  CHECK(strstr(REFUSAL("https", "api.example.com", 443, "https", "evil.example.com", 443), "allow_hosts"));
  CHECK(REFUSAL("https", "api.example.com", 443, "https", "api2.example.com", 443) == NULL);      /* any port */
  CHECK(REFUSAL("http", "api.example.com", 80, "https", "cdn.example.com", 8443) == NULL);        /* host:port */
  CHECK(REFUSAL("http", "api.example.com", 80, "https", "cdn.example.com", 443) != NULL);
  CHECK(REFUSAL("http", "localhost", 80, "http", "[::1]", 9000) == NULL);                         /* [v6]:port */
  CHECK(strstr(REFUSAL("https", "api.example.com", 443, "file", "", 0), "only http and https"));
  CHECK(strstr(REFUSAL("https", "api.example.com", 443, "gopher", "api.example.com", 443), "only http and https"));
  CHECK(strstr(REFUSAL("http", "127.0.0.1", 80, "dict", "127.0.0.1", 80), "only http and https"));
  CHECK(REFUSAL("https", "api.example.com", 443, "HTTPS", "api.example.com", 443) == NULL);
#undef REFUSAL
}

/* The records scanner finds what jansson's tree finds, and survives what a hostile API sends. */
static void check_find(const char *doc, const char *path) {
  json_t *tree = json_loads(doc, 0, NULL), *want = tree ? ingest_json_path(tree, path) : NULL;
  size_t a, b;
  bool found = ingest_json_find(doc, strlen(doc), path, &a, &b);
  json_t *got = found ? json_loadb(doc + a, b - a, JSON_DECODE_ANY, NULL) : NULL;
  if (!json_equal(want, got) && !(!want && !got)) {
    fprintf(stderr, "ingest_json_find(%s, %s): found %d, differs from the tree\n", doc, path ? path : "NULL", found);
    CHECK(0);
  }
  json_decref(got);
  json_decref(tree);
}

static void test_json_find(void) {
  static const char *const docs[] = {
      "[{\"id\":1},{\"id\":2}]",
      " {\"data\": {\"items\": [ {\"a\": \"x,]}\\\"\"}, 2, null, true, -1.5e3 ] }, \"meta\": {\"next\": \"c2\"}} ",
      "{\"items\":[1],\"items\":[2,3]}",                   /* the last duplicate wins, as in jansson */
      "{\"it\\u0065ms\":[4],\"x\":{}}",                       /* an escaped key */
      "{\"a.b\":1,\"list\":[[5,6],[7]],\"e\":[],\"o\":{}}",
      "{\"data\":[{\"items\":[1]},{\"items\":[{\"id\":6},7]}]}",
  };
  static const char *const paths[] = {NULL, "", "$", "$.data.items", "data.items", "items", "meta.next", "meta.nope",
                                      "list.0", "list.1.0", "list.9", "data.1.items", "data.-1", "e", "o", "x", "a.b"};
  for (size_t d = 0; d < sizeof docs / sizeof docs[0]; d++)
    for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) check_find(docs[d], paths[p]);
  size_t a, b;
  static const char *const bad[] = {"{\"items\": [1,]}", "{\"items\": [1", "{\"items\" [1]}", "{\"items\": \"x",
                                    "{items: [1]}", "", "   ", "{\"a\":1,}", "[,1]"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(!ingest_json_find(bad[i], strlen(bad[i]), "items", &a, &b));
  /* nesting far deeper than the limit: refused without exhausting the stack */
  size_t deep = 1000000;
  char *d = malloc(2 * deep + 16);
  CHECK(d != NULL);
  int n = sprintf(d, "{\"items\":");
  memset(d + n, '[', deep);
  memset(d + n + deep, ']', deep);
  strcpy(d + n + 2 * deep, "}");
  CHECK(!ingest_json_find(d, strlen(d), "items", &a, &b));
  free(d);
}

int main(void) {
  test_http_refusal();
  test_json_find();
  test_link();
  test_json_path();
  test_retry_after();
  test_range_bounds();
  TEST_MAIN_END();
}
