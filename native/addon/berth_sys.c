/*
 * berth_sys: the few syscalls Node.js does not expose, as a synchronous N-API addon.
 * mknod (char/block/fifo), lsetxattr/lgetxattr/llistxattr, mount/umount2 and mountAt (mount from a
 * working directory, so overlay lowerdirs can be short relative paths). Every failure is thrown
 * as a JS Error carrying `code` (the errno name), `errno` and `syscall`. No policy lives here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "addon.h"

#define XATTR_MAX 65536

const char *errno_name(int e) {
  switch (e) {
  case EPERM: return "EPERM";
  case ENOENT: return "ENOENT";
  case EIO: return "EIO";
  case E2BIG: return "E2BIG";
  case EBADF: return "EBADF";
  case ENOMEM: return "ENOMEM";
  case EACCES: return "EACCES";
  case EFAULT: return "EFAULT";
  case EBUSY: return "EBUSY";
  case EEXIST: return "EEXIST";
  case EXDEV: return "EXDEV";
  case ENODEV: return "ENODEV";
  case ENOTDIR: return "ENOTDIR";
  case EISDIR: return "EISDIR";
  case EINVAL: return "EINVAL";
  case ENOSPC: return "ENOSPC";
  case EROFS: return "EROFS";
  case EMLINK: return "EMLINK";
  case ERANGE: return "ERANGE";
  case ENAMETOOLONG: return "ENAMETOOLONG";
  case ENOSYS: return "ENOSYS";
  case ENOTEMPTY: return "ENOTEMPTY";
  case ELOOP: return "ELOOP";
  case ENODATA: return "ENODATA";
  case EOPNOTSUPP: return "EOPNOTSUPP";
  case ENOTBLK: return "ENOTBLK";
  case ECHILD: return "ECHILD";
  default: return "EUNKNOWN";
  }
}

/* An Error like Node's own: message "<syscall> <CODE>: <strerror> '<path>'", with code/errno/syscall/path. */
napi_value errno_error(napi_env env, int e, const char *syscall, const char *path) {
  char msg[4352];
  napi_value err, message, code, sc, num;
  if (path)
    snprintf(msg, sizeof msg, "%s %s: %s '%s'", syscall, errno_name(e), strerror(e), path);
  else
    snprintf(msg, sizeof msg, "%s %s: %s", syscall, errno_name(e), strerror(e));
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, message, &err);
  napi_set_named_property(env, err, "code", code);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, err, "syscall", sc);
  napi_create_int32(env, -e, &num);
  napi_set_named_property(env, err, "errno", num);
  if (path) {
    napi_value p;
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &p);
    napi_set_named_property(env, err, "path", p);
  }
  return err;
}

/* Throws errno_error(...); returns NULL for the caller to return. */
napi_value throw_errno(napi_env env, int e, const char *syscall, const char *path) {
  napi_throw(env, errno_error(env, e, syscall, path));
  return NULL;
}

int get_args(napi_env env, napi_callback_info info, struct args *a, size_t want) {
  a->argc = MAX_ARGS;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok) return -1;
  if (a->argc < want) {
    napi_throw_type_error(env, NULL, "berth_sys: missing arguments");
    return -1;
  }
  return 0;
}

/* Copies a JS string argument into a malloc'd buffer; NULL (with a pending exception) on error. */
char *get_string(napi_env env, napi_value v) {
  size_t len = 0;
  char *s;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) {
    napi_throw_type_error(env, NULL, "berth_sys: expected a string argument");
    return NULL;
  }
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  s = malloc(len + 1);
  if (!s) {
    napi_throw_error(env, NULL, "berth_sys: out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

/* A string argument that may be null/undefined (mount source, fstype, data). */
int get_opt_string(napi_env env, napi_value v, char **out) {
  napi_valuetype t;
  *out = NULL;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_null || t == napi_undefined) return 0;
  *out = get_string(env, v);
  return *out ? 0 : -1;
}

int get_u32(napi_env env, napi_value v, uint32_t *out) {
  if (napi_get_value_uint32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "berth_sys: expected a number argument");
    return -1;
  }
  return 0;
}

