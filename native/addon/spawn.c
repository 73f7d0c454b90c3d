/*
 * Launching berth-shim without forking Node.js.
 *
 * child_process.spawn forks the whole daemon (page tables of a large heap, copy-on-write faults
 * while the garbage collector runs) before it execs: ~10 ms per container. posix_spawn in glibc
 * uses clone(CLONE_VM | CLONE_VFORK), which costs the same for any parent size. The executable
 * is a sealed memfd copy of the shim made once (sealedCopy), so the shim starts already
 * protected against being overwritten from a container (CVE-2019-5736) and skips its own
 * re-exec. No policy here: which fds go where is the caller's decision.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addon.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* sealedCopy(path) -> fd: a sealed, close-on-exec memfd holding a copy of the file. */
static napi_value js_sealed_copy(napi_env env, napi_callback_info info) {
  struct args a;
  AUTOFREE char *path = NULL;
  struct stat st;
  napi_value out;
  if (get_args(env, info, &a, 1) < 0) return NULL;
  if (!(path = get_string(env, a.argv[0]))) return NULL;
  int src = open(path, O_RDONLY | O_CLOEXEC);
  if (src < 0) return throw_errno(env, errno, "open", path);
  if (fstat(src, &st) < 0) {
    int e = errno;
    close(src);
    return throw_errno(env, e, "fstat", path);
  }
  int mfd = memfd_create("berth-shim", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL) mfd = memfd_create("berth-shim", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) {
    int e = errno;
    close(src);
    return throw_errno(env, e, "memfd_create", path);
  }
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n = sendfile(mfd, src, NULL, (size_t)left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      close(src);
      close(mfd);
      return throw_errno(env, e, "sendfile", path);
    }
    left -= n;
  }
  close(src);
  if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0) {
    int e = errno;
    close(mfd);
    return throw_errno(env, e, "seal memfd", path);
  }
  napi_create_int32(env, mfd, &out);
  return out;
}

#define MAX_FDS 64

/* Reads an array of fds (numbers; -1 stands for /dev/null) into fds; its length into *n. */
static int get_fd_list(napi_env env, napi_value arr, int *fds, uint32_t max, uint32_t *n) {
  uint32_t len = 0;
  bool is_array = false;
  if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array || napi_get_array_length(env, arr, &len) != napi_ok ||
      len > max) {
    napi_throw_type_error(env, NULL, "berth_sys: expected an array of fds");
    return -1;
  }
  *n = len;
  for (uint32_t i = 0; i < len; i++) {
    napi_value v;
    if (napi_get_element(env, arr, i, &v) != napi_ok || napi_get_value_int32(env, v, &fds[i]) != napi_ok) {
      napi_throw_type_error(env, NULL, "berth_sys: expected an array of fds");
      return -1;
    }
  }
  return 0;
}

/*
 * spawnWithSync(execFd, argv0, args[], [stdin, stdout, stderr], extra[]) -> { pid, sync }:
 * runs /proc/self/fd/<execFd> with an empty environment, the given stdio (-1: /dev/null), a new
 * stream socket on fd 3 and the `extra` fds at 4, 5...; `sync` is the parent's end of the socket
 * (close-on-exec), for net.Socket({ fd }).
 * Every signal is reset to its default and unblocked in the child. The caller reaps the child
 * with reap(pid).
 */
