/* http.c — the http_json source: an HTTP JSON API read page by page through libcurl (loaded on first
 * use, see dyn.h), each page's records appended to a staged NDJSON file, so memory holds one page.
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
 *     retry: {max_retries: 5, backoff: 0.5, max_backoff: 60}   # on 429, 5xx and transport errors
 *     rate_limit: 10               # requests per second
 *     timeout: 30                  # seconds per request
 *     serve: [python3, scripts/api.py] # optional: a local server started before the first request and
 *                                      # stopped after the last (examples, tests); connection errors are retried.
 *                                      # A URL holding {port} waits for the port the server writes to
 *                                      # $FLOE_SERVE_PORT_FILE, so overlapping runs never share one server
 *
 * Retry-After is honoured, as seconds or as an HTTP date (capped by retry.max_backoff). Messages name the URL with every secret replaced by ********. */
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
#include "floe/dyn.h"
#include "ingest_int.h"

typedef struct resp {
  floe_buf body;
  double retry_after; /* seconds; < 0 when absent */
  char next[4096];    /* Link rel="next" target */
} resp;

static size_t on_body(char *p, size_t sz, size_t n, void *ud) {
  resp *r = ud;
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

typedef struct http_src {
  ingest_ctx *cx;
  CURL *h;
  struct curl_slist *hdrs;
  double timeout, rate, backoff, max_backoff;
  int max_retries;
  int64_t next_at_us; /* monotonic time before which no request starts (rate limit) */
  int64_t requests, retries;
  double http_s;
} http_src;

/* GET url into r with retries; 0 with a 2xx response, else an error naming the redacted URL. */
static int http_get(http_src *s, const char *url, resp *r, floe_err *err) {
  ingest_ctx *cx = s->cx;
  for (int attempt = 0;; attempt++) {
    if (s->rate > 0) {
      int64_t now = floe_mono_us();
      if (now < s->next_at_us) floe_sleep_ms((int)((s->next_at_us - now + 999) / 1000));
      s->next_at_us = floe_mono_us() + (int64_t)(1e6 / s->rate);
    }
    floe_buf_reset(&r->body);
    r->retry_after = -1;
    r->next[0] = 0;
    curl_easy_setopt(s->h, CURLOPT_URL, url);
    int64_t t0 = floe_mono_us();
    CURLcode cc = curl_easy_perform(s->h);
    s->http_s += (double)(floe_mono_us() - t0) / 1e6;
    s->requests++;
    long status = 0;
    if (cc == CURLE_OK) curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
    if (cc == CURLE_OK && status >= 200 && status < 300) return 0;
    bool transient = cc != CURLE_OK ? (cc != CURLE_URL_MALFORMAT && cc != CURLE_UNSUPPORTED_PROTOCOL &&
                                        cc != CURLE_WRITE_ERROR)
                                    : (status == 429 || status >= 500);
    if (transient && attempt < s->max_retries) {
      double wait = r->retry_after >= 0 ? r->retry_after : s->backoff * pow(2, attempt);
      if (wait > s->max_backoff) wait = s->max_backoff;
      wait *= 1.0 + 0.1 * ((double)(floe_random_u64() % 1000) / 1000.0); /* jitter */
      s->retries++;
      fprintf(stderr, "floe: GET %s: %s; retry %d of %d in %.1fs\n", ingest_redact(cx, url),
              cc != CURLE_OK ? curl_easy_strerror(cc) : floe_arena_printf(cx->ar, "HTTP %ld", status), attempt + 1,
              s->max_retries, wait);
      floe_sleep_ms((int)(wait * 1000));
      continue;
    }
    const char *tries = attempt ? floe_arena_printf(cx->ar, " after %d attempts", attempt + 1) : "";
    if (cc != CURLE_OK)
      return floe_err_set(err, FLOE_EFAILED, "GET %s: %s%s", ingest_redact(cx, url), curl_easy_strerror(cc), tries);
    char snippet[240];
    snprintf(snippet, sizeof snippet, "%.*s", (int)(r->body.len < 200 ? r->body.len : 200), floe_buf_str(&r->body));
    for (char *c = snippet; *c; c++)
      if (*c == '\n' || *c == '\r') *c = ' ';
    return floe_err_set(err, FLOE_EFAILED, "GET %s: HTTP %ld%s: %s", ingest_redact(cx, url), status, tries,
                        ingest_redact(cx, snippet));
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

int ingest_http_select(ingest_ctx *cx, char **select, floe_err *err) {
  const floe_node *src = cx->a->source;
  pid_t server = 0;
  http_src s = {.cx = cx};
  resp r = {0};
  floe_buf_init(&r.body, 0);
  floe_buf base, url;
  floe_buf_init(&base, 0);
  floe_buf_init(&url, 0);
  FILE *out = NULL;
  const char *path = NULL;
  int rc;
  const char *u;
  if ((rc = ingest_value(cx, floe_node_get(src, "url"), "source.url", &u, err))) goto done;
  if (!u || !u[0]) {
    rc = ingest_fail_at(err, src, "source.url: missing; expected the URL of the JSON API");
    goto done;
  }
  if ((rc = floe_curl_load(err))) goto done;
  /* a local server (source.serve); when the URL holds {port}, it picks a free port and tells us */
  bool want_port = strstr(u, "{port}") != NULL;
  const char *port_file = NULL;
  long port = 0;
  double serve_timeout;
  if ((rc = ingest_num(floe_node_get(src, "timeout"), "source.timeout", 30, &serve_timeout, err))) goto done;
  if (want_port && !floe_node_get(src, "serve")) {
    rc = ingest_fail_at(err, floe_node_get(src, "url"), "source.url: {port} needs source.serve (a server that writes "
                                                        "its port to $FLOE_SERVE_PORT_FILE)");
    goto done;
  }
  if (want_port && (rc = ingest_stage_path(cx, "serve.port", &port_file, err))) goto done;
  if ((rc = start_server(cx, port_file, serve_timeout, &server, &port, err))) goto done;
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
  if (!(s.h = curl_easy_init())) {
    rc = floe_err_set(err, FLOE_ENOMEM, "curl_easy_init failed");
    goto done;
  }
  double v;
  const floe_node *retry = floe_node_get(src, "retry");
  if ((rc = ingest_num(floe_node_get(src, "timeout"), "source.timeout", 30, &s.timeout, err)) ||
      (rc = ingest_num(floe_node_get(src, "rate_limit"), "source.rate_limit", 0, &s.rate, err)) ||
      (rc = ingest_num(floe_node_get(retry, "max_retries"), "source.retry.max_retries", 5, &v, err)) ||
      (rc = ingest_num(floe_node_get(retry, "backoff"), "source.retry.backoff", 0.5, &s.backoff, err)) ||
      (rc = ingest_num(floe_node_get(retry, "max_backoff"), "source.retry.max_backoff", 60, &s.max_backoff, err)))
    goto done;
  s.max_retries = (int)v;
  double max_pages;
  if ((rc = ingest_num(floe_node_get(src, "max_pages"), "source.max_pages", 100000, &max_pages, err))) goto done;
  /* headers */
  s.hdrs = curl_slist_append(s.hdrs, "Accept: application/json");
  const floe_node *hn = floe_node_get(src, "headers");
  if (hn && hn->type != FLOE_NODE_MAP) {
    rc = ingest_fail_at(err, hn, "source.headers: expected a mapping Name: value");
    goto done;
  }
  for (size_t i = 0; hn && i < hn->len; i++) {
    const char *hv;
    char what[300];
    snprintf(what, sizeof what, "source.headers.%s", hn->keys[i]);
    if ((rc = ingest_value(cx, hn->items[i], what, &hv, err))) goto done;
    s.hdrs = curl_slist_append(s.hdrs, floe_arena_printf(cx->ar, "%s: %s", hn->keys[i], hv ? hv : ""));
  }
  const char *tok;
  if ((rc = ingest_value(cx, floe_node_get(src, "bearer_token"), "source.bearer_token", &tok, err))) goto done;
  if (tok) s.hdrs = curl_slist_append(s.hdrs, floe_arena_printf(cx->ar, "Authorization: Bearer %s", tok));
  /* base URL with params */
  floe_buf_puts(&base, u);
  const floe_node *pn = floe_node_get(src, "params");
  if (pn && pn->type != FLOE_NODE_MAP) {
    rc = ingest_fail_at(err, pn, "source.params: expected a mapping name: value");
    goto done;
  }
  for (size_t i = 0; pn && i < pn->len; i++) {
    const char *pv;
    char what[300];
    snprintf(what, sizeof what, "source.params.%s", pn->keys[i]);
    if ((rc = ingest_value(cx, pn->items[i], what, &pv, err))) goto done;
    if (pn->items[i]->type == FLOE_NODE_MAP && pv) { /* a secret: redact its URL-escaped form too */
      char *ev = curl_easy_escape(s.h, pv, 0);
      if (ev && cx->sec && floe_secrets_add_redaction(cx->sec, ev, strlen(ev))) rc = FLOE_ENOMEM;
      curl_free(ev);
    }
    add_param(&s, &base, pn->keys[i], pv ? pv : "");
  }
  cx->label = floe_arena_strdup(cx->ar, ingest_redact(cx, floe_buf_str(&base)));
  /* pagination */
  const floe_node *pg = floe_node_get(src, "pagination");
  const char *ptype = pg ? (pg->type == FLOE_NODE_SCALAR ? pg->str : opt_str(pg, "type", NULL)) : "none";
  static const char *const ptypes[] = {"none", "page", "offset", "cursor", "link", "next_url"};
  size_t pt = 0;
  while (ptype && pt < 6 && strcmp(ptype, ptypes[pt])) pt++;
  if (!ptype || pt == 6) {
    rc = ingest_fail_at(err, pg, "source.pagination.type: unknown '%s'; expected none, page, offset, cursor, link or "
                                 "next_url", ptype ? ptype : "");
    goto done;
  }
  const floe_node *pgm = pg && pg->type == FLOE_NODE_MAP ? pg : NULL;
  double start, size, limit;
  if ((rc = ingest_num(floe_node_get(pgm, "start"), "source.pagination.start", 1, &start, err)) ||
      (rc = ingest_num(floe_node_get(pgm, "size"), "source.pagination.size", 0, &size, err)) ||
      (rc = ingest_num(floe_node_get(pgm, "limit"), "source.pagination.limit", 100, &limit, err)))
    goto done;
  const char *cursor_path = opt_str(pgm, "cursor_path", NULL), *next_path = opt_str(pgm, "next_path", NULL);
  if (pt == 3 && !cursor_path) {
    rc = ingest_fail_at(err, pg, "source.pagination.cursor_path: missing; expected the path of the next cursor in "
                                 "the response (e.g. meta.next_cursor)");
    goto done;
  }
  if (pt == 5 && !next_path) {
    rc = ingest_fail_at(err, pg, "source.pagination.next_path: missing; expected the path of the next page's URL");
    goto done;
  }
  const char *records = floe_node_scalar(floe_node_get(src, "records"));
  curl_easy_setopt(s.h, CURLOPT_HTTPHEADER, s.hdrs);
  curl_easy_setopt(s.h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(s.h, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(s.h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(s.h, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(s.h, CURLOPT_TIMEOUT_MS, (long)(s.timeout * 1000));
  curl_easy_setopt(s.h, CURLOPT_CONNECTTIMEOUT_MS, (long)(s.timeout * 1000));
  curl_easy_setopt(s.h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(s.h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(s.h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(s.h, CURLOPT_USERAGENT, "floe-ingest/1");
  if ((rc = ingest_stage_path(cx, "records.ndjson", &path, err))) goto done;
  if (!(out = fopen(path, "w"))) {
    rc = floe_err_set(err, FLOE_EIO, "cannot create %s", path);
    goto done;
  }
  int64_t rows = 0, pages = 0, offset = 0;
  double page = start;
  char *cursor = NULL, *next_url = NULL;
  for (;;) {
    floe_buf_reset(&url);
    if (next_url) {
      floe_buf_puts(&url, next_url);
    } else {
      floe_buf_puts(&url, floe_buf_str(&base));
      if (pt == 1) {
        add_param(&s, &url, opt_str(pgm, "page_param", "page"), floe_arena_printf(cx->ar, "%.0f", page));
        if (size > 0) add_param(&s, &url, opt_str(pgm, "size_param", "per_page"), floe_arena_printf(cx->ar, "%.0f", size));
      } else if (pt == 2) {
        add_param(&s, &url, opt_str(pgm, "offset_param", "offset"), floe_arena_printf(cx->ar, "%lld", (long long)offset));
        add_param(&s, &url, opt_str(pgm, "limit_param", "limit"), floe_arena_printf(cx->ar, "%.0f", limit));
      } else if (pt == 3 && cursor) {
        add_param(&s, &url, opt_str(pgm, "cursor_param", "cursor"), cursor);
      }
    }
    const char *shown = floe_arena_strdup(cx->ar, floe_buf_str(&url));
    if ((rc = http_get(&s, shown, &r, err))) break;
    pages++;
    json_error_t je;
    json_t *body = json_loadb(floe_buf_str(&r.body), r.body.len, 0, &je);
    if (!body) {
      rc = floe_err_set(err, FLOE_EINPUT, "GET %s: the response is not JSON (line %d: %s)", ingest_redact(cx, shown),
                        je.line, je.text);
      break;
    }
    json_t *recs = ingest_json_path(body, records);
    size_t n = 0;
    if (json_is_array(recs)) {
      size_t i;
      json_t *rec;
      json_array_foreach(recs, i, rec) {
        if (json_is_object(rec)) json_dumpf(rec, out, JSON_COMPACT);
        else {
          json_t *w = json_pack("{sO}", "value", rec);
          json_dumpf(w, out, JSON_COMPACT);
          json_decref(w);
        }
        fputc('\n', out);
      }
      n = json_array_size(recs);
    } else if (json_is_object(recs)) {
      json_dumpf(recs, out, JSON_COMPACT);
      fputc('\n', out);
      n = 1;
    } else if (recs && !json_is_null(recs)) {
      rc = floe_err_set(err, FLOE_EINPUT, "GET %s: source.records '%s' is not a list of records",
                        ingest_redact(cx, shown), records ? records : "");
      json_decref(body);
      break;
    } else if (records && pages == 1) {
      rc = floe_err_set(err, FLOE_EINPUT, "GET %s: the response has no '%s' (source.records)", ingest_redact(cx, shown),
                        records);
      json_decref(body);
      break;
    }
    rows += (int64_t)n;
    bool more = false;
    free(next_url);
    next_url = NULL;
    if (pt == 1) {
      more = n > 0 && !(size > 0 && n < (size_t)size);
      page += 1;
    } else if (pt == 2) {
      more = n > 0 && n >= (size_t)limit;
      offset += (int64_t)n;
    } else if (pt == 3) {
      json_t *c = ingest_json_path(body, cursor_path);
      char *nc = json_is_string(c) ? strdup(json_string_value(c))
                 : json_is_integer(c) ? (asprintf(&nc, "%lld", (long long)json_integer_value(c)) < 0 ? NULL : nc)
                                      : NULL;
      more = nc && nc[0] && n > 0 && !(cursor && !strcmp(cursor, nc));
      free(cursor);
      cursor = nc;
    } else if (pt == 4) {
      if (r.next[0]) { /* resolve a relative target against the request URL */
        CURLU *cu = curl_url();
        char *abs = NULL;
        if (cu && !curl_url_set(cu, CURLUPART_URL, shown, 0) && !curl_url_set(cu, CURLUPART_URL, r.next, 0) &&
            !curl_url_get(cu, CURLUPART_URL, &abs, 0)) {
          next_url = strdup(abs);
          curl_free(abs);
        }
        curl_url_cleanup(cu);
        more = next_url != NULL;
      }
    } else if (pt == 5) {
      json_t *nu = ingest_json_path(body, next_path);
      if (json_is_string(nu) && json_string_length(nu)) {
        next_url = strdup(json_string_value(nu));
        more = true;
      }
    }
    json_decref(body);
    if (!more) break;
    if (pages >= (int64_t)max_pages) {
      fprintf(stderr, "floe: %s: stopped after source.max_pages=%lld pages\n", cx->label, (long long)pages);
      break;
    }
  }
  free(cursor);
  free(next_url);
  if (rc) goto done;
  if (fclose(out)) {
    out = NULL;
    rc = floe_err_set(err, FLOE_EIO, "cannot write %s", path);
    goto done;
  }
  out = NULL;
  cx->rows_known = rows;
  floe_buf_printf(&cx->meta, ",\"pages\":%lld,\"requests\":%lld,\"retries\":%lld,\"http_seconds\":%.3f",
                  (long long)pages, (long long)s.requests, (long long)s.retries, s.http_s);
  printf("%s: %lld records in %lld pages (%lld requests, %lld retries)\n", cx->label, (long long)rows,
         (long long)pages, (long long)s.requests, (long long)s.retries);
  rc = ingest_staged_select(cx, path, "ndjson", select, err);
done:
  stop_server(server);
  if (out) fclose(out);
  if (s.h) curl_easy_cleanup(s.h);
  if (s.hdrs) curl_slist_free_all(s.hdrs);
  floe_buf_free(&r.body);
  floe_buf_free(&base);
  floe_buf_free(&url);
  return rc;
}
