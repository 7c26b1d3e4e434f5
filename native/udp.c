/*
 * UDP sockets for the data plane: open/bind, batched receive (recvmmsg) and batched send
 * (sendmmsg), local address. Readiness comes from fdpoll.c's `poll`; closing uses tun.c's `close`.
 *
 * Why: node:dgram costs one system call, one Buffer, one address object and one JS event per
 * received datagram, and one libuv send request plus a completion callback per sent datagram
 * (about half of the daemon's busy time under load). recvmmsg(2)/sendmmsg(2) move a whole batch
 * per system call into and out of caller-owned slabs.
 *
 * Peer addresses are fixed 20-byte records in a caller-owned Uint8Array, one per datagram:
 *   [0]     family: 4 or 6
 *   [1]     reserved (0)
 *   [2..3]  port, network byte order
 *   [4..19] address: IPv4 in [4..7]; IPv6 in [4..19]
 * An AF_INET6 socket reports IPv4 peers as IPv4-mapped IPv6 (::ffff:a.b.c.d) unless the socket
 * was opened IPv6-only; records follow what the kernel reports, and an IPv4 record sent on an
 * AF_INET6 socket is converted to the mapped form.
 *
 * API:
 *   udpOpen(address: string, port, { reuseAddr?, recvBuffer?, sendBuffer? }) -> { fd, address, port }
 *   udpRecvBatch(fd, slab, slotSize, maxPackets, lengths: Uint32Array, peers: Uint8Array) -> count
 *   udpSendBatch(fd, slab, offsets, lengths, peers, count, errors?: Uint32Array) -> consumed
 *
 * Invariants:
 * - The fd is O_NONBLOCK | O_CLOEXEC. EAGAIN ends a batch and is never an error.
 * - No allocation per datagram: iovecs/mmsghdrs live on the C stack, bounded by MAX_BATCH.
 * - Every bound is checked before the system call, so a bad batch sends nothing.
 * - A datagram larger than slotSize is truncated by the kernel; its length is reported with bit
 *   31 set (0x80000000 | slotSize) so the caller drops it rather than parse a cut datagram.
 * - A send failing for one datagram (EHOSTUNREACH, EMSGSIZE, ...) consumes that datagram, counts
 *   it in errors[0], records errno in errors[1], and the batch goes on with the next one.
 */
#define _GNU_SOURCE /* recvmmsg, sendmmsg, struct mmsghdr */
#include "addon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BATCH 256
#define PEER_RECORD 20
#define MAX_EINTR_RETRIES 8

static napi_value make_u32(napi_env env, uint32_t v) {
  napi_value r;
  napi_create_uint32(env, v, &r);
  return r;
}

static int get_opt_u32(napi_env env, napi_value obj, const char *name, uint32_t *out, int *present) {
  napi_value v;
  napi_valuetype t;
  *present = 0;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return 0;
  if (napi_typeof(env, v, &t) != napi_ok || t == napi_undefined) return 0;
  *present = 1;
  return l2tp_arg_u32(env, v, out, name);
}

/* Writes `sa` (as returned by the kernel) into a 20-byte peer record. */
static void put_peer(uint8_t *rec, const struct sockaddr_storage *sa) {
  memset(rec, 0, PEER_RECORD);
  if (sa->ss_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
    rec[0] = 4;
    memcpy(rec + 2, &s4->sin_port, 2);
    memcpy(rec + 4, &s4->sin_addr, 4);
  } else if (sa->ss_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
    rec[0] = 6;
    memcpy(rec + 2, &s6->sin6_port, 2);
    memcpy(rec + 4, &s6->sin6_addr, 16);
  }
}

/* Builds the destination sockaddr for a peer record on a socket of `family`; returns its length or 0. */
static socklen_t get_peer(const uint8_t *rec, int family, struct sockaddr_storage *sa) {
  memset(sa, 0, sizeof *sa);
  if (family == AF_INET) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
    if (rec[0] != 4) return 0;
    s4->sin_family = AF_INET;
    memcpy(&s4->sin_port, rec + 2, 2);
    memcpy(&s4->sin_addr, rec + 4, 4);
    return sizeof *s4;
  }
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
  s6->sin6_family = AF_INET6;
  memcpy(&s6->sin6_port, rec + 2, 2);
  if (rec[0] == 4) {
    /* IPv4-mapped: ::ffff:a.b.c.d */
    s6->sin6_addr.s6_addr[10] = 0xff;
    s6->sin6_addr.s6_addr[11] = 0xff;
    memcpy(&s6->sin6_addr.s6_addr[12], rec + 4, 4);
  } else if (rec[0] == 6) {
    memcpy(&s6->sin6_addr, rec + 4, 16);
  } else {
    return 0;
  }
  return sizeof *s6;
}

