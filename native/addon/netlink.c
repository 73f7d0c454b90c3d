/*
 * rtnetlink for the network layer: persistent network namespaces, veth pairs whose peer is born
 * inside the container's namespace, addresses, links up, default routes, link deletion. Every
 * call is synchronous and spawns nothing; each request waits for the kernel's ACK, and a NACK
 * is thrown as an Error with `code` (errno name), `errno`, `syscall` (the message type) and a
 * message such as `create veth "vethabc": RTM_NEWLINK: File exists`.
 *
 * Network namespaces are per thread: a call that must act inside a namespace saves the calling
 * thread's own (/proc/thread-self/ns/net), setns(2)s into the target only long enough to open a
 * socket or unshare, and always setns(2)s back before returning.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addon.h"

#define NL_BUF 4096
#define SELF_NS "/proc/thread-self/ns/net"

/* One request under construction: the netlink header, its payload, then attributes. */
struct nlreq {
  union {
    struct nlmsghdr hdr;
    char buf[NL_BUF];
  } u;
};

static const char *errno_code(int e) {
  switch (e) {
  case ENODEV: return "ENODEV";
  case ESRCH: return "ESRCH";
  case ENETUNREACH: return "ENETUNREACH";
  case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
  case EADDRINUSE: return "EADDRINUSE";
  case ENOBUFS: return "ENOBUFS";
  case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
  case EAFNOSUPPORT: return "EAFNOSUPPORT";
  case ENOTSUP: return "ENOTSUP";
  case ECANCELED: return "ECANCELED";
  case EAGAIN: return "EAGAIN";
  default: return errno_name(e);
  }
}

/* An Error `<action>: <step>: <strerror>` with code/errno/syscall like Node's errors. */
static napi_value nl_error(napi_env env, int e, const char *action, const char *step) {
  char msg[512];
  napi_value err, message, code, sc, num;
  snprintf(msg, sizeof msg, "%s: %s: %s", action, step, strerror(e));
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_string_utf8(env, errno_code(e), NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, message, &err);
  napi_set_named_property(env, err, "code", code);
  napi_create_string_utf8(env, step, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, err, "syscall", sc);
  napi_create_int32(env, -e, &num);
  napi_set_named_property(env, err, "errno", num);
  return err;
}

/* Throws nl_error(...); returns NULL. */
static napi_value throw_nl(napi_env env, int e, const char *action, const char *step) {
  napi_throw(env, nl_error(env, e, action, step));
  return NULL;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
}
#define AUTOCLOSE __attribute__((cleanup(close_fd)))

/* ------------------------------------------------------------------ message building */

static void req_init(struct nlreq *r, uint16_t type, uint16_t flags, const void *payload, size_t len) {
  memset(r->u.buf, 0, sizeof r->u.buf);
  r->u.hdr.nlmsg_len = NLMSG_LENGTH(len);
  r->u.hdr.nlmsg_type = type;
  r->u.hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  memcpy(NLMSG_DATA(&r->u.hdr), payload, len);
}

/* Appends an attribute; returns it (for nesting) or NULL when the buffer is full. */
static struct rtattr *add_attr(struct nlreq *r, uint16_t type, const void *data, size_t len) {
  size_t at = NLMSG_ALIGN(r->u.hdr.nlmsg_len);
  if (at + RTA_SPACE(len) > sizeof r->u.buf) return NULL;
  struct rtattr *a = (struct rtattr *)(r->u.buf + at);
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(a), data, len);
  r->u.hdr.nlmsg_len = at + RTA_SPACE(len);
  return a;
}

static struct rtattr *nest_start(struct nlreq *r, uint16_t type) { return add_attr(r, type, NULL, 0); }

static void nest_end(struct nlreq *r, struct rtattr *nest) {
  nest->rta_len = (unsigned short)(r->u.buf + r->u.hdr.nlmsg_len - (char *)nest);
}

/* ------------------------------------------------------------------ transport */

/* A NETLINK_ROUTE socket in the calling thread's namespace; -1 with errno set. */
static int nl_open(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -1;
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

/*
 * Sends one request and reads until its ACK (or error). When `reply` is given, the type of the
 * answer's first other message is stored there and the start of its payload copied to `out`
 * (at most `outlen` bytes). Returns 0, or the errno.
 */
static int nl_talk(int fd, struct nlreq *r, uint16_t *reply, void *out, size_t outlen) {
  static uint32_t seq;
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  char buf[32768];
  r->u.hdr.nlmsg_seq = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
  if (sendto(fd, r->u.buf, r->u.hdr.nlmsg_len, 0, (struct sockaddr *)&to, sizeof to) < 0) return errno;
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != r->u.hdr.nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(h);
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof *e)) return EPROTO;
        return -e->error;
      }
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      if (reply) {
        size_t have = h->nlmsg_len - NLMSG_HDRLEN;
        *reply = h->nlmsg_type;
        memcpy(out, NLMSG_DATA(h), have < outlen ? have : outlen);
        reply = NULL;
      }
    }
  }
}