void free_ptr(char **p) { free(*p); }

/* mknod(path, kind 'c' | 'b' | 'p', mode, major, minor) */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  struct args a;
  AUTOFREE char *path = NULL;
  AUTOFREE char *kind = NULL;
  uint32_t mode, major, minor;
  mode_t type;
  if (get_args(env, info, &a, 5) < 0) return NULL;
  if (!(path = get_string(env, a.argv[0])) || !(kind = get_string(env, a.argv[1]))) return NULL;
  if (get_u32(env, a.argv[2], &mode) < 0 || get_u32(env, a.argv[3], &major) < 0 ||
      get_u32(env, a.argv[4], &minor) < 0)
    return NULL;
  if (strcmp(kind, "c") == 0) type = S_IFCHR;
  else if (strcmp(kind, "b") == 0) type = S_IFBLK;
  else if (strcmp(kind, "p") == 0) type = S_IFIFO;
  else {
    napi_throw_type_error(env, NULL, "berth_sys: mknod kind must be 'c', 'b' or 'p'");
    return NULL;
  }
  if (mknod(path, type | (mode & 07777), makedev(major, minor)) < 0)
    return throw_errno(env, errno, "mknod", path);
  return NULL;
}

/* lsetxattr(path, name, value: Buffer, flags) */
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  struct args a;
  AUTOFREE char *path = NULL;
  AUTOFREE char *name = NULL;
  void *data = NULL;
  size_t len = 0;
  uint32_t flags = 0;
  bool isbuf = false;
  if (get_args(env, info, &a, 3) < 0) return NULL;
  if (!(path = get_string(env, a.argv[0])) || !(name = get_string(env, a.argv[1]))) return NULL;
  if (napi_is_buffer(env, a.argv[2], &isbuf) != napi_ok || !isbuf) {
    napi_throw_type_error(env, NULL, "berth_sys: lsetxattr value must be a Buffer");
    return NULL;
  }
  napi_get_buffer_info(env, a.argv[2], &data, &len);
  if (a.argc > 3 && get_u32(env, a.argv[3], &flags) < 0) return NULL;
  if (lsetxattr(path, name, len ? data : "", len, (int)flags) < 0)
    return throw_errno(env, errno, "lsetxattr", path);
  return NULL;
}

/* lgetxattr(path, name) → Buffer (throws ENODATA when absent) */
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  struct args a;
  AUTOFREE char *path = NULL;
  AUTOFREE char *name = NULL;
  AUTOFREE char *buf = NULL;
  napi_value out;
  void *dst;
  ssize_t n;
  if (get_args(env, info, &a, 2) < 0) return NULL;
  if (!(path = get_string(env, a.argv[0])) || !(name = get_string(env, a.argv[1]))) return NULL;
  buf = malloc(XATTR_MAX);
  if (!buf) {
    napi_throw_error(env, NULL, "berth_sys: out of memory");
    return NULL;
  }
  n = lgetxattr(path, name, buf, XATTR_MAX);
  if (n < 0) return throw_errno(env, errno, "lgetxattr", path);
  napi_create_buffer_copy(env, (size_t)n, buf, &dst, &out);
  return out;
}

/* llistxattr(path) → string[] */
static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  struct args a;
  AUTOFREE char *path = NULL;
  AUTOFREE char *buf = NULL;
  napi_value arr;
  ssize_t n, off;
  uint32_t i = 0;
  if (get_args(env, info, &a, 1) < 0) return NULL;
  if (!(path = get_string(env, a.argv[0]))) return NULL;
  buf = malloc(XATTR_MAX);
  if (!buf) {
    napi_throw_error(env, NULL, "berth_sys: out of memory");
    return NULL;
  }
  n = llistxattr(path, buf, XATTR_MAX);
  if (n < 0) return throw_errno(env, errno, "llistxattr", path);
  napi_create_array(env, &arr);
  for (off = 0; off < n;) {
    size_t l = strnlen(buf + off, (size_t)(n - off));
    napi_value s;
    if (l > 0) {
      napi_create_string_utf8(env, buf + off, l, &s);
      napi_set_element(env, arr, i++, s);
    }
    off += (ssize_t)l + 1;
  }
  return arr;
}

