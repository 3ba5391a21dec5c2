/* err.h — the one error type of libfloe: a code from one enum and a sentence a user can act on. */
#ifndef FLOE_ERR_H
#define FLOE_ERR_H

#include <stdarg.h>

#define FLOE_WUR __attribute__((warn_unused_result))

/* Error codes. Never renumber; add new codes at the end. */
enum floe_errcode {
  FLOE_OK = 0,
  FLOE_ENOMEM = -1,    /* allocation failed */
  FLOE_EIO = -2,       /* file system or OS error */
  FLOE_EINPUT = -3,    /* bad user input: project file, run config, CLI argument */
  FLOE_ENOTFOUND = -4, /* named thing does not exist */
  FLOE_ECONFLICT = -5, /* optimistic commit lost a race */
  FLOE_EDB = -6,       /* instance storage error */
  FLOE_ESPAWN = -7,    /* could not start a process */
  FLOE_ESECRET = -8,   /* a secret could not be resolved */
  FLOE_EFAILED = -9,   /* the work itself failed (a run failed) */
  FLOE_EUSAGE = -10,   /* bad command-line usage */
  FLOE_EINTERNAL = -11,
  FLOE_ECANCELED = -12,
  FLOE_ETIMEOUT = -13,
  FLOE_EFORMAT = -14,  /* a file written by someone else is not in the expected format */
  FLOE_EUNSUPPORTED = -15,
};

typedef struct floe_err {
  int code;
  char msg[4096];
} floe_err;

/* Sets err (when non-NULL) and returns code, so callers can `return floe_err_set(...)`. */
int floe_err_set(floe_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int floe_err_setv(floe_err *err, int code, const char *fmt, va_list ap);
/* Prepends context ("while loading x: ") to an existing message. */
void floe_err_prefix(floe_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void floe_err_clear(floe_err *err);
const char *floe_errcode_name(int code);
/* Maps an error code to the CLI exit code: 2 for bad input/usage/not found, 1 otherwise. */
int floe_err_exit_code(int code);

#endif