static int socket_family(int fd) {
  struct sockaddr_storage sa;
  socklen_t len = sizeof sa;
  if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0) return -1;
  return sa.ss_family;
}

/* udpOpen(address, port, opts) -> { fd, address, port } */
static napi_value udp_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result, v;
  char address[INET6_ADDRSTRLEN + 1];
  uint32_t port, rcvbuf = 0, sndbuf = 0;
  int reuse = 0, has_rcv = 0, has_snd = 0;
  napi_valuetype t;
  struct sockaddr_storage sa;
  socklen_t salen;
  int family;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return l2tp_throw_type(env, "udpOpen(address, port, opts) needs an address and a port");
  if (l2tp_arg_string(env, argv[0], address, sizeof address, "address") != 0) return NULL;
  if (l2tp_arg_u32(env, argv[1], &port, "port") != 0) return NULL;
  if (port > 65535) return l2tp_throw_range(env, "port must be at most 65535");
  if (argc >= 3 && napi_typeof(env, argv[2], &t) == napi_ok && t == napi_object) {
    int present;
    napi_get_named_property(env, argv[2], "reuseAddr", &v);
    if (l2tp_arg_bool(env, v, &reuse, "opts.reuseAddr") != 0) return NULL;
    if (get_opt_u32(env, argv[2], "recvBuffer", &rcvbuf, &present) != 0) return NULL;
    has_rcv = present;
    if (get_opt_u32(env, argv[2], "sendBuffer", &sndbuf, &present) != 0) return NULL;
    has_snd = present;
  }

  memset(&sa, 0, sizeof sa);
  struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
  if (inet_pton(AF_INET, address, &s4->sin_addr) == 1) {
    family = AF_INET;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    salen = sizeof *s4;
  } else if (inet_pton(AF_INET6, address, &s6->sin6_addr) == 1) {
    family = AF_INET6;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    salen = sizeof *s6;
  } else {
    return l2tp_throw_type(env, "address must be an IPv4 or IPv6 literal");
  }

  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return l2tp_throw_errno(env, errno, "socket");
  int one = 1;
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) goto fail_setsockopt;
  /* SO_*BUFFORCE would bypass rmem_max/wmem_max (root only); the plain options are capped by the
   * sysctls, as node:dgram's setRecvBufferSize is. Try FORCE first, fall back quietly. */
  if (has_rcv) {
    int n = (int)rcvbuf;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &n, sizeof n) < 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &n, sizeof n) < 0)
      goto fail_setsockopt;
  }
  if (has_snd) {
    int n = (int)sndbuf;
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &n, sizeof n) < 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &n, sizeof n) < 0)
      goto fail_setsockopt;
  }
  /* SO_RXQ_OVFL: each received datagram carries the socket's drop count, so the caller learns
   * that the kernel is dropping (it is behind) and can shed load keeping control traffic. */
  (void)setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&sa, salen) < 0) {
    int e = errno;
    close(fd);
    return l2tp_throw_errno(env, e, "bind");
  }
  salen = sizeof sa;
  if (getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
    int e = errno;
    close(fd);
    return l2tp_throw_errno(env, e, "getsockname");
  }
  char text[INET6_ADDRSTRLEN];
  uint16_t bound_port;
  if (family == AF_INET) {
    inet_ntop(AF_INET, &s4->sin_addr, text, sizeof text);
    bound_port = ntohs(s4->sin_port);
  } else {
    inet_ntop(AF_INET6, &s6->sin6_addr, text, sizeof text);
    bound_port = ntohs(s6->sin6_port);
  }
  napi_create_object(env, &result);
  napi_create_int32(env, fd, &v);
  napi_set_named_property(env, result, "fd", v);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, result, "address", v);
  napi_create_uint32(env, bound_port, &v);
  napi_set_named_property(env, result, "port", v);
  napi_create_uint32(env, family == AF_INET ? 4 : 6, &v);
  napi_set_named_property(env, result, "family", v);
  return result;

fail_setsockopt: {
  int e = errno;
  close(fd);
  return l2tp_throw_errno(env, e, "setsockopt");
}
}

/*
 * udpRecvBatch(fd, slab, slotSize, maxPackets, lengths, peers, drops?) -> count
 * Datagram i lands at slab[i * slotSize ..], its length in lengths[i], its sender in
 * peers[i * 20 ..]. Stops at EAGAIN or maxPackets (at most MAX_BATCH per call).
 * drops (Uint32Array, length >= 1): set to the socket's receive-drop counter (SO_RXQ_OVFL) as of
 * the last datagram that carried it; left unchanged when none did.
 */
