/* bpf(2) for cgroup v2 device programs (BPF_PROG_TYPE_CGROUP_DEVICE): load a program the
 * TypeScript side assembled, attach it to a cgroup directory, list and detach what is attached. */
#include "addon.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define VERIFIER_LOG_SIZE 65536
#define QUERY_MAX 64

/*
 * The verifier gives up with EAGAIN when a signal is pending (a SIGCHLD for the daemon, which
 * reaps its monitors, arrives at any time): a program load is tried again, as libbpf does.
 */
static long sys_bpf(int cmd, union bpf_attr *attr) {
  long r;
  int tries = 0;
  do r = syscall(SYS_bpf, cmd, attr, sizeof *attr);
  while (r < 0 && ((errno == EAGAIN && cmd == BPF_PROG_LOAD && ++tries < 20) || errno == EINTR));
  return r;
}

static void close_intp(int *fd) {
  if (*fd >= 0) close(*fd);
}
#define AUTOCLOSE __attribute__((cleanup(close_intp)))

/* Throws like throw_errno, with the verifier's verdict (the log's last line) in the message and
 * the whole log in err.verifierLog. */
static napi_value throw_verifier(napi_env env, int e, const char *log) {
  char msg[1024];
  size_t l = strlen(log), start;
  /* the last line but the statistics ("processed N insns ...") */
  for (;;) {
    while (l > 0 && (log[l - 1] == '\n' || log[l - 1] == ' ')) l--;
    start = l;
    while (start > 0 && log[start - 1] != '\n') start--;
    if (start == 0 || strncmp(log + start, "processed ", 10) != 0) break;
    l = start;
  }
  snprintf(msg, sizeof msg, "bpf_prog_load %s: %s: %.*s", errno_name(e), strerror(e), (int)(l - start), log + start);
  napi_value err, message, code, sc, num, full;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, message, &err);
  napi_set_named_property(env, err, "code", code);
  napi_create_string_utf8(env, "bpf_prog_load", NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, err, "syscall", sc);
  napi_create_int32(env, -e, &num);
  napi_set_named_property(env, err, "errno", num);
  napi_create_string_utf8(env, log, NAPI_AUTO_LENGTH, &full);
  napi_set_named_property(env, err, "verifierLog", full);
  napi_throw(env, err);
  return NULL;
}

/* bpfLoadDeviceProgram(insns: Buffer, license: string): number (the program fd, O_CLOEXEC) */
static napi_value js_load(napi_env env, napi_callback_info info) {
  struct args a;
  AUTOFREE char *license = NULL;
  void *data;
  size_t len;
  bool isbuf;
  if (get_args(env, info, &a, 2) < 0) return NULL;
  if (napi_is_buffer(env, a.argv[0], &isbuf) != napi_ok || !isbuf) {
    napi_throw_type_error(env, NULL, "berth_sys: expected a Buffer of bpf instructions");
    return NULL;
  }
  napi_get_buffer_info(env, a.argv[0], &data, &len);
  if (len == 0 || len % sizeof(struct bpf_insn) != 0) {
    napi_throw_type_error(env, NULL, "berth_sys: bpf program length must be a non-zero multiple of 8");
    return NULL;
  }
  if (!(license = get_string(env, a.argv[1]))) return NULL;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)data;
  attr.insn_cnt = (uint32_t)(len / sizeof(struct bpf_insn));
  attr.license = (uint64_t)(uintptr_t)license;
  snprintf(attr.prog_name, sizeof attr.prog_name, "berth_dev");
  long fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd < 0 && (errno == EACCES || errno == EINVAL)) {
    /* again with the verifier's log, to say why */
    int first = errno;
    AUTOFREE char *log = calloc(1, VERIFIER_LOG_SIZE);
    if (!log) return throw_errno(env, first, "bpf_prog_load", NULL);
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = VERIFIER_LOG_SIZE;
    attr.log_level = 1;
    fd = sys_bpf(BPF_PROG_LOAD, &attr);
    if (fd < 0) return log[0] ? throw_verifier(env, errno, log) : throw_errno(env, errno, "bpf_prog_load", NULL);
  }
  if (fd < 0) return throw_errno(env, errno, "bpf_prog_load", NULL);
  napi_value out;
  napi_create_int32(env, (int32_t)fd, &out);
  return out;
}

