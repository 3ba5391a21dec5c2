/* resources_int.h — the backend interface behind floe_resource_check: one entry per resource type. */
#ifndef FLOE_RESOURCES_INT_H
#define FLOE_RESOURCES_INT_H

#include "floe/resources.h"

typedef struct resource_type {
  const char *name;
  const floe_resource_field_def *fields;
  size_t nfields;
  /* connects and runs SELECT 1; appends a one-line report */
  int (*check)(floe_secrets *s, const floe_resource *r, floe_buf *report, floe_err *err);
} resource_type;

extern const resource_type floe_clickhouse_type;
extern const resource_type floe_postgres_type;


/* Resolves the effective value of field (declared or default); *out NULL when the field has none. */
int resource_get(floe_secrets *s, const floe_resource *r, const char *field, const char **out, floe_err *err);

#endif