struct mount_args {
  char *source, *target, *fstype, *data;
  uint32_t flags_lo, flags_hi;
};

static void free_mount_args(struct mount_args *m) {
  free(m->source);
  free(m->target);
  free(m->fstype);
  free(m->data);
}

/* Reads (source, target, fstype, flags, data) starting at argv[first]. */
static int get_mount_args(napi_env env, struct args *a, size_t first, struct mount_args *m) {
  double flags = 0;
  memset(m, 0, sizeof *m);
  if (get_opt_string(env, a->argv[first], &m->source) < 0) return -1;
  if (!(m->target = get_string(env, a->argv[first + 1]))) return -1;
  if (get_opt_string(env, a->argv[first + 2], &m->fstype) < 0) return -1;
  if (napi_get_value_double(env, a->argv[first + 3], &flags) != napi_ok || flags < 0) {
    napi_throw_type_error(env, NULL, "berth_sys: mount flags must be a non-negative number");
    return -1;
  }
  m->flags_lo = (uint32_t)((unsigned long long)flags & 0xffffffffULL);
  m->flags_hi = (uint32_t)((unsigned long long)flags >> 32);
  if (a->argc > first + 4 && get_opt_string(env, a->argv[first + 4], &m->data) < 0) return -1;
  return 0;
}

static int do_mount(const struct mount_args *m) {
  unsigned long flags = ((unsigned long)m->flags_hi << 32) | m->flags_lo;
  return mount(m->source, m->target, m->fstype, flags, m->data);
}

/* mount(source, target, fstype, flags, data) */
static napi_value js_mount(napi_env env, napi_callback_info info) {
  struct args a;
  struct mount_args m;
  napi_value ret = NULL;
  if (get_args(env, info, &a, 4) < 0) return NULL;
  if (get_mount_args(env, &a, 0, &m) == 0) {
    if (do_mount(&m) < 0) throw_errno(env, errno, "mount", m.target);
  }
  free_mount_args(&m);
  return ret;
}

/*
 * mountAt(cwd, source, target, fstype, flags, data): the mount is made by a forked child that
 * first chdirs to `cwd`, so relative paths in `data` (overlay lowerdirs) resolve there. The
 * parent's working directory (shared by Node's threads) is never changed. The child only makes
 * async-signal-safe system calls and reports errno through its exit status.
 */
static napi_value js_mount_at(napi_env env, napi_callback_info info) {
  struct args a;
  struct mount_args m;
  AUTOFREE char *cwd = NULL;
  pid_t pid;
  int status = 0;
  if (get_args(env, info, &a, 5) < 0) return NULL;
  if (!(cwd = get_string(env, a.argv[0]))) return NULL;
  if (get_mount_args(env, &a, 1, &m) < 0) {
    free_mount_args(&m);
    return NULL;
  }
  pid = fork();
  if (pid < 0) {
    int e = errno;
    free_mount_args(&m);
    return throw_errno(env, e, "fork", NULL);
  }
  if (pid == 0) {
    if (chdir(cwd) < 0) _exit(errno & 0x7f);
    if (do_mount(&m) < 0) _exit(errno & 0x7f);
    _exit(0);
  }
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      int e = errno;
      free_mount_args(&m);
      return throw_errno(env, e, "waitpid", NULL);
    }
  }
  if (!WIFEXITED(status)) throw_errno(env, EIO, "mount", m.target);
  else if (WEXITSTATUS(status) != 0) throw_errno(env, WEXITSTATUS(status), "mount", m.target);
  free_mount_args(&m);
  return NULL;
}