static napi_value js_spawn_with_sync(napi_env env, napi_callback_info info) {
  struct args a;
  AUTOFREE char *argv0 = NULL;
  int32_t exec_fd;
  int fds[MAX_FDS];
  uint32_t nargs = 0, nstdio = 0, nextra = 0;
  napi_value v;
  if (get_args(env, info, &a, 4) < 0) return NULL;
  if (napi_get_value_int32(env, a.argv[0], &exec_fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "berth_sys: expected an fd");
    return NULL;
  }
  if (!(argv0 = get_string(env, a.argv[1]))) return NULL;
  if (napi_get_array_length(env, a.argv[2], &nargs) != napi_ok || nargs > 62) {
    napi_throw_type_error(env, NULL, "berth_sys: expected an array of at most 62 arguments");
    return NULL;
  }
  if (get_fd_list(env, a.argv[3], fds, 3, &nstdio) < 0) return NULL;
  if (nstdio != 3) {
    napi_throw_type_error(env, NULL, "berth_sys: expected three stdio fds");
    return NULL;
  }
  if (a.argc > 4 && get_fd_list(env, a.argv[4], fds + 4, MAX_FDS - 4, &nextra) < 0) return NULL;
  const int nfds = (int)(4 + nextra);

  char *argv[64] = {0};
  argv[0] = argv0;
  int rc = 0;
  for (uint32_t i = 0; i < nargs; i++) {
    if (napi_get_element(env, a.argv[2], i, &v) != napi_ok || !(argv[i + 1] = get_string(env, v))) {
      rc = -1;
      break;
    }
  }
  napi_value result = NULL;
  int sv[2] = {-1, -1};
  int devnull = -1;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  bool fa_init = false, attr_init = false;
  int moved_fds[MAX_FDS];
  int nmoved = 0;
  if (rc < 0) goto out;

  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    throw_errno(env, errno, "socketpair", NULL);
    goto out;
  }
  devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) {
    throw_errno(env, errno, "open", "/dev/null");
    goto out;
  }
  if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
    throw_errno(env, rc, "posix_spawn_file_actions_init", NULL);
    goto out;
  }
  fa_init = true;
  for (int i = 0; i < 3; i++)
    if (fds[i] < 0) fds[i] = devnull;
  fds[3] = sv[1];
  for (int i = 0; i < nfds; i++) {
    /* a source below nfds other than its own target could be overwritten by an earlier dup2:
       move it out of the way first (the copy is close-on-exec and closed below) */
    if (fds[i] < nfds && fds[i] != i) {
      int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, nfds);
      if (moved < 0) {
        throw_errno(env, errno, "fcntl F_DUPFD_CLOEXEC", NULL);
        goto out;
      }
      moved_fds[nmoved++] = fds[i] = moved;
    }
  }
  for (int i = 0; i < nfds; i++) {
    if ((rc = posix_spawn_file_actions_adddup2(&fa, fds[i], i)) != 0) {
      throw_errno(env, rc, "posix_spawn_file_actions_adddup2", NULL);
      goto out;
    }
  }
  if ((rc = posix_spawnattr_init(&attr)) != 0) {
    throw_errno(env, rc, "posix_spawnattr_init", NULL);
    goto out;
  }
  attr_init = true;
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  char exe[64];
  snprintf(exe, sizeof exe, "/proc/self/fd/%d", exec_fd);
  char *envp[] = {NULL};
  pid_t pid;
  if ((rc = posix_spawn(&pid, exe, &fa, &attr, argv, envp)) != 0) {
    throw_errno(env, rc, "posix_spawn", argv0);
    goto out;
  }
  close(sv[1]);
  sv[1] = -1;
  napi_create_object(env, &result);
  napi_create_int32(env, pid, &v);
  napi_set_named_property(env, result, "pid", v);
  napi_create_int32(env, sv[0], &v);
  napi_set_named_property(env, result, "sync", v);
  sv[0] = -1;

out:
  if (fa_init) posix_spawn_file_actions_destroy(&fa);
  if (attr_init) posix_spawnattr_destroy(&attr);
  if (sv[0] >= 0) close(sv[0]);
  if (sv[1] >= 0) close(sv[1]);
  if (devnull >= 0) close(devnull);
  for (int i = 0; i < nmoved; i++) close(moved_fds[i]);
  for (uint32_t i = 1; i <= nargs && i < 64; i++) free(argv[i]);
  return result;
}

/* reap(pid) -> the wait status, or -1 while the child still runs (waitpid with WNOHANG). */
static napi_value js_reap(napi_env env, napi_callback_info info) {
  struct args a;
  int32_t pid;
  int status = 0;
  napi_value out;
  if (get_args(env, info, &a, 1) < 0) return NULL;
  if (napi_get_value_int32(env, a.argv[0], &pid) != napi_ok) {
    napi_throw_type_error(env, NULL, "berth_sys: expected a pid");
    return NULL;
  }
  pid_t r;
  do r = waitpid(pid, &status, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r < 0) return throw_errno(env, errno, "waitpid", NULL);
  napi_create_int32(env, r == 0 ? -1 : status, &out);
  return out;
}

void berth_init_spawn(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sealedCopy", NULL, js_sealed_copy, NULL, NULL, NULL, napi_enumerable, NULL},
      {"spawnWithSync", NULL, js_spawn_with_sync, NULL, NULL, NULL, napi_enumerable, NULL},
      {"reap", NULL, js_reap, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