static napi_value udp_recv_batch(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  int32_t fd;
  uint32_t slot, max, *lengths, *drops = NULL;
  uint8_t *slab, *peers;
  size_t slab_len, lengths_len, peers_len, drops_len = 0;
  napi_valuetype t;
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  struct sockaddr_storage from[MAX_BATCH];
  /* Room for one SO_RXQ_OVFL control message (a uint32) per datagram. */
  union {
    char buf[CMSG_SPACE(sizeof(uint32_t))];
    struct cmsghdr align;
  } control[MAX_BATCH];

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 6) return l2tp_throw_type(env, "udpRecvBatch(fd, slab, slotSize, maxPackets, lengths, peers)");
  if (l2tp_arg_i32(env, argv[0], &fd, "fd") != 0) return NULL;
  if (l2tp_arg_bytes(env, argv[1], &slab, &slab_len, "slab") != 0) return NULL;
  if (l2tp_arg_u32(env, argv[2], &slot, "slotSize") != 0) return NULL;
  if (l2tp_arg_u32(env, argv[3], &max, "maxPackets") != 0) return NULL;
  if (l2tp_arg_u32array(env, argv[4], &lengths, &lengths_len, "lengths") != 0) return NULL;
  if (l2tp_arg_bytes(env, argv[5], &peers, &peers_len, "peers") != 0) return NULL;
  if (argc >= 7 && napi_typeof(env, argv[6], &t) == napi_ok && t != napi_undefined) {
    if (l2tp_arg_u32array(env, argv[6], &drops, &drops_len, "drops") != 0) return NULL;
    if (drops_len < 1) return l2tp_throw_range(env, "drops needs at least 1 element");
  }
  if (slot == 0) return l2tp_throw_range(env, "slotSize must be positive");
  if (max > MAX_BATCH) max = MAX_BATCH;
  if ((uint64_t)slot * max > slab_len) return l2tp_throw_range(env, "slab is smaller than slotSize * maxPackets");
  if (max > lengths_len) return l2tp_throw_range(env, "lengths is shorter than maxPackets");
  if ((uint64_t)max * PEER_RECORD > peers_len) return l2tp_throw_range(env, "peers is shorter than 20 * maxPackets");
  if (max == 0) return make_u32(env, 0);

  memset(msgs, 0, sizeof(struct mmsghdr) * max);
  for (uint32_t i = 0; i < max; i++) {
    iov[i].iov_base = slab + (size_t)i * slot;
    iov[i].iov_len = slot;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    msgs[i].msg_hdr.msg_control = control[i].buf;
    msgs[i].msg_hdr.msg_controllen = sizeof control[i].buf;
  }
  int n;
  int tries = 0;
  do {
    n = recvmmsg(fd, msgs, max, MSG_DONTWAIT, NULL);
  } while (n < 0 && errno == EINTR && ++tries < MAX_EINTR_RETRIES);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return make_u32(env, 0);
    return l2tp_throw_errno(env, errno, "recvmmsg");
  }
  for (int i = 0; i < n; i++) {
    uint32_t len = msgs[i].msg_len;
    /* A datagram cut to the slot is flagged (bit 31), for the caller to drop and count. */
    if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 || len > slot) lengths[i] = 0x80000000u | slot;
    else lengths[i] = len;
    put_peer(peers + (size_t)i * PEER_RECORD, &from[i]);
    if (drops != NULL) {
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c != NULL; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) memcpy(&drops[0], CMSG_DATA(c), sizeof(uint32_t));
      }
    }
  }
  /* A full batch means the queue is deep: read the drop counter itself (SO_MEMINFO), since a
   * burst that overflowed the queue at once leaves no SO_RXQ_OVFL mark on the datagrams queued
   * before the first drop. */
  if (drops != NULL && (uint32_t)n == max) {
    uint32_t mem[SK_MEMINFO_VARS];
    socklen_t mlen = sizeof mem;
    if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &mlen) == 0 && mlen > SK_MEMINFO_DROPS * sizeof(uint32_t)) drops[0] = mem[SK_MEMINFO_DROPS];
  }
  return make_u32(env, (uint32_t)n);
}

/*
 * udpSendBatch(fd, slab, offsets, lengths, peers, count, errors?, family?) -> consumed
 * `family` (4 or 6, as udpOpen reported it) saves a getsockname per call; without it the
 * socket is asked.
 * Sends datagram i = slab[offsets[i], +lengths[i]) to peers[i * 20 ..] with sendmmsg, in chunks
 * of MAX_BATCH. Returns how many were consumed (sent or refused one by one); fewer than count
 * only when the socket's send buffer is full (EAGAIN/ENOBUFS).
 */
