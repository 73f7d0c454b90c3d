/* The error struct every function fills when it returns < 0; only main reports it. */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H

struct shim_error {
  int errnum;
  char msg[1024];
};

/* Sets err to "<fmt>: <strerror(errnum)>" (lower-cased), or just <fmt> when errnum is 0. Returns -1. */
int fail(struct shim_error *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Puts "<fmt>: " in front of err's message. Returns -1. */
int prefix_error(struct shim_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
