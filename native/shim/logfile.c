#include "logfile.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PARTIAL_MAX 16384

static struct {
  int fd;
  const char *path;
  long max_size;
  int max_files;
  long size;
  char partial[2][PARTIAL_MAX];
  size_t plen[2];
} lf = {.fd = -1};

int log_open(const char *path, long max_size, int max_files, struct shim_error *err) {
  lf.path = path;
  lf.max_size = max_size;
  lf.max_files = max_files < 1 ? 1 : max_files;
  lf.fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
  if (lf.fd < 0) return fail(err, errno, "open log \"%s\"", path);
  struct stat st;
  lf.size = fstat(lf.fd, &st) == 0 ? (long)st.st_size : 0;
  return 0;
}

static void rotate(void) {
  char from[4200], to[4200];
  if (lf.max_files > 1) {
    for (int i = lf.max_files - 1; i >= 1; i--) {
      if (i - 1 == 0) snprintf(from, sizeof from, "%s", lf.path);
      else snprintf(from, sizeof from, "%s.%d", lf.path, i - 1);
      snprintf(to, sizeof to, "%s.%d", lf.path, i);
      rename(from, to);
    }
    close(lf.fd);
    lf.fd = open(lf.path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0640);
  } else if (ftruncate(lf.fd, 0) < 0) {
    return;
  }
  lf.size = 0;
}

/* Escapes as JSON and writes one entry. */
static void emit(int stream, const char *data, size_t len) {
  if (lf.fd < 0) return;
  static char out[PARTIAL_MAX * 6 + 128];
  size_t o = 0;
  o += (size_t)snprintf(out, sizeof out, "{\"log\":\"");
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)data[i];
    switch (c) {
      case '"': out[o++] = '\\'; out[o++] = '"'; break;
      case '\\': out[o++] = '\\'; out[o++] = '\\'; break;
      case '\n': out[o++] = '\\'; out[o++] = 'n'; break;
      case '\r': out[o++] = '\\'; out[o++] = 'r'; break;
      case '\t': out[o++] = '\\'; out[o++] = 't'; break;
      case '<': case '>': case '&':
        o += (size_t)snprintf(out + o, sizeof out - o, "\\u%04x", c);
        break;
      default:
        if (c < 0x20 || c == 0x7f) o += (size_t)snprintf(out + o, sizeof out - o, "\\u%04x", c);
        else out[o++] = (char)c;
    }
  }
  char ts[64];
  format_time(ts, sizeof ts);
  o += (size_t)snprintf(out + o, sizeof out - o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream ? "stderr" : "stdout", ts);
  if (lf.max_size > 0 && lf.size > 0 && lf.size + (long)o > lf.max_size) rotate();
  if (lf.fd >= 0 && write_all(lf.fd, out, o) == 0) lf.size += (long)o;
}

void log_write(int stream, const char *data, size_t len) {
  while (len > 0) {
    const char *nl = memchr(data, '\n', len);
    size_t take = nl ? (size_t)(nl - data) + 1 : len;
    size_t room = PARTIAL_MAX - lf.plen[stream];
    if (take > room) take = room;
    memcpy(lf.partial[stream] + lf.plen[stream], data, take);
    lf.plen[stream] += take;
    data += take;
    len -= take;
    if (lf.partial[stream][lf.plen[stream] - 1] == '\n' || lf.plen[stream] == PARTIAL_MAX) {
      emit(stream, lf.partial[stream], lf.plen[stream]);
      lf.plen[stream] = 0;
    }
  }
}

void log_flush(void) {
  for (int s = 0; s < 2; s++)
    if (lf.plen[s]) {
      emit(s, lf.partial[s], lf.plen[s]);
      lf.plen[s] = 0;
    }
}
