/* clickhouse.c — ClickHouse over its HTTP interface (libcurl): the query is POSTed, credentials go
 * in X-ClickHouse-User / X-ClickHouse-Key headers (never in the URL, so they stay out of proxies'
 * and servers' access logs), errors come back as a non-200 status with X-ClickHouse-Exception-Code
 * and a "Code: N. DB::Exception: ..." body. TLS is on by default. */
#include "resources_int.h"
#include <ctype.h>
#include "../util/dyn.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const floe_resource_field_def fields[] = {
    {"url", NULL, NULL, NULL, NULL, "full endpoint, e.g. https://host:8443 (instead of host/port/secure)"},
    {"host", "clickhouse", "host", NULL, "url", "host name, or a full http(s):// URL"},
    {"port", NULL, NULL, NULL, "url", "default 8443 with TLS, 8123 without"},
    {"user", "clickhouse", "user", NULL, NULL, "user name"},
    {"password", "clickhouse", "password", NULL, NULL, "password"},
    {"database", NULL, NULL, "default", NULL, "default database"},
    {"secure", NULL, NULL, "true", "url", "TLS (https); false allows plain http"},
    {"tls_verify", NULL, NULL, NULL, NULL, "false skips certificate verification (self-signed test servers)"},
};


static bool is_false(const char *v) {
  return v && (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") || !strcmp(v, "0"));
}

int floe_clickhouse_from_resource(floe_secrets *s, const floe_resource *r, floe_clickhouse *ch, floe_err *err) {
  memset(ch, 0, sizeof *ch);
  ch->timeout_ms = 30000;
  const char *url, *host, *port, *secure, *verify = NULL;
  int rc;
  if ((rc = resource_get(s, r, "url", &url, err)) || (rc = resource_get(s, r, "host", &host, err)) ||
      (rc = resource_get(s, r, "port", &port, err)) || (rc = resource_get(s, r, "secure", &secure, err)) ||
      (rc = resource_get(s, r, "user", &ch->user, err)) || (rc = resource_get(s, r, "password", &ch->password, err)) ||
      (rc = resource_get(s, r, "database", &ch->database, err)) ||
      (rc = resource_get(s, r, "tls_verify", &verify, err)))
    return rc;
  ch->insecure_tls = is_false(verify);
  const char *base = url ? url : host;
  if (!base || !*base) return floe_err_set(err, FLOE_EINPUT, "resource %s: needs url or host", r->name);
  if (strstr(base, "://")) {
    if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8))
      return floe_err_set(err, FLOE_EINPUT, "resource %s: url must start with https:// (or http:// for plain HTTP)",
                          r->name);
    snprintf(ch->url, sizeof ch->url, "%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/");
  } else {
    bool tls = !is_false(secure);
    snprintf(ch->url, sizeof ch->url, "%s://%s:%s/", tls ? "https" : "http", base,
             port && *port ? port
             : tls         ? "8443"
                           : "8123");
  }
  return 0;
}

typedef struct hdrs {
  char code[32];
  floe_buf *summary;
} hdrs;

static size_t on_body(char *p, size_t sz, size_t n, void *ud) { return floe_buf_append(ud, p, sz * n) ? 0 : sz * n; }

static size_t on_header(char *p, size_t sz, size_t n, void *ud) {
  hdrs *h = ud;
  size_t len = sz * n;
  const char *colon = memchr(p, ':', len);
  if (colon) {
    size_t kl = (size_t)(colon - p);
    const char *v = colon + 1;
    size_t vl = len - kl - 1;
    while (vl && (*v == ' ' || *v == '\t'))
      v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
      vl--;
    if (kl == strlen("X-ClickHouse-Exception-Code") && !strncasecmp(p, "X-ClickHouse-Exception-Code", kl))
      snprintf(h->code, sizeof h->code, "%.*s", (int)(vl < 31 ? vl : 31), v);
    else if (h->summary && kl == strlen("X-ClickHouse-Summary") && !strncasecmp(p, "X-ClickHouse-Summary", kl)) {
      floe_buf_reset(h->summary);
      floe_buf_append(h->summary, v, vl);
    }
  }
  return len;
}

