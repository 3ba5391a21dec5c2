/* dyn.c — loads libcurl and libpq on first use; see dyn.h for why. */
#define FLOE_DYN_IMPL 1
#include <dlfcn.h>
#include <stdio.h>
#include <pthread.h>
#include "dyn.h"

struct floe_curl_api floe_curl;
struct floe_pq_api floe_pq;

typedef struct lib_state {
  pthread_once_t once;
  int rc;
  char msg[512];
} lib_state;

static lib_state curl_state = {PTHREAD_ONCE_INIT, 0, ""}, pq_state = {PTHREAD_ONCE_INIT, 0, ""};

static void *open_lib(lib_state *st, const char *const *names) {
  void *h = NULL;
  for (const char *const *n = names; *n && !h; n++) h = dlopen(*n, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    st->rc = FLOE_EUNSUPPORTED;
    snprintf(st->msg, sizeof st->msg, "cannot load %s: %s (install it with scripts/bootstrap.sh)", names[0], dlerror());
  }
  return h;
}


static void load_curl(void) {
  static const char *const names[] = {"libcurl.so.4", "libcurl.so", NULL};
  void *h = open_lib(&curl_state, names);
  if (!h) return;
#define X(f)                                                                                                           \
  if (!(*(void **)&floe_curl.f = dlsym(h, #f))) {                                                                     \
    curl_state.rc = FLOE_EUNSUPPORTED;                                                                                 \
    snprintf(curl_state.msg, sizeof curl_state.msg, "libcurl lacks %s", #f);                                           \
    return;                                                                                                            \
  }
  FLOE_CURL_FUNCS(X)
#undef X
  floe_curl.curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void load_pq(void) {
  static const char *const names[] = {"libpq.so.5", "libpq.so", NULL};
  void *h = open_lib(&pq_state, names);
  if (!h) return;
#define X(f)                                                                                                           \
  if (!(*(void **)&floe_pq.f = dlsym(h, #f))) {                                                                       \
    pq_state.rc = FLOE_EUNSUPPORTED;                                                                                   \
    snprintf(pq_state.msg, sizeof pq_state.msg, "libpq lacks %s", #f);                                                 \
    return;                                                                                                            \
  }
  FLOE_PQ_FUNCS(X)
#undef X
}

int floe_curl_load(floe_err *err) {
  pthread_once(&curl_state.once, load_curl);
  return curl_state.rc ? floe_err_set(err, curl_state.rc, "%s", curl_state.msg) : 0;
}

int floe_pq_load(floe_err *err) {
  pthread_once(&pq_state.once, load_pq);
  return pq_state.rc ? floe_err_set(err, pq_state.rc, "%s", pq_state.msg) : 0;
}
