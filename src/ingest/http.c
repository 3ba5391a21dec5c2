/* http.c — the http_json source: an HTTP JSON API read page by page through libcurl (loaded on first
 * use, see dyn.h), each page's records appended to a staged NDJSON file, so memory holds one page's body
 * and one record.
 *
 *   source:
 *     type: http_json
 *     url: https://api.example.com/v1/events
 *     params: {per_page: 100, api_key: {secret: example.key}}
 *     headers: {Accept: application/json, X-Team: {secret: example.team}}
 *     bearer_token: {secret: example.token}
 *     records: data.items          # dotted path to the records array ("" / absent: the body is the array)
 *     pagination: {type: page, page_param: page, start: 1, size_param: per_page, size: 100}
 *               | {type: offset, offset_param: offset, limit_param: limit, limit: 100}
 *               | {type: cursor, cursor_param: cursor, cursor_path: meta.next_cursor}
 *               | {type: link}          # RFC 8288 Link: <...>; rel="next" (GitHub)
 *               | {type: next_url, next_path: links.next}
 *     max_pages: 100000
 *     max_page_bytes: 67108864     # a page's body after decompression; larger is an error
 *     allow_hosts: [api2.example.com]  # other hosts that next pages and redirects may go to
 *     retry: {max_retries: 5, backoff: 0.5, max_backoff: 60}   # on 429, 5xx and transport errors
 *     rate_limit: 10               # requests per second
 *     timeout: 30                  # seconds per request
 *     serve: [python3, scripts/api.py] # optional: a local server started before the first request and
 *                                      # stopped after the last (examples, tests); connection errors are retried.
 *                                      # A URL holding {port} waits for the port the server writes to
 *                                      # $FLOE_SERVE_PORT_FILE, so overlapping runs never share one server
 *
 * The API is not trusted (docs/security.md, "Remote APIs"): every URL fetched — the first, each next page
 * and each redirect — is http or https, and goes to source.url's scheme, host and port or to a host in
 * allow_hosts (never from https to http), so the headers, secret ones included, reach no other origin;
 * redirects are followed here, not by libcurl, to check each hop; a page's decompressed body is capped;
 * messages quote at most a short, redacted excerpt of a response.
 *
 * Retry-After is honoured, as seconds or as an HTTP date (capped by retry.max_backoff). Messages name the URL with every secret replaced by ********. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../util/dyn.h"
#include "ingest_int.h"

#define MAX_REDIRECTS 10                           /* per request */
#define DEFAULT_MAX_PAGE_BYTES (64.0 * 1024 * 1024) /* source.max_page_bytes */
#define BODY_EXCERPT 160 /* bytes of a response body quoted in a message */
#define URL_EXCERPT 400  /* bytes of a URL */

typedef struct resp {
  floe_buf body;
  size_t max_body;    /* source.max_page_bytes */
  bool too_big;       /* the body passed max_body: the transfer was stopped */
  double retry_after; /* seconds; < 0 when absent */
  char next[4096];    /* Link rel="next" target */
} resp;

/* Checks the cap while the body streams in (after libcurl's decompression), so a small compressed
 * answer that inflates to gigabytes stops at max_body instead of filling memory. */
static size_t on_body(char *p, size_t sz, size_t n, void *ud) {
  resp *r = ud;
  if (sz * n > r->max_body - r->body.len) {
    r->too_big = true;
    return 0;
  }
  return floe_buf_append(&r->body, p, sz * n) ? 0 : sz * n;
}
/* Finds rel="next" in a Link header value: <url>; rel="next", <url2>; rel="last" */
void ingest_parse_link(const char *v, size_t len, char *next, size_t cap) {
  const char *end = v + len;
  if (cap) next[0] = 0;
  while (v < end) {
    const char *lt = memchr(v, '<', (size_t)(end - v));
    if (!lt) return;
    const char *gt = memchr(lt, '>', (size_t)(end - lt));
    if (!gt) return;
    const char *comma = gt;
    bool inq = false;
    while (comma < end && (inq || *comma != ',')) {
      if (*comma == '"') inq = !inq;
      comma++;
    }
    const char *rel = gt;
    bool is_next = false;
    while (rel < comma) {
      if (!strncasecmp(rel, "rel=", 4)) {
        rel += 4;
        if (*rel == '"') rel++;
        /* rel may hold several space-separated types */
        while (rel < comma && *rel != '"' && *rel != ';') {
          if (!strncasecmp(rel, "next", 4) && (rel + 4 == comma || strchr("\" ;,", rel[4]))) is_next = true;
          rel++;
        }
        break;
      }
      rel++;
    }
    if (is_next && (size_t)(gt - lt - 1) < cap) {
      memcpy(next, lt + 1, (size_t)(gt - lt - 1));
      next[gt - lt - 1] = 0;
      return;
    }
    v = comma + 1;
  }
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud) {
  resp *r = ud;
  size_t len = sz * n;
  if (len >= 5 && !strncmp(p, "HTTP/", 5)) { /* a new response (redirect): forget the previous headers */
    r->retry_after = -1;
    r->next[0] = 0;
  } else if (len > 12 && !strncasecmp(p, "retry-after:", 12)) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    double v = ingest_retry_after(p + 12, len - 12, (double)tv.tv_sec + tv.tv_usec / 1e6);
    if (v >= 0) r->retry_after = v;
  } else if (len > 5 && !strncasecmp(p, "link:", 5)) {
    ingest_parse_link(p + 5, len - 5, r->next, sizeof r->next);
  }
  return len;
}

double ingest_retry_after(const char *v, size_t len, double now) {
  char tmp[128];
  while (len && (*v == ' ' || *v == '\t')) v++, len--;
  while (len && strchr(" \t\r\n", v[len - 1])) len--;
  if (!len || len >= sizeof tmp) return -1;
  memcpy(tmp, v, len);
  tmp[len] = 0;
  double secs = -1;
  char *e;
  if (tmp[0] >= '0' && tmp[0] <= '9') { /* delta-seconds */
    secs = strtod(tmp, &e);
    if (*e) return -1;
  } else { /* HTTP-date: IMF-fixdate, else the obsolete RFC 850 and asctime forms (RFC 7231 7.1.1.1) */
    static const char *const forms[] = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %d %H:%M:%S %Y"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0] && secs < 0; i++) {
      struct tm tm;
      memset(&tm, 0, sizeof tm);
      e = strptime(tmp, forms[i], &tm);
      if (e && !*e) secs = (double)timegm(&tm) - now;
      if (secs < 0 && e && !*e) secs = 0; /* a date in the past: retry now */
    }
    if (secs < 0) return -1;
  }
  return secs < 0 ? 0 : secs > 86400 ? 86400 : secs;
}