/* umount2(target, flags) */
static napi_value js_umount2(napi_env env, napi_callback_info info) {
  struct args a;
  AUTOFREE char *target = NULL;
  uint32_t flags = 0;
  if (get_args(env, info, &a, 1) < 0) return NULL;
  if (!(target = get_string(env, a.argv[0]))) return NULL;
  if (a.argc > 1 && get_u32(env, a.argv[1], &flags) < 0) return NULL;
  if (umount2(target, (int)flags) < 0) return throw_errno(env, errno, "umount2", target);
  return NULL;
}

struct umount_work {
  napi_async_work work;
  napi_deferred deferred;
  char *target;
  int flags;
  int count;
  int err;
};

static void umount_execute(napi_env env, void *data) {
  (void)env;
  struct umount_work *w = data;
  /* stacked mounts: until nothing is mounted there (EINVAL) or the path is gone (ENOENT) */
  for (w->count = 0; w->count < 64; w->count++) {
    if (umount2(w->target, w->flags) == 0) continue;
    if (errno != EINVAL && errno != ENOENT) w->err = errno;
    break;
  }
}

static void umount_complete(napi_env env, napi_status status, void *data) {
  struct umount_work *w = data;
  if (status != napi_ok && !w->err) w->err = ECANCELED;
  napi_value n;
  napi_create_int32(env, w->count, &n);
  settle_work(env, w->deferred, w->work, w->err ? errno_error(env, w->err, "umount2", w->target) : NULL, n);
  free(w->target);
  free(w);
}

napi_value queue_work(napi_env env, const char *resource, napi_async_execute_callback execute,
                      napi_async_complete_callback complete, void *data, napi_deferred *deferred, napi_async_work *work) {
  napi_value promise, name;
  napi_create_string_utf8(env, resource, NAPI_AUTO_LENGTH, &name);
  if (napi_create_promise(env, deferred, &promise) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, data, work) != napi_ok ||
      napi_queue_async_work(env, *work) != napi_ok)
    return NULL;
  return promise;
}

void settle_work(napi_env env, napi_deferred deferred, napi_async_work work, napi_value error, napi_value value) {
  if (error) napi_reject_deferred(env, deferred, error);
  else {
    if (!value) napi_get_undefined(env, &value);
    napi_resolve_deferred(env, deferred, value);
  }
  napi_delete_async_work(env, work);
}

/*
 * umountAllAsync(target, flags) -> Promise<number>: umount2 until nothing is mounted at target,
 * on a libuv worker thread (an unmount waits for an RCU grace period: milliseconds the event
 * loop should not spend blocked); resolves with how many mounts were removed.
 */
static napi_value js_umount_all_async(napi_env env, napi_callback_info info) {
  struct args a;
  uint32_t flags = 0;
  if (get_args(env, info, &a, 1) < 0) return NULL;
  if (a.argc > 1 && get_u32(env, a.argv[1], &flags) < 0) return NULL;
  struct umount_work *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, ENOMEM, "umount2", NULL);
  if (!(w->target = get_string(env, a.argv[0]))) {
    free(w);
    return NULL;
  }
  w->flags = (int)flags;
  napi_value promise = queue_work(env, "berth:umountAll", umount_execute, umount_complete, w, &w->deferred, &w->work);
  if (!promise) {
    free(w->target);
    free(w);
    return throw_errno(env, EAGAIN, "umount2", NULL);
  }
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"mknod", NULL, js_mknod, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lsetxattr", NULL, js_lsetxattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lgetxattr", NULL, js_lgetxattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"llistxattr", NULL, js_llistxattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mount", NULL, js_mount, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mountAt", NULL, js_mount_at, NULL, NULL, NULL, napi_enumerable, NULL},
      {"umount2", NULL, js_umount2, NULL, NULL, NULL, napi_enumerable, NULL},
      {"umountAllAsync", NULL, js_umount_all_async, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  berth_init_netlink(env, exports);
  berth_init_bpf(env, exports);
  berth_init_spawn(env, exports);
  berth_init_rmtree(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