/* ------------------------------------------------------------------ namespaces */

/* Opens a NETLINK_ROUTE socket inside the namespace at `path` (NULL: the caller's own). */
static int nl_open_in(const char *path, int *err) {
  if (!path) {
    int fd = nl_open();
    *err = fd < 0 ? errno : 0;
    return fd;
  }
  int AUTOCLOSE self = open(SELF_NS, O_RDONLY | O_CLOEXEC);
  int AUTOCLOSE target = open(path, O_RDONLY | O_CLOEXEC);
  if (self < 0 || target < 0) {
    *err = errno;
    return -1;
  }
  if (setns(target, CLONE_NEWNET) < 0) {
    *err = errno;
    return -1;
  }
  int fd = nl_open();
  *err = fd < 0 ? errno : 0;
  if (setns(self, CLONE_NEWNET) < 0) abort(); /* never keep running in the wrong namespace */
  return fd;
}

/* netnsCreate(path): a new network namespace kept alive by a bind mount on `path` (created if absent). */
static napi_value netns_create(napi_env env, napi_callback_info info) {
  struct args a;
  if (get_args(env, info, &a, 1) < 0) return NULL;
  char AUTOFREE *path = get_string(env, a.argv[0]);
  if (!path) return NULL;
  char action[4200];
  snprintf(action, sizeof action, "create network namespace \"%s\"", path);
  int AUTOCLOSE file = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  if (file < 0) return throw_nl(env, errno, action, "open");
  int AUTOCLOSE self = open(SELF_NS, O_RDONLY | O_CLOEXEC);
  if (self < 0) return throw_nl(env, errno, action, "open " SELF_NS);
  if (unshare(CLONE_NEWNET) < 0) return throw_nl(env, errno, action, "unshare");
  int e = 0;
  if (mount(SELF_NS, path, NULL, MS_BIND, NULL) < 0) e = errno;
  if (setns(self, CLONE_NEWNET) < 0) abort();
  if (e) return throw_nl(env, e, action, "mount");
  return NULL;
}

/* ------------------------------------------------------------------ links */

static int parse_mac(const char *s, unsigned char mac[6]) {
  unsigned int b[6];
  char tail;
  if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6) return -1;
  for (int i = 0; i < 6; i++) mac[i] = (unsigned char)b[i];
  return 0;
}

/* The index of link `name` on socket `fd`'s namespace; 0 with *err set when there is none. */
static int link_index(int fd, const char *name, int *err) {
  struct nlreq r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC}, got = {0};
  uint16_t type = 0;
  uint32_t mask = RTEXT_FILTER_SKIP_STATS;
  req_init(&r, RTM_GETLINK, 0, &ifi, sizeof ifi);
  add_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
  add_attr(&r, IFLA_EXT_MASK, &mask, sizeof mask);
  *err = nl_talk(fd, &r, &type, &got, sizeof got);
  if (*err) return 0;
  if (type != RTM_NEWLINK || got.ifi_index <= 0) {
    *err = ENODEV;
    return 0;
  }
  return got.ifi_index;
}