json_t *ingest_json_path(json_t *v, const char *path) {
  if (!path) return v;
  if (path[0] == '$') path++;
  if (path[0] == '.') path++;
  char seg[256];
  while (*path && v) {
    const char *dot = strchr(path, '.');
    size_t n = dot ? (size_t)(dot - path) : strlen(path);
    snprintf(seg, sizeof seg, "%.*s", (int)(n < sizeof seg ? n : sizeof seg - 1), path);
    if (json_is_array(v)) {
      char *e;
      long i = strtol(seg, &e, 10);
      v = *e ? NULL : json_array_get(v, (size_t)i);
    } else {
      v = json_object_get(v, seg);
    }
    path += n;
    if (*path == '.') path++;
  }
  return v;
}

/* ---- confinement: where requests may go */

/* Whether "host" or "host:port" (an allow_hosts entry) names host and port. */
static bool allow_entry_matches(const char *entry, const char *host, long port) {
  const char *colon = strrchr(entry, ':');
  if (colon && (entry[0] != '[' || colon[-1] == ']')) { /* host:port ([v6]:port) */
    size_t hl = (size_t)(colon - entry);
    char *e;
    long p = strtol(colon + 1, &e, 10);
    return !*e && p == port && strlen(host) == hl && !strncasecmp(entry, host, hl);
  }
  return !strcasecmp(entry, host);
}

const char *ingest_http_refusal(const char *from_scheme, const char *from_host, long from_port, const char *scheme,
                                const char *host, long port, const char *const *allow, size_t nallow) {
  if (!scheme || (strcasecmp(scheme, "http") && strcasecmp(scheme, "https")))
    return "only http and https URLs are fetched";
  if (!strcasecmp(from_scheme, "https") && !strcasecmp(scheme, "http")) return "https to http is always refused";
  if (!strcasecmp(scheme, from_scheme) && host && !strcasecmp(host, from_host) && port == from_port) return NULL;
  for (size_t i = 0; host && i < nallow; i++)
    if (allow_entry_matches(allow[i], host, port)) return NULL;
  return "another origin than source.url's; list its host in source.allow_hosts to allow it";
}

typedef struct origin {
  const char *scheme, *host; /* lowercase (arena); host "" when the URL has none (file:///) */
  long port;                 /* explicit, else the scheme's default; 0 when unknown */
} origin;

/* Splits url into its origin; -1 when it is not a URL. */
static int url_origin(ingest_ctx *cx, const char *url, origin *o) {
  CURLU *u = curl_url();
  char *scheme = NULL, *host = NULL, *port = NULL;
  int rc = -1;
  if (u && !curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) &&
      !curl_url_get(u, CURLUPART_SCHEME, &scheme, 0)) {
    curl_url_get(u, CURLUPART_HOST, &host, 0);
    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    char *sc = floe_arena_strdup(cx->ar, scheme), *h = floe_arena_strdup(cx->ar, host ? host : "");
    for (char *c = sc; c && *c; c++) *c = (char)tolower((unsigned char)*c);
    for (char *c = h; c && *c; c++) *c = (char)tolower((unsigned char)*c);
    *o = (origin){sc, h, port ? strtol(port, NULL, 10) : 0};
    rc = sc && h ? 0 : -1;
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return rc;
}

/* A short excerpt of remote text for a message: secrets redacted before it is cut (so a secret cut in two
 * cannot slip through), control characters shown as spaces, at most max bytes (arena). */
static const char *excerpt(ingest_ctx *cx, const char *text, size_t len, size_t max) {
  const char *s = ingest_redact(cx, floe_arena_strndup(cx->ar, text, len < 4096 ? len : 4096));
  if (!s) return "";
  size_t n = strlen(s);
  bool cut = n > max;
  if (cut)
    for (n = max; n && ((unsigned char)s[n] & 0xC0) == 0x80;) n--; /* not inside a UTF-8 sequence */
  char *e = floe_arena_printf(cx->ar, "%.*s%s", (int)n, s, cut ? "..." : "");
  for (char *c = e; e && *c; c++)
    if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = ' ';
  return e ? e : "";
}

/* A URL as messages show it: redacted, at most URL_EXCERPT bytes (a next page's URL comes from the API). */
static const char *shown_url(ingest_ctx *cx, const char *url) { return excerpt(cx, url, strlen(url), URL_EXCERPT); }

typedef struct http_src {
  ingest_ctx *cx;
  CURL *h;
  struct curl_slist *hdrs;
  double timeout, rate, backoff, max_backoff;
  int max_retries;
  origin home;                /* source.url's: where the headers may go */
  const char *const *allow;   /* source.allow_hosts (arena) */
  size_t nallow;
  const char *final_url;      /* the URL that answered the last request (after redirects; arena) */
  int64_t next_at_us; /* monotonic time before which no request starts (rate limit) */
  int64_t requests, retries;
  double http_s;
} http_src;

/* 0 when a request may go to url; else an error saying why not. from names the request that led
 * there, how the way (a next page, a redirect). */
static int check_target(http_src *s, const char *url, const char *from, const char *how, floe_err *err) {
  ingest_ctx *cx = s->cx;
  origin o;
  const char *why = url_origin(cx, url, &o) ? "not a URL"
                                             : ingest_http_refusal(s->home.scheme, s->home.host, s->home.port, o.scheme,
                                                                   o.host, o.port, s->allow, s->nallow);
  if (!why) return 0;
  return floe_err_set(err, FLOE_EINPUT, "GET %s: refused to follow %s to %s: %s", shown_url(cx, from), how,
                      shown_url(cx, url), why);
}

