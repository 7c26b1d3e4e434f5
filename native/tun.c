/*
 * TUN/TAP devices for the data plane: open, MTU, up/down, batched non-blocking I/O, close.
 *
 * Linux interface (Documentation/networking/tuntap.rst): open /dev/net/tun, then ioctl TUNSETIFF
 * with IFF_TUN (IP packets) or IFF_TAP (Ethernet frames). IFF_NO_PI is always set: each read()
 * returns exactly one packet with no 4-byte packet-information prefix, and each write() must
 * carry exactly one packet. IFF_MULTI_QUEUE lets several fds share one device.
 * MTU and IFF_UP are set with SIOCSIFMTU / SIOCGIFFLAGS+SIOCSIFFLAGS on any AF_INET socket.
 *
 * Invariants:
 * - The fd is O_NONBLOCK and O_CLOEXEC. The device is not persistent (no TUNSETPERSIST): it
 *   vanishes when the last fd closes, so a crashed daemon leaves no TUN interface behind.
 * - One packet, one write(): writev-style coalescing would hand the kernel one packet, the
 *   others silently lost (measured on this machine with streams and cork()).
 * - readBatch/writeBatch never allocate: they use slices of caller-owned Uint8Arrays, bounds
 *   checked once per call before any system call.
 * - EAGAIN ends a batch and is not an error. EINTR is retried, a bounded number of times.
 *
 * Call order: open -> (setMtu, setUp) -> any number of readBatch/writeBatch (usually from a
 * fdpoll readable callback) -> close exactly once (stop any poll on the fd first).
 */
#include "addon.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* EINTR retries per packet: a signal storm must not spin here forever. */
#define MAX_EINTR_RETRIES 8

static napi_value make_u32(napi_env env, uint32_t v) {
  napi_value r;
  napi_create_uint32(env, v, &r);
  return r;
}

/* open(name: string, flags: { tap?: boolean, multiQueue?: boolean, vnetHdr?: boolean }) -> { fd, name } */
static napi_value tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result, v;
  char name[IFNAMSIZ];
  int tap = 0, multi = 0, vnet = 0;
  struct ifreq ifr;
  napi_valuetype t;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) return l2tp_throw_type(env, "open(name, flags) needs a name");
  /* "" asks the kernel to pick tunN / tapN. */
  if (l2tp_arg_string(env, argv[0], name, sizeof name, "name") != 0) return NULL;
  if (argc >= 2 && napi_typeof(env, argv[1], &t) == napi_ok && t == napi_object) {
    napi_get_named_property(env, argv[1], "tap", &v);
    if (l2tp_arg_bool(env, v, &tap, "flags.tap") != 0) return NULL;
    napi_get_named_property(env, argv[1], "multiQueue", &v);
    if (l2tp_arg_bool(env, v, &multi, "flags.multiQueue") != 0) return NULL;
    napi_get_named_property(env, argv[1], "vnetHdr", &v);
    if (l2tp_arg_bool(env, v, &vnet, "flags.vnetHdr") != 0) return NULL;
  }

  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return l2tp_throw_errno(env, errno, "open");

  memset(&ifr, 0, sizeof ifr);
  /* IFF_VNET_HDR: every read and write carries a 10-octet virtio_net_hdr first, which lets a
   * write hand the kernel a GSO packet (coalesced TCP segments, src/wire/tcp-coalesce.ts). */
  ifr.ifr_flags = (short)((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI | (multi ? IFF_MULTI_QUEUE : 0) | (vnet ? IFF_VNET_HDR : 0));
  memcpy(ifr.ifr_name, name, strlen(name));
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    return l2tp_throw_errno(env, e, "ioctl(TUNSETIFF)");
  }
  /* The kernel writes back the actual name (it fills in a "%d" template or an empty name). */
  ifr.ifr_name[IFNAMSIZ - 1] = '\0';

  napi_create_object(env, &result);
  napi_create_int32(env, fd, &v);
  napi_set_named_property(env, result, "fd", v);
  napi_create_string_utf8(env, ifr.ifr_name, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, result, "name", v);
  return result;
}

