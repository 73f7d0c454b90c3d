#include "error.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int fail(struct shim_error *err, int errnum, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof err->msg) n = sizeof err->msg - 1;
  err->errnum = errnum;
  if (errnum != 0) {
    char buf[128];
    const char *s = strerror_r(errnum, buf, sizeof buf);
    snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %c%s", tolower((unsigned char)s[0]), s[0] ? s + 1 : "");
  }
  return -1;
}

int prefix_error(struct shim_error *err, const char *fmt, ...) {
  char prefix[512], old[sizeof err->msg];
  memcpy(old, err->msg, sizeof old);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
  return -1;
}