/* One GET of url, redirects followed here (libcurl's following is off) so that each target passes
 * check_target before any header is sent to it. *cc and *status: the last hop's outcome. */
static int fetch(http_src *s, const char *url, resp *r, CURLcode *cc, long *status, floe_err *err) {
  const char *at = url;
  for (int hops = 0;; hops++) {
    floe_buf_reset(&r->body);
    r->too_big = false;
    r->retry_after = -1;
    r->next[0] = 0;
    curl_easy_setopt(s->h, CURLOPT_URL, at);
    *cc = curl_easy_perform(s->h);
    s->requests++;
    *status = 0;
    s->final_url = at;
    if (*cc != CURLE_OK) return 0;
    curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, status);
    char *loc = NULL;
    if (*status < 300 || *status > 399 || curl_easy_getinfo(s->h, CURLINFO_REDIRECT_URL, &loc) || !loc) return 0;
    if (hops == MAX_REDIRECTS)
      return floe_err_set(err, FLOE_EINPUT, "GET %s: more than %d redirects", shown_url(s->cx, url),
                          MAX_REDIRECTS);
    const char *how = floe_arena_printf(s->cx->ar, "a redirect (HTTP %ld)", *status);
    int rc = check_target(s, loc, at, how, err);
    if (rc) return rc;
    at = floe_arena_strdup(s->cx->ar, loc);
  }
}

/* GET url into r with retries; 0 with a 2xx response, else an error naming the redacted URL. */
static int http_get(http_src *s, const char *url, resp *r, floe_err *err) {
  ingest_ctx *cx = s->cx;
  for (int attempt = 0;; attempt++) {
    if (s->rate > 0) {
      int64_t now = floe_mono_us();
      if (now < s->next_at_us) floe_sleep_ms((int)((s->next_at_us - now + 999) / 1000));
      s->next_at_us = floe_mono_us() + (int64_t)(1e6 / s->rate);
    }
    CURLcode cc;
    long status;
    int64_t t0 = floe_mono_us();
    int rc = fetch(s, url, r, &cc, &status, err);
    s->http_s += (double)(floe_mono_us() - t0) / 1e6;
    if (rc) return rc;
    if (cc == CURLE_OK && status >= 200 && status < 300) return 0;
    if (r->too_big)
      return floe_err_set(err, FLOE_EINPUT, "GET %s: the response is larger than source.max_page_bytes = %zu bytes "
                          "(after decompression); raise max_page_bytes if the API's pages really are that large",
                          shown_url(cx, url), r->max_body);
    bool transient = cc != CURLE_OK ? (cc != CURLE_URL_MALFORMAT && cc != CURLE_UNSUPPORTED_PROTOCOL &&
                                        cc != CURLE_WRITE_ERROR)
                                    : (status == 429 || status >= 500);
    if (transient && attempt < s->max_retries) {
      double wait = r->retry_after >= 0 ? r->retry_after : s->backoff * pow(2, attempt);
      if (wait > s->max_backoff) wait = s->max_backoff;
      wait *= 1.0 + 0.1 * ((double)(floe_random_u64() % 1000) / 1000.0); /* jitter */
      s->retries++;
      fprintf(stderr, "floe: GET %s: %s; retry %d of %d in %.1fs\n", shown_url(cx, url),
              cc != CURLE_OK ? curl_easy_strerror(cc) : floe_arena_printf(cx->ar, "HTTP %ld", status), attempt + 1,
              s->max_retries, wait);
      floe_sleep_ms((int)(wait * 1000));
      continue;
    }
    const char *tries = attempt ? floe_arena_printf(cx->ar, " after %d attempts", attempt + 1) : "";
    if (cc != CURLE_OK)
      return floe_err_set(err, FLOE_EFAILED, "GET %s: %s%s", shown_url(cx, url), curl_easy_strerror(cc), tries);
    return floe_err_set(err, FLOE_EFAILED, "GET %s: HTTP %ld%s: %s", shown_url(cx, url), status, tries,
                        excerpt(cx, floe_buf_str(&r->body), r->body.len, BODY_EXCERPT));
  }
}

/* Appends "?k=v" / "&k=v" (value escaped) to b. */
static void add_param(http_src *s, floe_buf *b, const char *k, const char *v) {
  char *ek = curl_easy_escape(s->h, k, 0), *ev = curl_easy_escape(s->h, v, 0);
  floe_buf_printf(b, "%c%s=%s", strchr(floe_buf_str(b), '?') ? '&' : '?', ek ? ek : "", ev ? ev : "");
  curl_free(ek);
  curl_free(ev);
}

static const char *opt_str(const floe_node *m, const char *k, const char *def) {
  const char *v = floe_node_scalar(floe_node_get(m, k));
  return v ? v : def;
}

/* Starts source.serve (argv) in the project directory; *pid 0 when there is none. With port_file, the
 * server gets FLOE_SERVE_PORT_FILE=<port_file> in its environment and must write the port it listens on
 * there (write a temporary file, then rename it); *port is read back, waiting up to timeout seconds.
 * Like every child of floe it gets no secret from the environment, and its output is the step's (redacted). */
