/* stage 2, filesystem: the rootfs bind, every planned mount in order (targets resolved inside the
 * rootfs with openat2 RESOLVE_IN_ROOT, so no symlink can lead a mount out of it), devices,
 * /dev symlinks, createContainer hooks, pivot_root; then sysctls, hostname, readonly and masked
 * paths and the readonly rootfs. */
#include "stages.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int rootfd = -1;

/* Idmapped bind mounts, made by the monitor in the host's namespaces (only there is it
 * privileged over the source's filesystem) and moved into place by stage 2, which inherits
 * the detached mount fds. */
#define MAX_IDMAPPED 64
static struct {
  const struct plan_rec *r;
  int fd;
} idmapped[MAX_IDMAPPED];
static int n_idmapped;

/* Whether a mount record carries id maps (fields 9, 10: uid_map and gid_map text; 11: recursive). */
static int is_idmapped(const struct plan_rec *r) {
  return strcmp(r->f[0], "mount") == 0 && r->n >= 12 && r->f[9][0] && r->f[10][0];
}

/* A user namespace with these id maps: a child unshares it and waits to be killed; the fd to
 * its namespace outlives it. */
static int userns_with_maps(const char *uidmap, const char *gidmap, struct shim_error *err) {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) < 0) return fail(err, errno, "idmap: pipe");
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(ready[0]);
    close(ready[1]);
    return fail(err, e, "idmap: fork");
  }
  if (pid == 0) {
    close(ready[0]);
    char ok = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
    if (write(ready[1], &ok, 1) != 1) _exit(1);
    for (;;) pause();
  }
  close(ready[1]);
  char ok = 0;
  ssize_t n;
  do n = read(ready[0], &ok, 1);
  while (n < 0 && errno == EINTR);
  close(ready[0]);
  int fd = -1;
  char path[64];
  if (n != 1 || ok != 'y') {
    fail(err, EPERM, "idmap: create user namespace");
    goto out;
  }
  snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
  if (write_file(path, uidmap, strlen(uidmap), err) < 0) goto out;
  snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
  if (write_file(path, gidmap, strlen(gidmap), err) < 0) goto out;
  snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(err, errno, "idmap: open user namespace");
out:
  kill(pid, SIGKILL);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
  }
  return fd;
}

int prepare_idmapped_mounts(const struct plan *p, struct shim_error *err) {
  for (int i = 0; i < p->n; i++) {
    const struct plan_rec *r = &p->recs[i];
    if (!is_idmapped(r)) continue;
    const char *src = r->f[1], *dst = r->f[2];
    if (n_idmapped == MAX_IDMAPPED) return fail(err, E2BIG, "mount \"%s\": more than %d idmapped mounts", dst, MAX_IDMAPPED);
    unsigned long flags = strtoul(r->f[4], NULL, 0);
    int recursive = strcmp(r->f[11], "1") == 0;
    cleanup_fd int ns = userns_with_maps(r->f[9], r->f[10], err);
    if (ns < 0) return prefix_error(err, "mount \"%s\"", dst);
    int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((flags & MS_REC) ? AT_RECURSIVE : 0));
    if (tree < 0) return fail(err, errno, "mount \"%s\": idmap: open_tree \"%s\"", dst, src);
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)ns};
    if (mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0) {
      int e = errno;
      close(tree);
      return fail(err, e, "mount \"%s\": idmap \"%s\"", dst, src);
    }
    idmapped[n_idmapped].r = r;
    idmapped[n_idmapped].fd = tree;
    n_idmapped++;
  }
  return 0;
}

void close_idmapped_mounts(void) {
  for (int i = 0; i < n_idmapped; i++) close(idmapped[i].fd);
  n_idmapped = 0;
}

static int idmapped_fd(const struct plan_rec *r) {
  for (int i = 0; i < n_idmapped; i++)
    if (idmapped[i].r == r) return idmapped[i].fd;
  return -1;
}

