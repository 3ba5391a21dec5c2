/* secrets.h — SecretResolver: resolves (prefix, group, key) references from a chain of sources
 * (environment + the project's .env, then the encrypted keystore) and redacts every resolved value
 * from anything floe writes or prints. */
#ifndef FLOE_SECRETS_H
#define FLOE_SECRETS_H

#include <stddef.h>
#include "floe/defs.h"
#include "floe/err.h"
#include "floe/util.h"

typedef struct floe_secrets floe_secrets;

/* Opens a resolver for the project (reads `secrets:` from floe.yaml and the .env file when present).
 * A malformed .env line is FLOE_EINPUT naming the file and line. Caller frees with floe_secrets_close. */
int floe_secrets_open(const floe_project *p, floe_secrets **out, floe_err *err) FLOE_WUR;
void floe_secrets_close(floe_secrets *s);

/* Resolves group.key. *value is owned by the resolver (valid until close). Every resolved value is
 * remembered for redaction. A missing or empty secret is FLOE_ESECRET naming the variable and every
 * source tried. */
int floe_secrets_resolve(floe_secrets *s, const char *group, const char *key, const char **value,
                         floe_err *err) FLOE_WUR;

/* Resolves a project-file value (literal or secret reference). */
int floe_value_resolve(floe_secrets *s, const floe_value *v, const char **out, floe_err *err) FLOE_WUR;

/* Appends in[0..len) to out with every resolved secret value replaced by "********". */
int floe_secrets_redact(const floe_secrets *s, const char *in, size_t len, floe_buf *out) FLOE_WUR;
/* Number of values registered for redaction. */
size_t floe_secrets_count(const floe_secrets *s);

#endif
