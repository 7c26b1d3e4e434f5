/*
 * l2tp_native: shared declarations of the project's small N-API addon.
 *
 * What it is: the few system calls Node cannot make itself, for the daemon's data plane
 * (src/platform/native.ts loads it; nothing outside src/platform may).
 *   tun.c    - TUN/TAP device: open (TUNSETIFF), MTU and IFF_UP (SIOCSIFMTU/SIOCSIFFLAGS),
 *              batched non-blocking read()/write() into caller-owned slabs, close.
 *   fdpoll.c - readiness: a libuv uv_poll_t on a file descriptor, calling back into JS on the
 *              main loop (no thread, no busy polling).
 *   udp.c    - UDP sockets: open/bind, recvmmsg/sendmmsg batches into caller-owned slabs.
 *   addon.c  - module registration and the errno -> JS Error helper.
 *
 * Conventions (all files):
 * - Plain C N-API (node_api.h), no C++ and no node-addon-api dependency.
 * - Errors are thrown as JS Errors shaped like Node's own ErrnoException: `code` is the errno
 *   name ("EPERM", "EBUSY"...), plus `errno` (negative, as libuv/Node report it) and `syscall`.
 *   EAGAIN is never an error on the data path: it ends a batch.
 * - No allocation per packet: packet bytes live in JS-owned ArrayBuffers (the "slab"); the addon
 *   only reads/writes into them during the call.
 */
#ifndef L2TP_NATIVE_ADDON_H
#define L2TP_NATIVE_ADDON_H

#define NAPI_VERSION 8
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/* Throws a JS Error for `err` (an errno value) raised by `syscall`; returns NULL for convenience. */
napi_value l2tp_throw_errno(napi_env env, int err, const char *syscall);
/* Throws a TypeError/RangeError with a stable `code` ("ERR_INVALID_ARG_TYPE" / "ERR_OUT_OF_RANGE"). */
napi_value l2tp_throw_type(napi_env env, const char *msg);
napi_value l2tp_throw_range(napi_env env, const char *msg);

/* Argument helpers: return 0 on success, otherwise a JS exception is already pending. */
int l2tp_arg_u32(napi_env env, napi_value v, uint32_t *out, const char *what);
int l2tp_arg_i32(napi_env env, napi_value v, int32_t *out, const char *what);
int l2tp_arg_bool(napi_env env, napi_value v, int *out, const char *what);
int l2tp_arg_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len, const char *what);
int l2tp_arg_u32array(napi_env env, napi_value v, uint32_t **data, size_t *len, const char *what);
/* Copies a JS string into `buf` (NUL-terminated); fails if it does not fit in `cap - 1` bytes. */
int l2tp_arg_string(napi_env env, napi_value v, char *buf, size_t cap, const char *what);

/* Adds one function property to `exports`. */
napi_status l2tp_export(napi_env env, napi_value exports, const char *name, napi_callback cb);

void l2tp_tun_register(napi_env env, napi_value exports);
void l2tp_fdpoll_register(napi_env env, napi_value exports);
void l2tp_udp_register(napi_env env, napi_value exports);

#endif