/* Runs one SIOC* interface ioctl on a throwaway AF_INET datagram socket. */
static int if_ioctl(unsigned long req, struct ifreq *ifr) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  int r = ioctl(s, req, ifr);
  int e = r < 0 ? errno : 0;
  close(s);
  return e;
}

/* setMtu(name: string, mtu: number) -> undefined */
static napi_value tun_set_mtu(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  struct ifreq ifr;
  uint32_t mtu;
  int e;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return l2tp_throw_type(env, "setMtu(name, mtu) needs two arguments");
  memset(&ifr, 0, sizeof ifr);
  if (l2tp_arg_string(env, argv[0], ifr.ifr_name, IFNAMSIZ, "name") != 0) return NULL;
  if (l2tp_arg_u32(env, argv[1], &mtu, "mtu") != 0) return NULL;
  if (mtu > 65535) return l2tp_throw_range(env, "mtu must be at most 65535");
  ifr.ifr_mtu = (int)mtu;
  if ((e = if_ioctl(SIOCSIFMTU, &ifr)) != 0) return l2tp_throw_errno(env, e, "ioctl(SIOCSIFMTU)");
  return NULL;
}

/* setUp(name: string, up: boolean) -> undefined */
static napi_value tun_set_up(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  struct ifreq ifr;
  int up, e;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return l2tp_throw_type(env, "setUp(name, up) needs two arguments");
  memset(&ifr, 0, sizeof ifr);
  if (l2tp_arg_string(env, argv[0], ifr.ifr_name, IFNAMSIZ, "name") != 0) return NULL;
  if (l2tp_arg_bool(env, argv[1], &up, "up") != 0) return NULL;
  if ((e = if_ioctl(SIOCGIFFLAGS, &ifr)) != 0) return l2tp_throw_errno(env, e, "ioctl(SIOCGIFFLAGS)");
  if (up) ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
  else ifr.ifr_flags = (short)(ifr.ifr_flags & ~IFF_UP);
  if ((e = if_ioctl(SIOCSIFFLAGS, &ifr)) != 0) return l2tp_throw_errno(env, e, "ioctl(SIOCSIFFLAGS)");
  return NULL;
}

/*
 * readBatch(fd, slab: Uint8Array, slotSize, maxPackets, lengths: Uint32Array) -> count
 * Packet i lands at slab[i * slotSize ..] with length lengths[i]. Stops at EAGAIN or maxPackets.
 * A packet longer than slotSize is truncated by the kernel: size slots to the device MTU.
 */
static napi_value tun_read_batch(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int32_t fd;
  uint32_t slot, max, *lengths;
  uint8_t *slab;
  size_t slab_len, lengths_len;
  uint32_t count = 0;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5) return l2tp_throw_type(env, "readBatch(fd, slab, slotSize, maxPackets, lengths)");
  if (l2tp_arg_i32(env, argv[0], &fd, "fd") != 0) return NULL;
  if (l2tp_arg_bytes(env, argv[1], &slab, &slab_len, "slab") != 0) return NULL;
  if (l2tp_arg_u32(env, argv[2], &slot, "slotSize") != 0) return NULL;
  if (l2tp_arg_u32(env, argv[3], &max, "maxPackets") != 0) return NULL;
  if (l2tp_arg_u32array(env, argv[4], &lengths, &lengths_len, "lengths") != 0) return NULL;
  if (slot == 0) return l2tp_throw_range(env, "slotSize must be positive");
  if ((uint64_t)slot * max > slab_len) return l2tp_throw_range(env, "slab is smaller than slotSize * maxPackets");
  if (max > lengths_len) return l2tp_throw_range(env, "lengths is shorter than maxPackets");

  while (count < max) {
    ssize_t n;
    int tries = 0;
    do {
      n = read(fd, slab + (size_t)count * slot, slot);
    } while (n < 0 && errno == EINTR && ++tries < MAX_EINTR_RETRIES);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      /* Hand over what we have; a persistent error shows up again on the next call. */
      if (count > 0) break;
      return l2tp_throw_errno(env, errno, "read");
    }
    lengths[count++] = (uint32_t)n;
  }
  return make_u32(env, count);
}

