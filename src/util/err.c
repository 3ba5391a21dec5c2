/* err.c — error codes and messages. */
#include <stdio.h>
#include <string.h>
#include "floe/err.h"

int floe_err_setv(floe_err *err, int code, const char *fmt, va_list ap) {
  if (err) {
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  }
  return code;
}

int floe_err_set(floe_err *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  floe_err_setv(err, code, fmt, ap);
  va_end(ap);
  return code;
}

void floe_err_prefix(floe_err *err, const char *fmt, ...) {
  if (!err) return;
  char old[sizeof err->msg];
  memcpy(old, err->msg, sizeof old);
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n < sizeof err->msg) {
    size_t room = sizeof err->msg - (size_t)n;
    size_t ol = strnlen(old, sizeof old - 1);
    if (ol >= room) ol = room - 1;
    memcpy(err->msg + n, old, ol);
    err->msg[(size_t)n + ol] = 0;
  }
}

void floe_err_clear(floe_err *err) {
  if (err) {
    err->code = 0;
    err->msg[0] = 0;
  }
}

static const char *const names[] = {
    "ok",       "out of memory", "i/o error",   "bad input",       "not found",        "conflict",
    "database", "spawn",         "secret",      "failed",          "usage",            "internal",
    "canceled", "timeout",       "bad format",  "unsupported",
};

const char *floe_errcode_name(int code) {
  int i = -code;
  if (i < 0 || i >= (int)(sizeof names / sizeof names[0])) return "error";
  return names[i];
}

int floe_err_exit_code(int code) {
  switch (code) {
  case FLOE_OK: return 0;
  case FLOE_EINPUT:
  case FLOE_EUSAGE:
  case FLOE_ENOTFOUND:
  case FLOE_EFORMAT: return 2;
  default: return 1;
  }
}