static int open_cgroup(napi_env env, const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_errno(env, errno, "open", path);
  return fd;
}

/* bpfAttachDevice(cgroupDir: string, progFd: number, flags: number, replaceFd?: number) */
static napi_value js_attach(napi_env env, napi_callback_info info) {
  struct args a;
  AUTOFREE char *path = NULL;
  uint32_t prog, flags, replace = 0;
  if (get_args(env, info, &a, 3) < 0) return NULL;
  if (!(path = get_string(env, a.argv[0]))) return NULL;
  if (get_u32(env, a.argv[1], &prog) < 0 || get_u32(env, a.argv[2], &flags) < 0) return NULL;
  if (a.argc > 3) {
    napi_valuetype t;
    napi_typeof(env, a.argv[3], &t);
    if (t != napi_undefined && t != napi_null && get_u32(env, a.argv[3], &replace) < 0) return NULL;
  }
  AUTOCLOSE int cg = open_cgroup(env, path);
  if (cg < 0) return NULL;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)cg;
  attr.attach_bpf_fd = prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = flags;
  if (flags & BPF_F_REPLACE) attr.replace_bpf_fd = replace;
  if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0) return throw_errno(env, errno, "bpf_prog_attach", path);
  return NULL;
}

/* bpfQueryDevice(cgroupDir: string): number[] (ids of the device programs attached right there) */
static napi_value js_query(napi_env env, napi_callback_info info) {
  struct args a;
  AUTOFREE char *path = NULL;
  if (get_args(env, info, &a, 1) < 0) return NULL;
  if (!(path = get_string(env, a.argv[0]))) return NULL;
  AUTOCLOSE int cg = open_cgroup(env, path);
  if (cg < 0) return NULL;
  uint32_t ids[QUERY_MAX];
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.query.target_fd = (uint32_t)cg;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  attr.query.prog_cnt = QUERY_MAX;
  if (sys_bpf(BPF_PROG_QUERY, &attr) < 0) return throw_errno(env, errno, "bpf_prog_query", path);
  napi_value out;
  uint32_t n = attr.query.prog_cnt < QUERY_MAX ? attr.query.prog_cnt : QUERY_MAX;
  napi_create_array_with_length(env, n, &out);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_create_uint32(env, ids[i], &v);
    napi_set_element(env, out, i, v);
  }
  return out;
}

/* bpfDetachDevice(cgroupDir: string, progId: number) */
static napi_value js_detach(napi_env env, napi_callback_info info) {
  struct args a;
  AUTOFREE char *path = NULL;
  uint32_t id;
  if (get_args(env, info, &a, 2) < 0) return NULL;
  if (!(path = get_string(env, a.argv[0]))) return NULL;
  if (get_u32(env, a.argv[1], &id) < 0) return NULL;
  AUTOCLOSE int cg = open_cgroup(env, path);
  if (cg < 0) return NULL;
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_id = id;
  AUTOCLOSE int prog = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
  if (prog < 0) return throw_errno(env, errno, "bpf_prog_get_fd_by_id", NULL);
  memset(&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)cg;
  attr.attach_bpf_fd = (uint32_t)prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (sys_bpf(BPF_PROG_DETACH, &attr) < 0) return throw_errno(env, errno, "bpf_prog_detach", path);
  return NULL;
}

void berth_init_bpf(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"bpfLoadDeviceProgram", NULL, js_load, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bpfAttachDevice", NULL, js_attach, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bpfQueryDevice", NULL, js_query, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bpfDetachDevice", NULL, js_detach, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