static int openat2_in_root(int dirfd, const char *path, int flags) {
  struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  const char *rel = path;
  while (*rel == '/') rel++;
  if (*rel == '\0') rel = ".";
  return (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
}

/* Splits path into parent (in `parent`) and the last component (returned). */
static const char *split_path(const char *path, char *parent, size_t size) {
  snprintf(parent, size, "%s", path);
  size_t l = strlen(parent);
  while (l > 1 && parent[l - 1] == '/') parent[--l] = '\0';
  char *slash = strrchr(parent, '/');
  if (!slash) {
    snprintf(parent, size, "/");
    return path;
  }
  const char *base = path + (slash - parent) + 1;
  if (slash == parent) parent[1] = '\0';
  else *slash = '\0';
  return base;
}

static int mkdir_in_root_depth(const char *path, int depth, struct shim_error *err);

/* Creates every missing directory of `path` inside the rootfs; returns an O_PATH fd of it.
 * A dangling symlink on the way is followed inside the rootfs and its target created there. */
static int mkdir_in_root(const char *path, struct shim_error *err) {
  return mkdir_in_root_depth(path, 0, err);
}

static int mkdir_in_root_depth(const char *path, int depth, struct shim_error *err) {
  if (depth > 40) return fail(err, ELOOP, "resolve \"%s\" in rootfs", path);
  int fd = openat2_in_root(rootfd, path, O_PATH | O_DIRECTORY);
  if (fd >= 0 || errno != ENOENT) {
    if (fd < 0) return fail(err, errno, "resolve \"%s\" in rootfs", path);
    return fd;
  }
  char parent[4096];
  const char *base = split_path(path, parent, sizeof parent);
  int pfd = mkdir_in_root_depth(parent, depth + 1, err);
  if (pfd < 0) return -1;
  if (mkdirat(pfd, base, 0755) < 0 && errno != EEXIST) {
    int e = errno;
    close(pfd);
    return fail(err, e, "mkdir \"%s\" in rootfs", path);
  }
  char link[4096];
  ssize_t ll = readlinkat(pfd, base, link, sizeof link - 1);
  close(pfd);
  if (ll > 0) {
    /* a dangling symlink: create what it points to, resolved inside the rootfs */
    link[ll] = '\0';
    char next[8300];
    if (link[0] == '/') snprintf(next, sizeof next, "%s", link);
    else snprintf(next, sizeof next, "%s/%s", parent, link);
    int tfd = mkdir_in_root_depth(next, depth + 1, err);
    if (tfd < 0) return -1;
    close(tfd);
  }
  fd = openat2_in_root(rootfd, path, O_PATH | O_DIRECTORY);
  if (fd < 0) return fail(err, errno, "resolve \"%s\" in rootfs", path);
  return fd;
}

/* An O_PATH fd for a mount target inside the rootfs, created as a dir or (file=1) empty file. */
static int target_in_root(const char *path, int file, struct shim_error *err) {
  if (!file) return mkdir_in_root(path, err);
  int fd = openat2_in_root(rootfd, path, O_PATH);
  if (fd >= 0) return fd;
  if (errno != ENOENT) return fail(err, errno, "resolve \"%s\" in rootfs", path);
  char parent[4096];
  const char *base = split_path(path, parent, sizeof parent);
  int pfd = mkdir_in_root(parent, err);
  if (pfd < 0) return -1;
  int f = openat(pfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (f < 0 && errno != EEXIST) {
    int e = errno;
    close(pfd);
    return fail(err, e, "create \"%s\" in rootfs", path);
  }
  if (f >= 0) close(f);
  close(pfd);
  fd = openat2_in_root(rootfd, path, O_PATH);
  if (fd < 0) return fail(err, errno, "resolve \"%s\" in rootfs", path);
  return fd;
}

static unsigned long locked_flags(const char *path) {
  struct statvfs sv;
  if (statvfs(path, &sv) < 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
  return f;
}

/* Remounts a bind mount with `flags`, keeping flags the kernel locks in a user namespace. */
static int bind_remount(const char *path, unsigned long flags) {
  if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | flags, NULL) == 0) return 0;
  if (errno != EPERM) return -1;
  return mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | flags | locked_flags(path), NULL);
}

#define REMOUNT_MASK (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_NOSYMFOLLOW)