/* Sets link `name` up (by name: no index needed). */
static int link_up(int fd, const char *name) {
  struct nlreq r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
  req_init(&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
  add_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
  return nl_talk(fd, &r, NULL, NULL, 0);
}

/*
 * vethCreate(name, peerName, peerNetnsPath, bridge|null, peerMac|null, mtu): a veth pair whose
 * host end `name` is up (and enslaved to `bridge`), and whose peer is created directly inside
 * the namespace at `peerNetnsPath` as `peerName` (down) with `peerMac`; mtu 0 keeps the default.
 */
static napi_value veth_create(napi_env env, napi_callback_info info) {
  struct args a;
  if (get_args(env, info, &a, 6) < 0) return NULL;
  char AUTOFREE *name = get_string(env, a.argv[0]);
  if (!name) return NULL;
  char AUTOFREE *peer = get_string(env, a.argv[1]);
  if (!peer) return NULL;
  char AUTOFREE *nspath = get_string(env, a.argv[2]);
  if (!nspath) return NULL;
  char AUTOFREE *bridge = NULL;
  char AUTOFREE *mac = NULL;
  uint32_t mtu = 0;
  if (get_opt_string(env, a.argv[3], &bridge) < 0 || get_opt_string(env, a.argv[4], &mac) < 0) return NULL;
  if (get_u32(env, a.argv[5], &mtu) < 0) return NULL;
  char action[256];
  snprintf(action, sizeof action, "create veth \"%.64s\"", name);
  if (strlen(name) >= IFNAMSIZ || strlen(peer) >= IFNAMSIZ || !*name || !*peer) return throw_nl(env, EINVAL, action, "interface name");
  unsigned char hw[6];
  if (mac && parse_mac(mac, hw) < 0) return throw_nl(env, EINVAL, action, "mac address");

  int e = 0;
  int AUTOCLOSE fd = nl_open();
  if (fd < 0) return throw_nl(env, errno, action, "socket");
  int master = 0;
  if (bridge) {
    master = link_index(fd, bridge, &e);
    if (!master) {
      char step[128];
      snprintf(step, sizeof step, "bridge \"%.32s\"", bridge);
      return throw_nl(env, e, action, step);
    }
  }
  int AUTOCLOSE nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) return throw_nl(env, errno, action, "open network namespace");

  struct nlreq r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
  req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
  add_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
  if (mtu) add_attr(&r, IFLA_MTU, &mtu, sizeof mtu);
  if (master) add_attr(&r, IFLA_MASTER, &master, sizeof master);
  struct rtattr *linkinfo = nest_start(&r, IFLA_LINKINFO);
  add_attr(&r, IFLA_INFO_KIND, "veth", 5);
  struct rtattr *data = nest_start(&r, IFLA_INFO_DATA);
  struct rtattr *peerinfo = nest_start(&r, VETH_INFO_PEER);
  /* the peer's attributes follow its own ifinfomsg; it cannot come up before the pair exists */
  struct ifinfomsg pifi = {.ifi_family = AF_UNSPEC};
  size_t at = NLMSG_ALIGN(r.u.hdr.nlmsg_len);
  memcpy(r.u.buf + at, &pifi, sizeof pifi);
  r.u.hdr.nlmsg_len = at + NLMSG_ALIGN(sizeof pifi);
  add_attr(&r, IFLA_IFNAME, peer, strlen(peer) + 1);
  int nsfd_attr = nsfd;
  add_attr(&r, IFLA_NET_NS_FD, &nsfd_attr, sizeof nsfd_attr);
  if (mac) add_attr(&r, IFLA_ADDRESS, hw, sizeof hw);
  if (mtu) add_attr(&r, IFLA_MTU, &mtu, sizeof mtu);
  nest_end(&r, peerinfo);
  nest_end(&r, data);
  nest_end(&r, linkinfo);
  e = nl_talk(fd, &r, NULL, NULL, 0);
  if (e) return throw_nl(env, e, action, "RTM_NEWLINK");
  return NULL;
}

/* Deletes link `name` in the namespace at `nspath` (NULL: the caller's); 0 or errno, *step names the failing step. */
static int delete_link(const char *name, const char *nspath, const char **step) {
  int e = 0;
  *step = "socket";
  int AUTOCLOSE fd = nl_open_in(nspath, &e);
  if (fd < 0) return e;
  struct nlreq r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  req_init(&r, RTM_DELLINK, 0, &ifi, sizeof ifi);
  add_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
  *step = "RTM_DELLINK";
  return nl_talk(fd, &r, NULL, NULL, 0);
}

struct delete_work {
  napi_async_work work;
  napi_deferred deferred;
  char *name;
  char *nspath;
  char action[96];
  const char *step;
  int err;
};

static void delete_execute(napi_env env, void *data) {
  (void)env;
  struct delete_work *w = data;
  w->err = delete_link(w->name, w->nspath, &w->step);
}

static void delete_complete(napi_env env, napi_status status, void *data) {
  struct delete_work *w = data;
  if (status != napi_ok) w->err = ECANCELED;
  settle_work(env, w->deferred, w->work, w->err ? nl_error(env, w->err, w->action, w->step ? w->step : "cancel") : NULL, NULL);
  free(w->name);
  free(w->nspath);
  free(w);
}

/*
 * linkDelete(name, netnsPath|null): deletes a link (a veth's peer goes with it) on a libuv
 * worker thread, since the kernel takes ~20 ms to unregister a device; returns a promise.
 */
