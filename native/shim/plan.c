#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes a field in place. */
static int decode_field(char *s) {
  if (s[0] == '%' && s[1] == '\0') {
    s[0] = '\0';
    return 0;
  }
  char *w = s;
  for (char *r = s; *r; r++) {
    if (*r == '%') {
      int hi = hexval(r[1]), lo = hi < 0 ? -1 : hexval(r[2]);
      if (hi < 0 || lo < 0) return -1;
      *w++ = (char)(hi * 16 + lo);
      r += 2;
    } else {
      *w++ = *r;
    }
  }
  *w = '\0';
  return 0;
}

int plan_load(struct plan *p, const char *path, struct shim_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(err, errno, "open plan \"%s\"", path);
  struct stat st;
  if (fstat(fd, &st) < 0) {
    close(fd);
    return fail(err, errno, "stat plan \"%s\"", path);
  }
  char *buf = malloc((size_t)st.st_size + 1);
  if (!buf) {
    close(fd);
    return fail(err, ENOMEM, "read plan");
  }
  size_t off = 0;
  while (off < (size_t)st.st_size) {
    ssize_t r = read(fd, buf + off, (size_t)st.st_size - off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    off += (size_t)r;
  }
  close(fd);
  buf[off] = '\0';

  int lines = 0;
  for (size_t i = 0; i < off; i++)
    if (buf[i] == '\n') lines++;
  p->recs = calloc((size_t)lines + 1, sizeof *p->recs);
  if (!p->recs) return fail(err, ENOMEM, "read plan");
  p->n = 0;
  char *save = NULL;
  for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    int fields = 1;
    for (char *c = line; *c; c++)
      if (*c == ' ') fields++;
    struct plan_rec *rec = &p->recs[p->n];
    rec->f = calloc((size_t)fields + 1, sizeof(char *));
    if (!rec->f) return fail(err, ENOMEM, "read plan");
    rec->n = 0;
    char *fs = line;
    for (;;) {
      char *sp = strchr(fs, ' ');
      if (sp) *sp = '\0';
      if (decode_field(fs) < 0) return fail(err, 0, "read plan: bad field in record %d", p->n + 1);
      rec->f[rec->n++] = fs;
      if (!sp) break;
      fs = sp + 1;
    }
    rec->f[rec->n] = NULL;
    p->n++;
  }
  return 0;
}

const struct plan_rec *plan_get(const struct plan *p, const char *name) {
  for (int i = 0; i < p->n; i++)
    if (strcmp(p->recs[i].f[0], name) == 0) return &p->recs[i];
  return NULL;
}

const char *plan_str(const struct plan *p, const char *name, int i) {
  const struct plan_rec *r = plan_get(p, name);
  if (!r || i >= r->n) return NULL;
  return r->f[i];
}

int plan_has(const struct plan *p, const char *name) {
  return plan_get(p, name) != NULL;
}

int hex_decode(const char *hex, unsigned char **out, size_t *len, struct shim_error *err) {
  size_t n = strlen(hex);
  if (n % 2) return fail(err, 0, "bad hex data");
  unsigned char *b = malloc(n / 2 + 1);
  if (!b) return fail(err, ENOMEM, "decode hex");
  for (size_t i = 0; i < n / 2; i++) {
    int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      free(b);
      return fail(err, 0, "bad hex data");
    }
    b[i] = (unsigned char)(hi * 16 + lo);
  }
  *out = b;
  *len = n / 2;
  return 0;
}