static int do_mount(const struct plan_rec *r, struct shim_error *err) {
  if (r->n < 7) return fail(err, 0, "bad mount record");
  const char *src = r->f[1], *dst = r->f[2], *type = r->f[3], *data = r->f[6];
  unsigned long flags = strtoul(r->f[4], NULL, 0), pflags = strtoul(r->f[5], NULL, 0);
  int bind = (flags & MS_BIND) != 0;
  int file = 0;
  if (bind) {
    struct stat st;
    if (stat(src, &st) < 0) return fail(err, errno, "mount \"%s\": stat source \"%s\"", dst, src);
    file = !S_ISDIR(st.st_mode);
  }
  int fd = target_in_root(dst, file, err);
  if (fd < 0) return prefix_error(err, "mount \"%s\"", dst);
  char fdpath[64];
  snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
  int rc;
  if (is_idmapped(r)) {
    int tree = idmapped_fd(r);
    if (tree < 0) {
      close(fd);
      return fail(err, EBADF, "mount \"%s\": idmapped mount not prepared", dst);
    }
    rc = move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  } else if (bind) {
    rc = mount(src, fdpath, NULL, MS_BIND | (flags & MS_REC), NULL);
  } else {
    rc = mount(src, fdpath, type[0] ? type : NULL, flags & ~(MS_BIND | MS_REC), data[0] ? data : NULL);
  }
  int e = errno;
  close(fd);
  if (rc < 0) return fail(err, e, "mount \"%s\"", dst);
  if ((bind && (flags & REMOUNT_MASK)) || pflags) {
    fd = openat2_in_root(rootfd, dst, O_PATH);
    if (fd < 0) return fail(err, errno, "mount \"%s\": reopen", dst);
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
    if (bind && (flags & REMOUNT_MASK) && bind_remount(fdpath, flags & REMOUNT_MASK) < 0) {
      e = errno;
      close(fd);
      return fail(err, e, "mount \"%s\": remount", dst);
    }
    if (pflags && mount(NULL, fdpath, NULL, pflags, NULL) < 0) {
      e = errno;
      close(fd);
      return fail(err, e, "mount \"%s\": set propagation", dst);
    }
    close(fd);
  }
  /* "rro", "rnosuid"...: mount_setattr over the whole tree at the target */
  unsigned long long attr_set = r->n >= 9 ? strtoull(r->f[7], NULL, 0) : 0, attr_clr = r->n >= 9 ? strtoull(r->f[8], NULL, 0) : 0;
  if (attr_set || attr_clr) {
    cleanup_fd int tfd = openat2_in_root(rootfd, dst, O_PATH);
    if (tfd < 0) return fail(err, errno, "mount \"%s\": reopen", dst);
    struct mount_attr attr = {.attr_set = attr_set, .attr_clr = attr_clr};
    if (mount_setattr(tfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
      return fail(err, errno, "mount \"%s\": set recursive attributes", dst);
  }
  return 0;
}

/* device <path> <c|b|p|u> <major> <minor> <mode> <uid> <gid> */
static int do_device(const struct plan_rec *r, struct shim_error *err) {
  if (r->n < 8) return fail(err, 0, "bad device record");
  const char *path = r->f[1];
  char t = r->f[2][0];
  unsigned maj = (unsigned)strtoul(r->f[3], NULL, 0), min = (unsigned)strtoul(r->f[4], NULL, 0);
  mode_t mode = (mode_t)strtoul(r->f[5], NULL, 0) & 07777;
  uid_t uid = (uid_t)strtoul(r->f[6], NULL, 0);
  gid_t gid = (gid_t)strtoul(r->f[7], NULL, 0);
  mode_t kind = t == 'b' ? S_IFBLK : t == 'p' ? S_IFIFO : S_IFCHR;
  char parent[4096];
  const char *base = split_path(path, parent, sizeof parent);
  int pfd = mkdir_in_root(parent, err);
  if (pfd < 0) return prefix_error(err, "device \"%s\"", path);
  if (mknodat(pfd, base, kind | mode, makedev(maj, min)) < 0) {
    if (errno == EEXIST) {
      close(pfd);
      return 0;
    }
    if (errno != EPERM) {
      int e = errno;
      close(pfd);
      return fail(err, e, "device \"%s\": mknod", path);
    }
    /* in a user namespace: bind the host's node instead */
    close(pfd);
    struct plan_rec m = {0};
    char *f[] = {"mount", (char *)path, (char *)path, "", "4096", "0", "", NULL};
    m.f = f;
    m.n = 7;
    return do_mount(&m, err);
  }
  fchmodat(pfd, base, mode, 0);
  if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
    int e = errno;
    close(pfd);
    return fail(err, e, "device \"%s\": chown", path);
  }
  close(pfd);
  return 0;
}

/* symlink <target> <linkpath> */
static int do_symlink(const struct plan_rec *r, struct shim_error *err) {
  if (r->n < 3) return fail(err, 0, "bad symlink record");
  char parent[4096];
  const char *base = split_path(r->f[2], parent, sizeof parent);
  cleanup_fd int pfd = mkdir_in_root(parent, err);
  if (pfd < 0) return -1;
  if (symlinkat(r->f[1], pfd, base) < 0 && errno != EEXIST) return fail(err, errno, "symlink \"%s\"", r->f[2]);
  return 0;
}

static int pivot(const char *rootfs, struct shim_error *err) {
  {
    cleanup_fd int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0) return fail(err, errno, "open /");
    if (fchdir(rootfd) < 0) return fail(err, errno, "chdir \"%s\"", rootfs);
    if (syscall(SYS_pivot_root, ".", ".") < 0) return fail(err, errno, "pivot_root \"%s\"", rootfs);
    if (fchdir(oldroot) < 0) return fail(err, errno, "chdir to old root");
  }
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) return fail(err, errno, "make old root rslave");
  if (umount2(".", MNT_DETACH) < 0) return fail(err, errno, "unmount old root");
  if (chdir("/") < 0) return fail(err, errno, "chdir /");
  close(rootfd);
  rootfd = -1;
  return 0;
}