static int start_server(ingest_ctx *cx, const char *port_file, double timeout, pid_t *pid, long *port, floe_err *err) {
  *pid = 0;
  const floe_node *sv = floe_node_get(cx->a->source, "serve");
  if (!sv) return 0;
  if (sv->type != FLOE_NODE_SEQ || !sv->len) return ingest_fail_at(err, sv, "source.serve: expected a list of strings (argv)");
  const char **argv = floe_arena_alloc(cx->ar, (sv->len + 1) * sizeof *argv);
  if (!argv) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  for (size_t i = 0; i < sv->len; i++)
    if (!(argv[i] = floe_node_scalar(sv->items[i]))) return ingest_fail_at(err, sv->items[i], "source.serve: expected a string");
  /* the helper gets what a command does: no secrets (floe_secrets_child_env), its port file */
  const char *set[1] = {port_file ? floe_arena_printf(cx->ar, "FLOE_SERVE_PORT_FILE=%s", port_file) : NULL};
  static const char *const drop[] = {"FLOE_SERVE_PORT_FILE=", NULL};
  char **envp;
  int rc = floe_secrets_child_env(cx->p->secrets_prefix, drop, set, 1, cx->ar, &envp, NULL, err);
  if (rc) return rc;
  fflush(stdout);
  fflush(stderr);
  pid_t p = fork();
  if (p < 0) return floe_err_set(err, FLOE_ESPAWN, "source.serve: cannot fork: %s", strerror(errno));
  if (p == 0) {
    if (chdir(cx->p->dir) == 0) execvpe(argv[0], (char *const *)argv, envp);
    fprintf(stderr, "floe: source.serve: cannot run '%s': %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  *pid = p;
  if (!port_file) return 0;
  for (int64_t deadline = floe_mono_us() + (int64_t)(timeout * 1e6);; floe_sleep_ms(20)) {
    FILE *f = fopen(port_file, "r");
    if (f) {
      long v = 0;
      int got = fscanf(f, "%ld", &v);
      fclose(f);
      if (got == 1 && v > 0 && v < 65536) {
        *port = v;
        return 0;
      }
    }
    int st;
    if (waitpid(p, &st, WNOHANG) == p) {
      *pid = 0;
      return ingest_fail_at(err, sv, "source.serve: the server exited before writing its port to $FLOE_SERVE_PORT_FILE");
    }
    if (floe_mono_us() > deadline)
      return ingest_fail_at(err, sv, "source.serve: no port in $FLOE_SERVE_PORT_FILE after %.0f s (source.timeout)", timeout);
  }
}

static void stop_server(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
}

/* ---- pagination: one strategy per pagination.type */

typedef struct pager {
  const struct strategy *st;
  const floe_node *node, *opts; /* source.pagination; its mapping (NULL when it is a bare name) */
  double page, size, limit;
  int64_t offset;
  const char *path;             /* cursor: cursor_path; next_url: next_path */
  char *cursor;                 /* cursor: the last one (malloc) */
  char *next_url;               /* link, next_url: the next page's absolute URL (malloc); NULL: none */
} pager;

/* What a page showed: its JSON body, response headers, the URL that answered, its record count. */
typedef struct page_seen {
  json_t *body;
  const resp *r;
  const char *url;
  size_t n;
} page_seen;

typedef struct strategy {
  const char *name;
  int (*setup)(pager *pg, floe_err *err);                  /* reads its pagination keys; NULL: none */
  void (*request)(http_src *s, pager *pg, floe_buf *url); /* adds the page's params to the base URL; NULL: none */
  bool (*advance)(pager *pg, const page_seen *ps);        /* whether there is a next page; moves to it */
} strategy;

/* The required key of a strategy (cursor_path, next_path) into pg->path. */
static int need_path(pager *pg, const char *key, const char *what, floe_err *err) {
  if ((pg->path = opt_str(pg->opts, key, NULL))) return 0;
  return ingest_fail_at(err, pg->node, "source.pagination.%s: missing; expected %s", key, what);
}

/* ref (absolute or relative) resolved against base (malloc); ref itself when that fails, for
 * check_target to refuse with a reason. */
static char *resolve_url(const char *base, const char *ref) {
  CURLU *cu = curl_url();
  char *abs = NULL, *out = NULL;
  if (cu && !curl_url_set(cu, CURLUPART_URL, base, 0) && !curl_url_set(cu, CURLUPART_URL, ref, CURLU_NON_SUPPORT_SCHEME) &&
      !curl_url_get(cu, CURLUPART_URL, &abs, 0))
    out = strdup(abs);
  curl_free(abs);
  curl_url_cleanup(cu);
  return out ? out : strdup(ref);
}

static bool none_advance(pager *pg, const page_seen *ps) {
  (void)pg, (void)ps;
  return false;
}

static int page_setup(pager *pg, floe_err *err) {
  int rc = ingest_num(floe_node_get(pg->opts, "start"), "source.pagination.start", 1, &pg->page, err);
  return rc ? rc : ingest_num(floe_node_get(pg->opts, "size"), "source.pagination.size", 0, &pg->size, err);
}
static void page_request(http_src *s, pager *pg, floe_buf *url) {
  add_param(s, url, opt_str(pg->opts, "page_param", "page"), floe_arena_printf(s->cx->ar, "%.0f", pg->page));
  if (pg->size > 0)
    add_param(s, url, opt_str(pg->opts, "size_param", "per_page"), floe_arena_printf(s->cx->ar, "%.0f", pg->size));
}
static bool page_advance(pager *pg, const page_seen *ps) {
  pg->page += 1;
  return ps->n > 0 && !(pg->size > 0 && ps->n < (size_t)pg->size);
}

static int offset_setup(pager *pg, floe_err *err) {
  return ingest_num(floe_node_get(pg->opts, "limit"), "source.pagination.limit", 100, &pg->limit, err);
}
static void offset_request(http_src *s, pager *pg, floe_buf *url) {
  add_param(s, url, opt_str(pg->opts, "offset_param", "offset"), floe_arena_printf(s->cx->ar, "%lld", (long long)pg->offset));
  add_param(s, url, opt_str(pg->opts, "limit_param", "limit"), floe_arena_printf(s->cx->ar, "%.0f", pg->limit));
}
static bool offset_advance(pager *pg, const page_seen *ps) {
  pg->offset += (int64_t)ps->n;
  return ps->n > 0 && ps->n >= (size_t)pg->limit;
}

static int cursor_setup(pager *pg, floe_err *err) {
  return need_path(pg, "cursor_path", "the path of the next cursor in the response (e.g. meta.next_cursor)", err);
}
static void cursor_request(http_src *s, pager *pg, floe_buf *url) {
  if (pg->cursor) add_param(s, url, opt_str(pg->opts, "cursor_param", "cursor"), pg->cursor);
}
static bool cursor_advance(pager *pg, const page_seen *ps) {
  json_t *c = ingest_json_path(ps->body, pg->path);
  char *nc = json_is_string(c) ? strdup(json_string_value(c))
             : json_is_integer(c) ? (asprintf(&nc, "%lld", (long long)json_integer_value(c)) < 0 ? NULL : nc)
                                  : NULL;
  bool more = nc && nc[0] && ps->n > 0 && !(pg->cursor && !strcmp(pg->cursor, nc)); /* a repeat would loop */
  free(pg->cursor);
  pg->cursor = nc;
  return more;
}

static bool link_advance(pager *pg, const page_seen *ps) {
  if (ps->r->next[0]) pg->next_url = resolve_url(ps->url, ps->r->next);
  return pg->next_url != NULL;
}

static int next_url_setup(pager *pg, floe_err *err) {
  return need_path(pg, "next_path", "the path of the next page's URL", err);
}
static bool next_url_advance(pager *pg, const page_seen *ps) {
  json_t *nu = ingest_json_path(ps->body, pg->path);
  if (json_is_string(nu) && json_string_length(nu)) pg->next_url = resolve_url(ps->url, json_string_value(nu));
  return pg->next_url != NULL;
}

static const strategy strategies[] = {
  {"none", NULL, NULL, none_advance},
  {"page", page_setup, page_request, page_advance},
  {"offset", offset_setup, offset_request, offset_advance},
  {"cursor", cursor_setup, cursor_request, cursor_advance},
  {"link", NULL, NULL, link_advance},           /* RFC 8288 Link: <url>; rel="next" */
  {"next_url", next_url_setup, NULL, next_url_advance},
};

static int pager_setup(ingest_ctx *cx, pager *pg, floe_err *err) {
  const floe_node *n = floe_node_get(cx->a->source, "pagination");
  const char *name = n ? (n->type == FLOE_NODE_SCALAR ? n->str : opt_str(n, "type", NULL)) : "none";
  *pg = (pager){.node = n, .opts = n && n->type == FLOE_NODE_MAP ? n : NULL};
  for (size_t i = 0; name && i < sizeof strategies / sizeof strategies[0]; i++)
    if (!strcmp(name, strategies[i].name)) pg->st = &strategies[i];
  if (!pg->st) {
    floe_buf names;
    floe_buf_init(&names, 0);
    for (size_t i = 0; i < sizeof strategies / sizeof strategies[0]; i++)
      floe_buf_printf(&names, "%s%s", i ? ", " : "", strategies[i].name);
    int rc = ingest_fail_at(err, n, "source.pagination.type: unknown '%s'; expected one of %s", name ? name : "",
                            floe_buf_str(&names));
    floe_buf_free(&names);
    return rc;
  }
  return pg->st->setup ? pg->st->setup(pg, err) : 0;
}

/* ---- the phases of a read: open the source, set up the requests, fetch the pages, stage them */

/* source.url, checked, with the local server (source.serve) started and {port} replaced. */
static int open_url(ingest_ctx *cx, const char **url, pid_t *server, floe_err *err) {
  const floe_node *src = cx->a->source, *un = floe_node_get(src, "url");
  const char *u;
  int rc;
  if ((rc = ingest_value(cx, un, "source.url", &u, err))) return rc;
  if (!u || !u[0]) return ingest_fail_at(err, src, "source.url: missing; expected the URL of the JSON API");
  if (strncasecmp(u, "http://", 7) && strncasecmp(u, "https://", 8))
    return ingest_fail_at(err, un, "source.url: expected an http:// or https:// URL, found '%s'", ingest_redact(cx, u));
  if ((rc = floe_curl_load(err))) return rc;
  /* a local server (source.serve); when the URL holds {port}, it picks a free port and tells us */
  bool want_port = strstr(u, "{port}") != NULL;
  const char *port_file = NULL;
  long port = 0;
  double serve_timeout;
  if ((rc = ingest_num(floe_node_get(src, "timeout"), "source.timeout", 30, &serve_timeout, err))) return rc;
  if (want_port && !floe_node_get(src, "serve"))
    return ingest_fail_at(err, un, "source.url: {port} needs source.serve (a server that writes its port to "
                                   "$FLOE_SERVE_PORT_FILE)");
  if (want_port && (rc = ingest_stage_path(cx, "serve.port", &port_file, err))) return rc;
  if ((rc = start_server(cx, port_file, serve_timeout, server, &port, err))) return rc;
  if (want_port) { /* "${port}" or "{port}" -> the port */
    floe_buf sub;
    floe_buf_init(&sub, 0);
    for (const char *c = u; *c;) {
      if (!strncmp(c, "${port}", 7) || !strncmp(c, "{port}", 6)) {
        floe_buf_printf(&sub, "%ld", port);
        c += *c == '$' ? 7 : 6;
      } else {
        floe_buf_putc(&sub, *c++);
      }
    }
    u = floe_arena_strdup(cx->ar, floe_buf_str(&sub));
    floe_buf_free(&sub);
  }
  *url = u;
  return 0;
}

/* source.allow_hosts: a list of host names (or host:port) into s->allow. */
static int read_allow_hosts(http_src *s, floe_err *err) {
  const floe_node *n = floe_node_get(s->cx->a->source, "allow_hosts");
  if (!n || floe_node_is_null(n)) return 0;
  if (n->type != FLOE_NODE_SEQ) return ingest_fail_at(err, n, "source.allow_hosts: expected a list of host names");
  const char **allow = floe_arena_alloc(s->cx->ar, (n->len + 1) * sizeof *allow);
  if (!allow) return floe_err_set(err, FLOE_ENOMEM, "out of memory");
  for (size_t i = 0; i < n->len; i++) {
    const char *h = floe_node_scalar(n->items[i]);
    if (!h || !h[0] || strpbrk(h, "/?#@ "))
      return ingest_fail_at(err, n->items[i], "source.allow_hosts: expected a host name such as api.example.com "
                                              "(or host:port), not a URL");
    allow[i] = h;
  }
  s->allow = allow;
  s->nallow = n->len;
  return 0;
}

/* The numeric options, the headers (secrets resolved) and the libcurl handle. */
static int setup_requests(http_src *s, resp *r, double *max_pages, floe_err *err) {
  ingest_ctx *cx = s->cx;
  const floe_node *src = cx->a->source, *retry = floe_node_get(src, "retry");
  double v, max_body;
  int rc;
  if ((rc = ingest_num(floe_node_get(src, "timeout"), "source.timeout", 30, &s->timeout, err)) ||
      (rc = ingest_num(floe_node_get(src, "rate_limit"), "source.rate_limit", 0, &s->rate, err)) ||
      (rc = ingest_num(floe_node_get(retry, "max_retries"), "source.retry.max_retries", 5, &v, err)) ||
      (rc = ingest_num(floe_node_get(retry, "backoff"), "source.retry.backoff", 0.5, &s->backoff, err)) ||
      (rc = ingest_num(floe_node_get(retry, "max_backoff"), "source.retry.max_backoff", 60, &s->max_backoff, err)) ||
      (rc = ingest_num(floe_node_get(src, "max_pages"), "source.max_pages", 100000, max_pages, err)) ||
      (rc = ingest_num(floe_node_get(src, "max_page_bytes"), "source.max_page_bytes", DEFAULT_MAX_PAGE_BYTES,
                       &max_body, err)) ||
      (rc = read_allow_hosts(s, err)))
    return rc;
  s->max_retries = (int)v;
  r->max_body = max_body < 1 ? 1 : max_body > 1e18 ? (size_t)1e18 : (size_t)max_body;
  s->hdrs = curl_slist_append(s->hdrs, "Accept: application/json");
  const floe_node *hn = floe_node_get(src, "headers");
  if (hn && hn->type != FLOE_NODE_MAP) return ingest_fail_at(err, hn, "source.headers: expected a mapping Name: value");
  for (size_t i = 0; hn && i < hn->len; i++) {
    const char *hv;
    char what[300];
    snprintf(what, sizeof what, "source.headers.%s", hn->keys[i]);
    if ((rc = ingest_value(cx, hn->items[i], what, &hv, err))) return rc;
    s->hdrs = curl_slist_append(s->hdrs, floe_arena_printf(cx->ar, "%s: %s", hn->keys[i], hv ? hv : ""));
  }
  const char *tok;
  if ((rc = ingest_value(cx, floe_node_get(src, "bearer_token"), "source.bearer_token", &tok, err))) return rc;
  if (tok) s->hdrs = curl_slist_append(s->hdrs, floe_arena_printf(cx->ar, "Authorization: Bearer %s", tok));
  curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, s->hdrs);
  curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(s->h, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(s->h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(s->h, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(s->h, CURLOPT_TIMEOUT_MS, (long)(s->timeout * 1000));
  curl_easy_setopt(s->h, CURLOPT_CONNECTTIMEOUT_MS, (long)(s->timeout * 1000));
  curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(s->h, CURLOPT_FOLLOWLOCATION, 0L); /* fetch() follows, checking each hop */
  curl_easy_setopt(s->h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(s->h, CURLOPT_USERAGENT, "floe-ingest/1");
  /* a second guard behind check_target: libcurl itself speaks nothing but HTTP(S) */
  if (curl_easy_setopt(s->h, CURLOPT_PROTOCOLS_STR, "http,https") ||
      curl_easy_setopt(s->h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"))
    return floe_err_set(err, FLOE_EUNSUPPORTED, "libcurl is too old: http_json needs 7.85 or newer");
  return 0;
}

/* The base URL: source.url with source.params (secrets redacted in their URL-escaped form too). */
static int base_url(http_src *s, const char *u, floe_buf *base, floe_err *err) {
  ingest_ctx *cx = s->cx;
  const floe_node *pn = floe_node_get(cx->a->source, "params");
  if (pn && pn->type != FLOE_NODE_MAP) return ingest_fail_at(err, pn, "source.params: expected a mapping name: value");
  floe_buf_puts(base, u);
  for (size_t i = 0; pn && i < pn->len; i++) {
    const char *pv;
    char what[300];
    snprintf(what, sizeof what, "source.params.%s", pn->keys[i]);
    int rc = ingest_value(cx, pn->items[i], what, &pv, err);
    if (rc) return rc;
    if (pn->items[i]->type == FLOE_NODE_MAP && pv) { /* a secret: redact its URL-escaped form too */
      char *ev = curl_easy_escape(s->h, pv, 0);
      if (ev && cx->sec && floe_secrets_add_redaction(cx->sec, ev, strlen(ev))) rc = FLOE_ENOMEM;
      curl_free(ev);
      if (rc) return floe_err_set(err, rc, "out of memory");
    }
    add_param(s, base, pn->keys[i], pv ? pv : "");
  }
  if (url_origin(cx, floe_buf_str(base), &s->home))
    return ingest_fail_at(err, floe_node_get(cx->a->source, "url"), "source.url: not a valid URL: %s",
                          ingest_redact(cx, floe_buf_str(base)));
  return 0;
}

/* ---- a page's records, read without the whole body's tree: jansson builds ~40 bytes of tree per byte of
 * small records (a 60 MiB page took 2.4 GB), so a scanner finds the records array, each record is parsed
 * alone, and the rest of the body — the array emptied — is parsed for pagination. Memory: the body (at
 * most max_page_bytes) and one record. The scanner checks only the structure; jansson checks the rest. */

#define MAX_DEPTH 1024 /* nesting; deeper is malformed (and would exhaust the stack) */

static const char *skip_ws(const char *p, const char *e) {
  while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

/* p at '"': past the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *e) {
  for (p++; p < e; p++) {
    if (*p == '\\') p++;
    else if (*p == '"') return p + 1;
  }
  return NULL;
}

typedef struct jcur { /* walks the members of one object or array */
  const char *p, *e;
  char close;
  bool first;
  int depth;
} jcur;

static bool jopen(jcur *c, const char *p, const char *e, int depth) {
  p = skip_ws(p, e);
  if (p >= e || (*p != '{' && *p != '[') || depth >= MAX_DEPTH) return false;
  *c = (jcur){p + 1, e, *p == '{' ? '}' : ']', true, depth};
  return true;
}

static const char *skip_value(const char *p, const char *e, int depth);

/* The next member: its key's raw text [*ks, *ke) (objects), its value [*v, *ve); 1, 0 at the end, -1 malformed. */
static int jnext(jcur *c, const char **ks, const char **ke, const char **v, const char **ve) {
  const char *p = skip_ws(c->p, c->e), *e = c->e;
  if (p >= e) return -1;
  if (*p == c->close) {
    c->p = p + 1;
    return 0;
  }
  if (!c->first) {
    if (*p != ',') return -1;
    p = skip_ws(p + 1, e);
  }
  c->first = false;
  if (c->close == '}') {
    const char *q = p < e && *p == '"' ? skip_string(p, e) : NULL;
    if (!q) return -1;
    *ks = p + 1, *ke = q - 1;
    p = skip_ws(q, e);
    if (p >= e || *p != ':') return -1;
    p++;
  }
  *v = skip_ws(p, e);
  if (!(*ve = skip_value(*v, e, c->depth + 1))) return -1;
  c->p = *ve;
  return 1;
}

/* The end of the JSON value at p (after whitespace), or NULL when it is cut or malformed. */
static const char *skip_value(const char *p, const char *e, int depth) {
  p = skip_ws(p, e);
  if (p < e && *p == '"') return skip_string(p, e);
  if (p < e && *p != '{' && *p != '[') { /* number, true, false, null: jansson checks the spelling */
    const char *s = p;
    while (p < e && (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')) p++;
    return p > s ? p : NULL;
  }
  jcur c;
  const char *ks, *ke, *v, *ve;
  int r;
  if (!jopen(&c, p, e, depth)) return NULL;
  while ((r = jnext(&c, &ks, &ke, &v, &ve)) == 1) {}
  return r ? NULL : c.p;
}

/* Whether the raw key text [ks, ke) is the n bytes of seg (escapes decoded when there are any). */
static bool key_is(const char *ks, const char *ke, const char *seg, size_t n) {
  if (!memchr(ks, '\\', (size_t)(ke - ks))) return (size_t)(ke - ks) == n && !memcmp(ks, seg, n);
  json_t *k = json_loadb(ks - 1, (size_t)(ke - ks) + 2, JSON_DECODE_ANY, NULL);
  bool eq = json_is_string(k) && json_string_length(k) == n && !memcmp(json_string_value(k), seg, n);
  json_decref(k);
  return eq;
}

/* A dotted path as ingest_json_path reads it: without "$" and a leading "."; "" for the body itself. */
static const char *norm_path(const char *path) {
  if (!path) return "";
  if (path[0] == '$') path++;
  if (path[0] == '.') path++;
  return path;
}

/* The text [*a, *b) of the value at path in the JSON text [p, e), walked as ingest_json_path walks a tree
 * (the last of duplicate keys wins, as in jansson); false when absent or malformed. */
static bool find_path(const char *p, const char *e, const char *path, const char **a, const char **b) {
  for (path = norm_path(path); *path;) {
    const char *dot = strchr(path, '.'), *ks, *ke, *v, *ve, *found = NULL;
    size_t n = dot ? (size_t)(dot - path) : strlen(path);
    char *end;
    long want = strtol(path, &end, 10);
    bool index = end == path + n && n;
    jcur c;
    int r;
    if (!jopen(&c, p, e, 0)) return false;
    for (long i = 0; (r = jnext(&c, &ks, &ke, &v, &ve)) == 1; i++)
      if (c.close == '}' ? key_is(ks, ke, path, n) : index && i == want) found = v;
    if (r || !found) return false;
    p = found;
    path += n;
    if (*path == '.') path++;
  }
  p = skip_ws(p, e);
  *b = skip_value(p, e, 0);
  *a = p;
  return *b != NULL;
}

bool ingest_json_find(const char *text, size_t len, const char *path, size_t *start, size_t *end) {
  const char *a, *b;
  if (!find_path(text, text + len, path, &a, &b)) return false;
  *start = (size_t)(a - text), *end = (size_t)(b - text);
  return true;
}

/* "GET url: the response is not JSON (line L: why); it starts: ..." for an error at byte pos of the body. */
static int not_json(ingest_ctx *cx, const char *url, const floe_buf *body, size_t pos, const char *why, floe_err *err) {
  int line = 1;
  for (size_t i = 0; i < pos && i < body->len; i++) line += body->p[i] == '\n';
  return floe_err_set(err, FLOE_EINPUT, "GET %s: the response is not JSON (line %d: %s); it starts: %s",
                      shown_url(cx, url), line, excerpt(cx, why, strlen(why), BODY_EXCERPT),
                      excerpt(cx, floe_buf_str(body), body->len, BODY_EXCERPT));
}

/* Writes one record as an NDJSON line: an object as it is, anything else as {"value": x}. */
static void write_record(json_t *rec, FILE *out) {
  if (json_is_object(rec)) {
    json_dumpf(rec, out, JSON_COMPACT);
  } else {
    json_t *w = json_pack("{sO}", "value", rec);
    json_dumpf(w, out, JSON_COMPACT);
    json_decref(w);
  }
  fputc('\n', out);
}

/* The records array [a, b) of the body, element by element, to out; *rest: the body with the array emptied. */
static int stage_array(ingest_ctx *cx, const resp *r, const char *a, const char *b, const char *url, FILE *out,
                       size_t *n, json_t **rest, floe_err *err) {
  const char *body = floe_buf_str(&r->body), *ks, *ke, *v, *ve;
  jcur c;
  json_error_t je;
  if (!jopen(&c, a, b, 0)) return not_json(cx, url, &r->body, (size_t)(a - body), "not an array", err);
  while (jnext(&c, &ks, &ke, &v, &ve) == 1) {
    json_t *rec = json_loadb(v, (size_t)(ve - v), JSON_DECODE_ANY, &je);
    if (!rec) return not_json(cx, url, &r->body, (size_t)(v - body) + (size_t)je.position, je.text, err);
    write_record(rec, out);
    json_decref(rec);
    (*n)++;
  }
  floe_buf skel; /* the body with "[]" for the array */
  floe_buf_init(&skel, 0);
  floe_buf_append(&skel, body, (size_t)(a - body));
  floe_buf_puts(&skel, "[]");
  floe_buf_append(&skel, b, r->body.len - (size_t)(b - body));
  int rc = skel.oom ? floe_err_set(err, FLOE_ENOMEM, "out of memory") : 0;
  if (!rc && !(*rest = json_loadb(floe_buf_str(&skel), skel.len, 0, &je))) {
    size_t pos = (size_t)je.position, at = (size_t)(a - body);
    rc = not_json(cx, url, &r->body, pos <= at ? pos : pos + (size_t)(b - a) - 2, je.text, err);
  }
  floe_buf_free(&skel);
  return rc;
}

/* Appends the records of a page (at source.records) to out as NDJSON lines; *n: how many; *body: the
 * body for the pagination strategy (the records array emptied when it was read element by element). */
static int stage_records(ingest_ctx *cx, const pager *pg, const resp *r, bool first, const char *url, FILE *out,
                         size_t *n, json_t **body, floe_err *err) {
  const char *records = floe_node_scalar(floe_node_get(cx->a->source, "records"));
  const char *text = floe_buf_str(&r->body), *a, *b, *rp = norm_path(records), *pp = norm_path(pg->path);
  size_t rl = strlen(rp);
  /* the strategy's path inside the records (e.g. items.99.id) needs them in the tree */
  bool inside = pg->path && (!rl || (!strncmp(pp, rp, rl) && (!pp[rl] || pp[rl] == '.')));
  *n = 0;
  *body = NULL;
  if (!inside && find_path(text, text + r->body.len, records, &a, &b) && *a == '[')
    return stage_array(cx, r, a, b, url, out, n, body, err);
  json_error_t je;
  if (!(*body = json_loadb(text, r->body.len, 0, &je))) return not_json(cx, url, &r->body, (size_t)je.position, je.text, err);
  json_t *recs = ingest_json_path(*body, records);
  if (json_is_array(recs)) {
    size_t i;
    json_t *rec;
    json_array_foreach(recs, i, rec) write_record(rec, out);
    *n = json_array_size(recs);
  } else if (json_is_object(recs)) {
    write_record(recs, out);
    *n = 1;
  } else if (recs && !json_is_null(recs)) {
    return floe_err_set(err, FLOE_EINPUT, "GET %s: source.records '%s' is not a list of records", shown_url(cx, url),
                        records ? records : "");
  } else if (records && first) {
    return floe_err_set(err, FLOE_EINPUT, "GET %s: the response has no '%s' (source.records)", shown_url(cx, url),
                        records);
  }
  return 0;
}

/* Fetches page after page as the pagination strategy says, staging the records to out. */
static int fetch_pages(http_src *s, pager *pg, const floe_buf *base, resp *r, FILE *out, double max_pages,
                       int64_t *rows, int64_t *pages, floe_err *err) {
  ingest_ctx *cx = s->cx;
  floe_buf url;
  floe_buf_init(&url, 0);
  int rc = 0;
  const char *prev = NULL;
  for (;;) {
    floe_buf_reset(&url);
    if (pg->next_url) {
      if ((rc = check_target(s, pg->next_url, prev, "the next page", err))) break;
      floe_buf_puts(&url, pg->next_url);
    } else {
      floe_buf_puts(&url, floe_buf_str(base));
      if (pg->st->request) pg->st->request(s, pg, &url);
    }
    const char *asked = floe_arena_strdup(cx->ar, floe_buf_str(&url));
    if ((rc = http_get(s, asked, r, err))) break;
    (*pages)++;
    page_seen ps = {NULL, r, s->final_url, 0};
    if ((rc = stage_records(cx, pg, r, *pages == 1, asked, out, &ps.n, &ps.body, err))) {
      json_decref(ps.body);
      break;
    }
    json_t *body = ps.body;
    *rows += (int64_t)ps.n;
    free(pg->next_url);
    pg->next_url = NULL;
    bool more = pg->st->advance(pg, &ps);
    json_decref(body);
    if (!more) break;
    if (*pages >= (int64_t)max_pages) {
      fprintf(stderr, "floe: %s: stopped after source.max_pages=%lld pages\n", cx->label, (long long)*pages);
      break;
    }
    prev = s->final_url;
  }
  floe_buf_free(&url);
  return rc;
}

int ingest_http_select(ingest_ctx *cx, char **select, floe_err *err) {
  pid_t server = 0;
  http_src s = {.cx = cx};
  resp r = {0};
  floe_buf_init(&r.body, 0);
  floe_buf base;
  floe_buf_init(&base, 0);
  pager pg = {0};
  FILE *out = NULL;
  const char *path = NULL, *u = NULL;
  double max_pages;
  int64_t rows = 0, pages = 0;
  int rc;
  if ((rc = open_url(cx, &u, &server, err))) goto done;
  if (!(s.h = curl_easy_init())) {
    rc = floe_err_set(err, FLOE_ENOMEM, "curl_easy_init failed");
    goto done;
  }
  if ((rc = setup_requests(&s, &r, &max_pages, err)) || (rc = base_url(&s, u, &base, err))) goto done;
  cx->label = floe_arena_strdup(cx->ar, ingest_redact(cx, floe_buf_str(&base)));
  if ((rc = pager_setup(cx, &pg, err)) || (rc = ingest_stage_path(cx, "records.ndjson", &path, err))) goto done;
  if (!(out = fopen(path, "w"))) {
    rc = floe_err_set(err, FLOE_EIO, "cannot create %s", path);
    goto done;
  }
  if ((rc = fetch_pages(&s, &pg, &base, &r, out, max_pages, &rows, &pages, err))) goto done;
  int closed = fclose(out);
  out = NULL;
  if (closed) {
    rc = floe_err_set(err, FLOE_EIO, "cannot write %s", path);
    goto done;
  }
  cx->rows_known = rows;
  floe_buf_printf(&cx->meta, ",\"pages\":%lld,\"requests\":%lld,\"retries\":%lld,\"http_seconds\":%.3f",
                  (long long)pages, (long long)s.requests, (long long)s.retries, s.http_s);
  printf("%s: %lld records in %lld pages (%lld requests, %lld retries)\n", cx->label, (long long)rows,
         (long long)pages, (long long)s.requests, (long long)s.retries);
  rc = ingest_staged_select(cx, path, "ndjson", select, err);
done:
  stop_server(server);
  if (out) fclose(out);
  free(pg.cursor);
  free(pg.next_url);
  if (s.h) curl_easy_cleanup(s.h);
  if (s.hdrs) curl_slist_free_all(s.hdrs);
  floe_buf_free(&r.body);
  floe_buf_free(&base);
  return rc;
}
