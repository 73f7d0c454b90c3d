/*
 * The launch plan: a text file, one record per line, fields separated by one space.
 * Every field is percent-encoded (bytes <= 0x20, '%', 0x7f and >= 0x80 as %XX); a field that
 * is exactly "%" is the empty string. The first field names the record. TypeScript (src/runtime/
 * plan.ts) decides everything and writes the records in the order they must be carried out;
 * this side only looks records up by name and walks them in file order.
 */
#ifndef BERTH_PLAN_H
#define BERTH_PLAN_H

#include <stddef.h>
#include "error.h"

struct plan_rec {
  char **f; /* f[0] is the record name */
  int n;
};

struct plan {
  struct plan_rec *recs;
  int n;
};

int plan_load(struct plan *p, const char *path, struct shim_error *err);
/* The first record named `name`, or NULL. */
const struct plan_rec *plan_get(const struct plan *p, const char *name);
/* The i-th field of the first record named `name`, or NULL. */
const char *plan_str(const struct plan *p, const char *name, int i);
int plan_has(const struct plan *p, const char *name);
/* Decodes a hex string into a new buffer. */
int hex_decode(const char *hex, unsigned char **out, size_t *len, struct shim_error *err);

#endif