int setup_rootfs(const struct plan *p, int sync, struct shim_error *err) {
  (void)sync;
  const char *rootfs = plan_str(p, "rootfs", 1);
  if (!rootfs) return 0;
  const char *prop = plan_str(p, "rootfs-propagation", 1);
  unsigned long pflags = prop ? strtoul(prop, NULL, 0) : (MS_SLAVE | MS_REC);
  if (mount(NULL, "/", NULL, pflags, NULL) < 0) return fail(err, errno, "set rootfs propagation");
  if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) return fail(err, errno, "bind rootfs \"%s\"", rootfs);
  rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) return fail(err, errno, "open rootfs \"%s\"", rootfs);
  for (int i = 0; i < p->n; i++) {
    const struct plan_rec *r = &p->recs[i];
    int rc = 0;
    if (strcmp(r->f[0], "mount") == 0) rc = do_mount(r, err);
    else if (strcmp(r->f[0], "device") == 0) rc = do_device(r, err);
    else if (strcmp(r->f[0], "symlink") == 0) rc = do_symlink(r, err);
    if (rc < 0) return -1;
  }
  if (run_hooks(p, "createContainer", err) < 0) return -1;
  return pivot(rootfs, err);
}

int finish_rootfs(const struct plan *p, struct shim_error *err) {
  for (int i = 0; i < p->n; i++) {
    const struct plan_rec *r = &p->recs[i];
    if (strcmp(r->f[0], "sysctl") == 0 && r->n >= 3) {
      char path[4200];
      snprintf(path, sizeof path, "/proc/sys/%s", r->f[1]);
      if (write_file(path, r->f[2], strlen(r->f[2]), err) < 0) return prefix_error(err, "sysctl \"%s\"", r->f[1]);
    }
  }
  const char *h = plan_str(p, "hostname", 1);
  if (h && sethostname(h, strlen(h)) < 0) return fail(err, errno, "set hostname \"%s\"", h);
  const char *d = plan_str(p, "domainname", 1);
  if (d && setdomainname(d, strlen(d)) < 0) return fail(err, errno, "set domainname \"%s\"", d);
  for (int i = 0; i < p->n; i++) {
    const struct plan_rec *r = &p->recs[i];
    if (strcmp(r->f[0], "readonly") != 0 || r->n < 2) continue;
    if (mount(r->f[1], r->f[1], NULL, MS_BIND | MS_REC, NULL) < 0) {
      if (errno == ENOENT) continue;
      return fail(err, errno, "readonly path \"%s\"", r->f[1]);
    }
    if (bind_remount(r->f[1], MS_RDONLY | MS_REC) < 0) return fail(err, errno, "readonly path \"%s\": remount", r->f[1]);
  }
  for (int i = 0; i < p->n; i++) {
    const struct plan_rec *r = &p->recs[i];
    if (strcmp(r->f[0], "masked") != 0 || r->n < 2) continue;
    struct stat st;
    if (lstat(r->f[1], &st) < 0) {
      if (errno == ENOENT) continue;
      return fail(err, errno, "mask \"%s\"", r->f[1]);
    }
    int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", r->f[1], "tmpfs", MS_RDONLY, NULL) : mount("/dev/null", r->f[1], NULL, MS_BIND, NULL);
    if (rc < 0) return fail(err, errno, "mask \"%s\"", r->f[1]);
  }
  if (plan_has(p, "readonly-rootfs") && bind_remount("/", MS_RDONLY) < 0) return fail(err, errno, "remount rootfs readonly");
  return 0;
}