static napi_value udp_send_batch(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  int32_t fd;
  uint32_t count, *offsets, *lengths, *errors = NULL;
  uint8_t *slab, *peers;
  size_t slab_len, offsets_len, lengths_len, peers_len, errors_len = 0;
  napi_valuetype t;
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  struct sockaddr_storage to[MAX_BATCH];

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 6) return l2tp_throw_type(env, "udpSendBatch(fd, slab, offsets, lengths, peers, count[, errors])");
  if (l2tp_arg_i32(env, argv[0], &fd, "fd") != 0) return NULL;
  if (l2tp_arg_bytes(env, argv[1], &slab, &slab_len, "slab") != 0) return NULL;
  if (l2tp_arg_u32array(env, argv[2], &offsets, &offsets_len, "offsets") != 0) return NULL;
  if (l2tp_arg_u32array(env, argv[3], &lengths, &lengths_len, "lengths") != 0) return NULL;
  if (l2tp_arg_bytes(env, argv[4], &peers, &peers_len, "peers") != 0) return NULL;
  if (l2tp_arg_u32(env, argv[5], &count, "count") != 0) return NULL;
  if (argc >= 7 && napi_typeof(env, argv[6], &t) == napi_ok && t != napi_undefined) {
    if (l2tp_arg_u32array(env, argv[6], &errors, &errors_len, "errors") != 0) return NULL;
    if (errors_len < 2) return l2tp_throw_range(env, "errors needs at least 2 elements");
  }
  if (count > offsets_len || count > lengths_len) return l2tp_throw_range(env, "count exceeds offsets/lengths");
  if ((uint64_t)count * PEER_RECORD > peers_len) return l2tp_throw_range(env, "peers is shorter than 20 * count");
  for (uint32_t i = 0; i < count; i++) {
    if ((uint64_t)offsets[i] + lengths[i] > slab_len) return l2tp_throw_range(env, "a datagram lies outside the slab");
  }
  int family = -1;
  if (argc >= 8 && napi_typeof(env, argv[7], &t) == napi_ok && t != napi_undefined) {
    uint32_t f;
    if (l2tp_arg_u32(env, argv[7], &f, "family") != 0) return NULL;
    if (f != 4 && f != 6) return l2tp_throw_range(env, "family must be 4 or 6");
    family = f == 4 ? AF_INET : AF_INET6;
  } else {
    family = socket_family(fd);
    if (family < 0) return l2tp_throw_errno(env, errno, "getsockname");
  }

  uint32_t done = 0;
  while (done < count) {
    /* Build one chunk; datagrams whose peer record is unusable are refused without a syscall. */
    uint32_t chunk = 0;
    while (done + chunk < count && chunk < MAX_BATCH) {
      uint32_t i = done + chunk;
      socklen_t len = get_peer(peers + (size_t)i * PEER_RECORD, family, &to[chunk]);
      if (len == 0) break;
      iov[chunk].iov_base = slab + offsets[i];
      iov[chunk].iov_len = lengths[i];
      memset(&msgs[chunk], 0, sizeof msgs[chunk]);
      msgs[chunk].msg_hdr.msg_iov = &iov[chunk];
      msgs[chunk].msg_hdr.msg_iovlen = 1;
      msgs[chunk].msg_hdr.msg_name = &to[chunk];
      msgs[chunk].msg_hdr.msg_namelen = len;
      chunk++;
    }
    if (chunk == 0) {
      /* datagram `done` has a bad peer record (e.g. IPv6 peer on an IPv4 socket) */
      if (errors != NULL) {
        errors[0] += 1;
        errors[1] = EAFNOSUPPORT;
      }
      done++;
      continue;
    }
    int n;
    int tries = 0;
    do {
      n = sendmmsg(fd, msgs, chunk, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR && ++tries < MAX_EINTR_RETRIES);
    if (n > 0) {
      done += (uint32_t)n;
      continue;
    }
    /* n < 0 (or 0): the first datagram of the chunk failed. */
    int e = n < 0 ? errno : EAGAIN;
    if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS || e == EINTR) break;
    if (e == EBADF || e == EFAULT || e == ENOTSOCK) return l2tp_throw_errno(env, e, "sendmmsg");
    if (errors != NULL) {
      errors[0] += 1;
      errors[1] = (uint32_t)e;
    }
    done++;
  }
  return make_u32(env, done);
}

void l2tp_udp_register(napi_env env, napi_value exports) {
  l2tp_export(env, exports, "udpOpen", udp_open);
  l2tp_export(env, exports, "udpRecvBatch", udp_recv_batch);
  l2tp_export(env, exports, "udpSendBatch", udp_send_batch);
}
