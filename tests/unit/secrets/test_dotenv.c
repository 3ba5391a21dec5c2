/* test_dotenv.c — .env parsing: every rule contributors rely on, and malformed lines with their number. */
#include "floe/secrets.h"
#include "test.h"

typedef struct kv {
  char names[32][64];
  char vals[32][256];
  int lines[32];
  int n;
} kv;

static int put(void *ud, const char *name, const char *value, size_t vlen, int line) {
  kv *k = ud;
  if (k->n >= 32) return FLOE_EINTERNAL;
  snprintf(k->names[k->n], 64, "%s", name);
  snprintf(k->vals[k->n], 256, "%.*s", (int)vlen, value);
  k->lines[k->n] = line;
  k->n++;
  return 0;
}

static const char *get(const kv *k, const char *name) {
  const char *v = NULL; /* last one wins */
  for (int i = 0; i < k->n; i++)
    if (!strcmp(k->names[i], name)) v = k->vals[i];
  return v;
}

static int parse(const char *text, kv *k, floe_err *err) {
  memset(k, 0, sizeof *k);
  floe_err_clear(err);
  return floe_dotenv_parse("/p/.env", text, strlen(text), put, k, err);
}

static void bad(const char *text, const char *want, const char *secret) {
  kv k;
  floe_err err = {0};
  int rc = parse(text, &k, &err);
  CHECK(rc == FLOE_EINPUT);
  CHECK_CONTAINS(err.msg, want);
  if (secret && strstr(err.msg, secret)) {
    fprintf(stderr, "error message leaks the value: %s\n", err.msg);
    test_failures++;
  }
}

int main(void) {
  kv k;
  floe_err err = {0};
  const char *text = "# a comment\n"
                     "\n"
                     "   \n"
                     "DAGSTER__CLICKHOUSE__HOST=ch.example.com\n"
                     "export DAGSTER__CLICKHOUSE__USER=alice\n"
                     "DAGSTER__CLICKHOUSE__PASSWORD='p@ss#word \"x\" \\n'\n"
                     "DQ=\"line1\\nline2\\t\\\"q\\\" \\\\ \\$HOME\"\n"
                     "URL=postgres://u:p@h:5432/db?sslmode=require&x=1\n"
                     "EQ=a=b=c\n"
                     "SPACED = value with spaces   \n"
                     "INLINE=value # a comment\n"
                     "HASH=abc#def\n"
                     "EMPTY=\n"
                     "EMPTYQ=\"\"\n"
                     "  export  INDENTED=yes\n"
                     "CRLF=win\r\n"
                     "MULTI=\"first\n"
                     "second\"\n"
                     "AFTER=1\n"
                     "QCOMMENT='v' # trailing\n"
                     "DUP=1\n"
                     "DUP=2\n"
                     "UNKNOWN_ESC=\"a\\qb\"\n"
                     "LAST=no-newline";
  CHECK(parse(text, &k, &err) == 0);
  if (err.code) fprintf(stderr, "%s\n", err.msg);
  CHECK_STR(get(&k, "DAGSTER__CLICKHOUSE__HOST"), "ch.example.com");
  CHECK_STR(get(&k, "DAGSTER__CLICKHOUSE__USER"), "alice");
  CHECK_STR(get(&k, "DAGSTER__CLICKHOUSE__PASSWORD"), "p@ss#word \"x\" \\n"); /* single quotes: literal */
  CHECK_STR(get(&k, "DQ"), "line1\nline2\t\"q\" \\ $HOME");
  CHECK_STR(get(&k, "URL"), "postgres://u:p@h:5432/db?sslmode=require&x=1");
  CHECK_STR(get(&k, "EQ"), "a=b=c");
  CHECK_STR(get(&k, "SPACED"), "value with spaces");
  CHECK_STR(get(&k, "INLINE"), "value");
  CHECK_STR(get(&k, "HASH"), "abc#def");
  CHECK_STR(get(&k, "EMPTY"), "");
  CHECK_STR(get(&k, "EMPTYQ"), "");
  CHECK_STR(get(&k, "INDENTED"), "yes");
  CHECK_STR(get(&k, "CRLF"), "win");
  CHECK_STR(get(&k, "MULTI"), "first\nsecond");
  CHECK_STR(get(&k, "AFTER"), "1");
  CHECK_STR(get(&k, "QCOMMENT"), "v");
  CHECK_STR(get(&k, "DUP"), "2");
  CHECK_STR(get(&k, "UNKNOWN_ESC"), "a\\qb");
  CHECK_STR(get(&k, "LAST"), "no-newline");
  for (int i = 0; i < k.n; i++) {
    if (!strcmp(k.names[i], "AFTER")) CHECK(k.lines[i] == 19); /* line numbers survive multi-line values */
    if (!strcmp(k.names[i], "DAGSTER__CLICKHOUSE__HOST")) CHECK(k.lines[i] == 4);
  }
  /* a name called export is still a name */
  CHECK(parse("export=1\n", &k, &err) == 0);
  CHECK_STR(get(&k, "export"), "1");
  /* BOM */
  CHECK(parse("\xEF\xBB\xBFKEY=v\n", &k, &err) == 0);
  CHECK_STR(get(&k, "KEY"), "v");
  CHECK(parse("", &k, &err) == 0 && k.n == 0);

  /* malformed lines: the error names file and line, never the value */
  bad("A=1\nthis is not an assignment s3cr3t\n", "/p/.env:2:", "s3cr3t");
  bad("A=1\nB=2\nNOEQUALS\n", "/p/.env:3: expected '=' after NOEQUALS", NULL);
  bad("A=\"unterminated s3cr3t\nB=2\n", "/p/.env:1: value of A has no closing double quote", "s3cr3t");
  bad("\n\nA='x\n", "/p/.env:3: value of A has no closing single quote", NULL);
  bad("A=\"v\" s3cr3t\n", "/p/.env:1: unexpected text after the closing quote", "s3cr3t");
  bad("1ABC=x\n", "/p/.env:1:", NULL);
  bad("=s3cr3t\n", "/p/.env:1:", "s3cr3t");
  bad("export\n", "/p/.env:1:", NULL);
  TEST_MAIN_END();
}
