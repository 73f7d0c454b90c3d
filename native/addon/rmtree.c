/*
 * removeTreeAsync(path) -> Promise<void>: `rm -rf path` on a libuv worker thread, in one call.
 *
 * Node's fs.rm makes three or four thread-pool round trips per entry (lstat, readdir, unlink or
 * rmdir), each with its request object and event-loop callback; a container's directories are
 * removed after every `docker rm`, so that work competed with the next container's start.
 *
 * Never leaves the tree: symlinks are unlinked, not followed (every open is O_NOFOLLOW, relative
 * to its parent's fd), and a directory on another mount (a bind or a rootfs still mounted) is
 * not entered: it is left in place and the call fails with EBUSY once the rest is removed.
 */
#define _GNU_SOURCE
#include "addon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* A tree deeper than this is refused (each level holds an open descriptor). */
#define MAX_DEPTH 2048

struct where {
  uint64_t mnt;   /* statx mount id, when the kernel reports it */
  dev_t dev;      /* otherwise the device */
  int have_mnt;
};

/* Fills `w` for the directory open at fd. */
static int where_of(int fd, struct where *w) {
  struct statx sx;
  if (statx(fd, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &sx) < 0) return -1;
  w->have_mnt = (sx.stx_mask & STATX_MNT_ID) != 0;
  w->mnt = sx.stx_mnt_id;
  w->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
  if (!w->have_mnt) {
    /* before Linux 5.8: the mount id from name_to_handle_at (a bind has the device of its source) */
    union {
      struct file_handle fh;
      char space[sizeof(struct file_handle) + MAX_HANDLE_SZ];
    } h;
    h.fh.handle_bytes = MAX_HANDLE_SZ;
    int mnt;
    if (name_to_handle_at(fd, "", &h.fh, &mnt, AT_EMPTY_PATH) == 0) {
      w->have_mnt = 1;
      w->mnt = (uint64_t)mnt;
    }
  }
  return 0;
}

static int same_mount(const struct where *a, const struct where *b) {
  return a->have_mnt && b->have_mnt ? a->mnt == b->mnt : a->dev == b->dev;
}

/* Keeps the first error. */
static void note(int *first, int e) {
  if (!*first) *first = e;
}

static void remove_at(int parent, const char *name, int is_dir_hint, const struct where *root, int depth, int *first);

/* Empties the directory `name` (in parent) and removes it. */
static void remove_dir(int parent, const char *name, const struct where *root, int depth, int *first) {
  if (depth > MAX_DEPTH) return note(first, ELOOP);
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) note(first, errno);
    return;
  }
  struct where here;
  if (where_of(fd, &here) < 0) {
    note(first, errno);
    close(fd);
    return;
  }
  if (!same_mount(&here, root)) {
    close(fd);
    return note(first, EBUSY);
  }
  /* the names first, then the removals: one fd per level is held, not a directory stream */
  int keep = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  DIR *d = keep < 0 ? NULL : fdopendir(fd);
  if (!d) {
    note(first, errno);
    close(fd);
    if (keep >= 0) close(keep);
    return;
  }
  char *names = NULL;
  size_t len = 0, cap = 0;
  struct dirent *e;
  for (;;) {
    errno = 0;
    if (!(e = readdir(d))) {
      if (errno) note(first, errno);
      break;
    }
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    size_t n = strlen(e->d_name) + 2; /* type byte, name, NUL */
    if (len + n > cap) {
      size_t ncap = cap ? cap * 2 : 4096;
      while (ncap < len + n) ncap *= 2;
      char *grown = realloc(names, ncap);
      if (!grown) {
        note(first, ENOMEM);
        break;
      }
      names = grown;
      cap = ncap;
    }
    names[len] = e->d_type == DT_DIR ? 'd' : '-';
    memcpy(names + len + 1, e->d_name, n - 1);
    len += n;
  }
  closedir(d);
  for (size_t i = 0; i < len; i += strlen(names + i + 1) + 2) remove_at(keep, names + i + 1, names[i] == 'd', root, depth + 1, first);
  free(names);
  close(keep);
  if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT) note(first, errno);
}

static void remove_at(int parent, const char *name, int is_dir_hint, const struct where *root, int depth, int *first) {
  if (!is_dir_hint) {
    if (unlinkat(parent, name, 0) == 0 || errno == ENOENT) return;
    if (errno != EISDIR) return note(first, errno);
  }
  remove_dir(parent, name, root, depth, first);
}

struct rmtree_work {
  napi_async_work work;
  napi_deferred deferred;
  char *path;
  int err;
};

static void rmtree_execute(napi_env env, void *data) {
  (void)env;
  struct rmtree_work *w = data;
  size_t n = strlen(w->path);
  while (n > 1 && w->path[n - 1] == '/') w->path[--n] = '\0';
  /* only an absolute path, not "/", and no last component "." or ".." (a directory above) */
  const char *last = strrchr(w->path, '/');
  last = last ? last + 1 : w->path;
  if (w->path[0] != '/' || strcmp(w->path, "/") == 0 || strcmp(last, ".") == 0 || strcmp(last, "..") == 0) {
    w->err = EINVAL;
    return;
  }
  struct stat st;
  if (lstat(w->path, &st) < 0) {
    if (errno != ENOENT) w->err = errno;
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlink(w->path) < 0 && errno != ENOENT) w->err = errno;
    return;
  }
  /* the mount the tree lives on: its parent's (a path that is itself a mount point is refused) */
  char *slash = strrchr(w->path, '/'); /* the path is absolute: there is one */
  const char *name = slash + 1;
  int parent;
  if (slash == w->path) {
    parent = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } else {
    *slash = '\0';
    parent = open(w->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    *slash = '/';
  }
  if (parent < 0) {
    w->err = errno;
    return;
  }
  struct where root;
  if (where_of(parent, &root) < 0) w->err = errno;
  else remove_dir(parent, name, &root, 0, &w->err);
  close(parent);
}

static void rmtree_complete(napi_env env, napi_status status, void *data) {
  struct rmtree_work *w = data;
  if (status != napi_ok && !w->err) w->err = ECANCELED;
  settle_work(env, w->deferred, w->work, w->err ? errno_error(env, w->err, "rm", w->path) : NULL, NULL);
  free(w->path);
  free(w);
}

static napi_value js_remove_tree_async(napi_env env, napi_callback_info info) {
  struct args a;
  if (get_args(env, info, &a, 1) < 0) return NULL;
  struct rmtree_work *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, ENOMEM, "rm", NULL);
  if (!(w->path = get_string(env, a.argv[0]))) {
    free(w);
    return NULL;
  }
  if (w->path[0] == '\0') {
    free(w->path);
    free(w);
    return throw_errno(env, EINVAL, "rm", "");
  }
  napi_value promise = queue_work(env, "berth:removeTree", rmtree_execute, rmtree_complete, w, &w->deferred, &w->work);
  if (!promise) {
    free(w->path);
    free(w);
    return throw_errno(env, EAGAIN, "rm", NULL);
  }
  return promise;
}

void berth_init_rmtree(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"removeTreeAsync", NULL, js_remove_tree_async, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