static napi_value link_delete(napi_env env, napi_callback_info info) {
  struct args a;
  if (get_args(env, info, &a, 1) < 0) return NULL;
  struct delete_work *w = calloc(1, sizeof *w);
  if (!w) return throw_nl(env, ENOMEM, "delete link", "calloc");
  w->name = get_string(env, a.argv[0]);
  if (!w->name || (a.argc > 1 && get_opt_string(env, a.argv[1], &w->nspath) < 0)) {
    free(w->name);
    free(w);
    return NULL;
  }
  snprintf(w->action, sizeof w->action, "delete link \"%.64s\"", w->name);
  if (strlen(w->name) >= IFNAMSIZ || !*w->name) {
    napi_value err = nl_error(env, EINVAL, w->action, "interface name");
    free(w->name);
    free(w->nspath);
    free(w);
    napi_throw(env, err);
    return NULL;
  }
  napi_value promise = queue_work(env, "berth:linkDelete", delete_execute, delete_complete, w, &w->deferred, &w->work);
  if (!promise) {
    free(w->name);
    free(w->nspath);
    free(w);
    return throw_nl(env, EAGAIN, "delete link", "queue work");
  }
  return promise;
}

/* linkDeleteSync(name, netnsPath|null): the same, on the calling thread. */
static napi_value link_delete_sync(napi_env env, napi_callback_info info) {
  struct args a;
  if (get_args(env, info, &a, 1) < 0) return NULL;
  char AUTOFREE *name = get_string(env, a.argv[0]);
  if (!name) return NULL;
  char AUTOFREE *nspath = NULL;
  if (a.argc > 1 && get_opt_string(env, a.argv[1], &nspath) < 0) return NULL;
  char action[96];
  snprintf(action, sizeof action, "delete link \"%.64s\"", name);
  if (strlen(name) >= IFNAMSIZ || !*name) return throw_nl(env, EINVAL, action, "interface name");
  const char *step = NULL;
  int e = delete_link(name, nspath, &step);
  if (e) return throw_nl(env, e, action, step);
  return NULL;
}

/*
 * RTM_NEWADDR: `local/prefix` on link `index`, with the broadcast address below /31; `flags`
 * NLM_F_EXCL (fail when present) or NLM_F_REPLACE (idempotent). 0 or an errno.
 */
static int add_ipv4_address(int fd, int index, struct in_addr local, uint32_t prefix, int flags) {
  struct nlreq r;
  struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)prefix, .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = (unsigned)index};
  req_init(&r, RTM_NEWADDR, NLM_F_CREATE | flags, &ifa, sizeof ifa);
  add_attr(&r, IFA_LOCAL, &local, sizeof local);
  add_attr(&r, IFA_ADDRESS, &local, sizeof local);
  if (prefix < 31) {
    uint32_t mask = prefix ? htonl(~((1u << (32 - prefix)) - 1)) : 0;
    struct in_addr brd = {.s_addr = (local.s_addr & mask) | ~mask};
    add_attr(&r, IFA_BROADCAST, &brd, sizeof brd);
  }
  return nl_talk(fd, &r, NULL, NULL, 0);
}

/*
 * netnsConfigure(netnsPath, ifName, address, prefixLength, gateway|null): inside the namespace,
 * `address/prefixLength` on `ifName`, `lo` and `ifName` up, and the default route via `gateway`.
 */