int floe_clickhouse_query(const floe_clickhouse *ch, const char *sql, floe_buf *out, floe_buf *summary, floe_err *err) {
  if (floe_curl_load(err)) return err ? err->code : FLOE_EUNSUPPORTED;
  CURL *c = curl_easy_init();
  if (!c) return floe_err_set(err, FLOE_ENOMEM, "out of memory (curl)");
  struct curl_slist *h = NULL;
  char line[2048], url[1400], errbuf[CURL_ERROR_SIZE] = "";
  floe_buf body;
  floe_buf_init(&body, 0);
  hdrs hd = {"", summary};
  int rc = 0;
  if (ch->user && *ch->user) {
    snprintf(line, sizeof line, "X-ClickHouse-User: %s", ch->user);
    h = curl_slist_append(h, line);
  }
  if (ch->password && *ch->password) {
    snprintf(line, sizeof line, "X-ClickHouse-Key: %s", ch->password);
    h = curl_slist_append(h, line);
    memset(line, 0, sizeof line);
  }
  if (ch->database && *ch->database) {
    snprintf(line, sizeof line, "X-ClickHouse-Database: %s", ch->database);
    h = curl_slist_append(h, line);
  }
  h = curl_slist_append(h, "Content-Type: text/plain; charset=utf-8");
  snprintf(url, sizeof url, "%s", ch->url);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, sql);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &hd);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ch->timeout_ms);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "floe/0.1");
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  if (ch->insecure_tls) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  CURLcode cr = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (cr != CURLE_OK) {
    rc = floe_err_set(err, cr == CURLE_OPERATION_TIMEDOUT ? FLOE_ETIMEOUT : FLOE_EFAILED, "clickhouse %s: %s", ch->url,
                      errbuf[0] ? errbuf : curl_easy_strerror(cr));
  } else if (status != 200) {
    /* first line of the body: "Code: 516. DB::Exception: ...: (AUTHENTICATION_FAILED) (version ...)" */
    const char *b = floe_buf_str(&body);
    size_t bl = strcspn(b, "\n");
    if (bl > 1000) bl = 1000;
    rc = floe_err_set(err, FLOE_EFAILED, "clickhouse %s: HTTP %ld%s%s%s: %.*s", ch->url, status,
                      hd.code[0] ? " (exception code " : "", hd.code, hd.code[0] ? ")" : "", (int)bl,
                      bl ? b : "(empty response)");
  } else if (out && floe_buf_append(out, body.p ? body.p : "", body.len)) {
    rc = floe_err_set(err, FLOE_ENOMEM, "out of memory");
  }
  /* the password header is in h: wipe before freeing */
  for (struct curl_slist *l = h; l; l = l->next)
    if (!strncmp(l->data, "X-ClickHouse-Key:", 17)) memset(l->data, 0, strlen(l->data));
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  floe_buf_free(&body);
  return rc;
}

static int check(floe_secrets *s, const floe_resource *r, floe_buf *report, floe_err *err) {
  floe_clickhouse ch;
  int rc = floe_clickhouse_from_resource(s, r, &ch, err);
  if (rc) return rc;
  floe_buf out, summary;
  floe_buf_init(&out, 1 << 20);
  floe_buf_init(&summary, 4096);
  int64_t t0 = floe_mono_us();
  rc = floe_clickhouse_query(&ch, "SELECT 1", &out, &summary, err);
  int64_t dt = floe_mono_us() - t0;
  if (!rc) {
    const char *b = floe_buf_str(&out);
    if (strcmp(b, "1\n") && strcmp(b, "1"))
      rc = floe_err_set(err, FLOE_EFAILED, "clickhouse %s: SELECT 1 returned an unexpected answer (%zu bytes)", ch.url,
                        out.len);
    else
      floe_buf_printf(report, "clickhouse %s as %s: SELECT 1 ok in %.1f ms", ch.url,
                      ch.user && *ch.user ? ch.user : "default", (double)dt / 1000.0);
  }
  floe_buf_free(&out);
  floe_buf_free(&summary);
  return rc;
}

const resource_type floe_clickhouse_type = {"clickhouse", fields, sizeof fields / sizeof fields[0], check};