/*
 * writeBatch(fd, slab, offsets: Uint32Array, lengths: Uint32Array, count, errors?: Uint32Array)
 *   -> consumed
 * Writes packet i = slab[offsets[i] .. offsets[i] + lengths[i]] with its own write().
 * Returns how many packets were consumed (written, or refused for a per-packet reason such as
 * EINVAL for a packet the kernel cannot parse, or EIO while the link is down). It stops early
 * only at EAGAIN/ENOBUFS (kernel queue full), returning the index of the first unsent packet.
 * If `errors` (length >= 2) is given: errors[0] += packets refused, errors[1] = last errno.
 * Errors that mean the fd itself is bad (EBADF, EFAULT) throw.
 */
static napi_value tun_write_batch(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  int32_t fd;
  uint32_t count, *offsets, *lengths, *errors = NULL;
  uint8_t *slab;
  size_t slab_len, offsets_len, lengths_len, errors_len = 0;
  uint32_t i;
  napi_valuetype t;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5) return l2tp_throw_type(env, "writeBatch(fd, slab, offsets, lengths, count[, errors])");
  if (l2tp_arg_i32(env, argv[0], &fd, "fd") != 0) return NULL;
  if (l2tp_arg_bytes(env, argv[1], &slab, &slab_len, "slab") != 0) return NULL;
  if (l2tp_arg_u32array(env, argv[2], &offsets, &offsets_len, "offsets") != 0) return NULL;
  if (l2tp_arg_u32array(env, argv[3], &lengths, &lengths_len, "lengths") != 0) return NULL;
  if (l2tp_arg_u32(env, argv[4], &count, "count") != 0) return NULL;
  if (argc >= 6 && napi_typeof(env, argv[5], &t) == napi_ok && t != napi_undefined) {
    if (l2tp_arg_u32array(env, argv[5], &errors, &errors_len, "errors") != 0) return NULL;
    if (errors_len < 2) return l2tp_throw_range(env, "errors needs at least 2 elements");
  }
  if (count > offsets_len || count > lengths_len) return l2tp_throw_range(env, "count exceeds offsets/lengths");
  /* Check every packet's bounds before writing any, so a bad batch writes nothing. */
  for (i = 0; i < count; i++) {
    if ((uint64_t)offsets[i] + lengths[i] > slab_len) return l2tp_throw_range(env, "a packet lies outside the slab");
  }

  for (i = 0; i < count; i++) {
    ssize_t n;
    int tries = 0;
    do {
      n = write(fd, slab + offsets[i], lengths[i]);
    } while (n < 0 && errno == EINTR && ++tries < MAX_EINTR_RETRIES);
    if (n >= 0) continue;
    int e = errno;
    if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS || e == EINTR) break;
    if (e == EBADF || e == EFAULT) return l2tp_throw_errno(env, e, "write");
    if (errors != NULL) {
      errors[0] += 1;
      errors[1] = (uint32_t)e;
    }
  }
  return make_u32(env, i);
}

/* close(fd) -> undefined. Stop any fdpoll on the fd first: libuv must not watch a closed fd. */
static napi_value tun_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) return l2tp_throw_type(env, "close(fd) needs an fd");
  if (l2tp_arg_i32(env, argv[0], &fd, "fd") != 0) return NULL;
  /* No EINTR retry: on Linux the fd is released even when close() reports EINTR. */
  if (close(fd) < 0 && errno != EINTR) return l2tp_throw_errno(env, errno, "close");
  return NULL;
}

void l2tp_tun_register(napi_env env, napi_value exports) {
  l2tp_export(env, exports, "tunOpen", tun_open);
  l2tp_export(env, exports, "setMtu", tun_set_mtu);
  l2tp_export(env, exports, "setUp", tun_set_up);
  l2tp_export(env, exports, "readBatch", tun_read_batch);
  l2tp_export(env, exports, "writeBatch", tun_write_batch);
  l2tp_export(env, exports, "close", tun_close);
}