static napi_value netns_configure(napi_env env, napi_callback_info info) {
  struct args a;
  if (get_args(env, info, &a, 5) < 0) return NULL;
  char AUTOFREE *nspath = get_string(env, a.argv[0]);
  if (!nspath) return NULL;
  char AUTOFREE *ifname = get_string(env, a.argv[1]);
  if (!ifname) return NULL;
  char AUTOFREE *addr = get_string(env, a.argv[2]);
  if (!addr) return NULL;
  uint32_t prefix = 0;
  if (get_u32(env, a.argv[3], &prefix) < 0) return NULL;
  char AUTOFREE *gw = NULL;
  if (get_opt_string(env, a.argv[4], &gw) < 0) return NULL;
  char action[256];
  snprintf(action, sizeof action, "configure \"%.32s\" in \"%.160s\"", ifname, nspath);
  struct in_addr local, gateway;
  if (inet_pton(AF_INET, addr, &local) != 1 || prefix > 32) return throw_nl(env, EINVAL, action, "address");
  if (gw && inet_pton(AF_INET, gw, &gateway) != 1) return throw_nl(env, EINVAL, action, "gateway");
  if (strlen(ifname) >= IFNAMSIZ || !*ifname) return throw_nl(env, EINVAL, action, "interface name");

  int e = 0;
  int AUTOCLOSE fd = nl_open_in(nspath, &e);
  if (fd < 0) return throw_nl(env, e, action, "socket");
  int index = link_index(fd, ifname, &e);
  if (!index) return throw_nl(env, e, action, "RTM_GETLINK");

  struct nlreq r;
  if ((e = add_ipv4_address(fd, index, local, prefix, NLM_F_EXCL))) return throw_nl(env, e, action, "RTM_NEWADDR");
  if ((e = link_up(fd, "lo"))) return throw_nl(env, e, action, "RTM_NEWLINK lo up");
  if ((e = link_up(fd, ifname))) return throw_nl(env, e, action, "RTM_NEWLINK up");
  if (gw) {
    struct rtmsg rt = {
        .rtm_family = AF_INET,
        .rtm_table = RT_TABLE_MAIN,
        .rtm_protocol = RTPROT_BOOT,
        .rtm_scope = RT_SCOPE_UNIVERSE,
        .rtm_type = RTN_UNICAST,
    };
    req_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof rt);
    add_attr(&r, RTA_GATEWAY, &gateway, sizeof gateway);
    add_attr(&r, RTA_OIF, &index, sizeof index);
    if ((e = nl_talk(fd, &r, NULL, NULL, 0))) return throw_nl(env, e, action, "RTM_NEWROUTE default");
  }
  return NULL;
}

/*
 * bridgeEnsure(name, address, prefixLength, mtu): the bridge `name` in the caller's namespace,
 * created when missing (mtu 0: the default), up, holding `address/prefixLength`; idempotent.
 */
static napi_value bridge_ensure(napi_env env, napi_callback_info info) {
  struct args a;
  if (get_args(env, info, &a, 4) < 0) return NULL;
  char AUTOFREE *name = get_string(env, a.argv[0]);
  if (!name) return NULL;
  char AUTOFREE *addr = get_string(env, a.argv[1]);
  if (!addr) return NULL;
  uint32_t prefix = 0, mtu = 0;
  if (get_u32(env, a.argv[2], &prefix) < 0 || get_u32(env, a.argv[3], &mtu) < 0) return NULL;
  char action[96];
  snprintf(action, sizeof action, "set up bridge \"%.32s\"", name);
  struct in_addr local;
  if (inet_pton(AF_INET, addr, &local) != 1 || prefix > 32) return throw_nl(env, EINVAL, action, "address");
  if (strlen(name) >= IFNAMSIZ || !*name) return throw_nl(env, EINVAL, action, "interface name");

  int AUTOCLOSE fd = nl_open();
  if (fd < 0) return throw_nl(env, errno, action, "socket");
  struct nlreq r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
  /* no NLM_F_EXCL: an existing bridge of that name is kept (and set up) */
  req_init(&r, RTM_NEWLINK, NLM_F_CREATE, &ifi, sizeof ifi);
  add_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
  if (mtu) add_attr(&r, IFLA_MTU, &mtu, sizeof mtu);
  struct rtattr *linkinfo = nest_start(&r, IFLA_LINKINFO);
  add_attr(&r, IFLA_INFO_KIND, "bridge", 7);
  nest_end(&r, linkinfo);
  int e = nl_talk(fd, &r, NULL, NULL, 0);
  if (e) return throw_nl(env, e, action, "RTM_NEWLINK");
  int index = link_index(fd, name, &e);
  if (!index) return throw_nl(env, e, action, "RTM_GETLINK");

  if ((e = add_ipv4_address(fd, index, local, prefix, NLM_F_REPLACE))) return throw_nl(env, e, action, "RTM_NEWADDR");
  return NULL;
}

void berth_init_netlink(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"netnsCreate", NULL, netns_create, NULL, NULL, NULL, napi_default, NULL},
      {"vethCreate", NULL, veth_create, NULL, NULL, NULL, napi_default, NULL},
      {"netnsConfigure", NULL, netns_configure, NULL, NULL, NULL, napi_default, NULL},
      {"linkDelete", NULL, link_delete, NULL, NULL, NULL, napi_default, NULL},
      {"linkDeleteSync", NULL, link_delete_sync, NULL, NULL, NULL, napi_default, NULL},
      {"bridgeEnsure", NULL, bridge_ensure, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
