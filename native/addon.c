/*
 * l2tp_native module entry and shared helpers (see addon.h for the module's overview).
 *
 * Invariants: every helper that fails leaves exactly one pending JS exception and returns a
 * non-zero / NULL value, so callers just `return NULL`.
 */
#include "addon.h"

#include <stdio.h>
#include <string.h>
#include <uv.h>

napi_value l2tp_throw_errno(napi_env env, int err, const char *syscall) {
  napi_value code, msg, error, errno_v, syscall_v;
  /* uv_err_name takes libuv's negative error numbers, which on Unix are -errno. */
  const char *name = uv_err_name(-err);
  char text[256];
  snprintf(text, sizeof text, "%s %s: %s", syscall, name, strerror(err));
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg) != napi_ok) return NULL;
  if (napi_create_error(env, code, msg, &error) != napi_ok) return NULL;
  napi_create_int32(env, -err, &errno_v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_v);
  napi_set_named_property(env, error, "errno", errno_v);
  napi_set_named_property(env, error, "syscall", syscall_v);
  napi_throw(env, error);
  return NULL;
}

napi_value l2tp_throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

napi_value l2tp_throw_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
  return NULL;
}

static int bad_type(napi_env env, const char *what, const char *expected) {
  char text[160];
  snprintf(text, sizeof text, "%s must be %s", what, expected);
  l2tp_throw_type(env, text);
  return -1;
}

int l2tp_arg_u32(napi_env env, napi_value v, uint32_t *out, const char *what) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return bad_type(env, what, "a number");
  napi_get_value_double(env, v, &d);
  if (!(d >= 0 && d <= 4294967295.0) || d != (double)(uint32_t)d) {
    char text[160];
    snprintf(text, sizeof text, "%s must be an integer in 0..2^32-1", what);
    l2tp_throw_range(env, text);
    return -1;
  }
  *out = (uint32_t)d;
  return 0;
}

int l2tp_arg_i32(napi_env env, napi_value v, int32_t *out, const char *what) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return bad_type(env, what, "a number");
  napi_get_value_double(env, v, &d);
  if (!(d >= -2147483648.0 && d <= 2147483647.0) || d != (double)(int32_t)d) {
    char text[160];
    snprintf(text, sizeof text, "%s must be a 32-bit integer", what);
    l2tp_throw_range(env, text);
    return -1;
  }
  *out = (int32_t)d;
  return 0;
}

int l2tp_arg_bool(napi_env env, napi_value v, int *out, const char *what) {
  napi_valuetype t;
  bool b;
  if (napi_typeof(env, v, &t) != napi_ok) return bad_type(env, what, "a boolean");
  if (t == napi_undefined) { *out = 0; return 0; }
  if (t != napi_boolean) return bad_type(env, what, "a boolean");
  napi_get_value_bool(env, v, &b);
  *out = b ? 1 : 0;
  return 0;
}

int l2tp_arg_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len, const char *what) {
  bool is_ta = false;
  napi_typedarray_type type;
  void *p;
  size_t n;
  /* A Buffer is a Uint8Array, so this accepts both. */
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return bad_type(env, what, "a Uint8Array");
  napi_get_typedarray_info(env, v, &type, &n, &p, NULL, NULL);
  if (type != napi_uint8_array) return bad_type(env, what, "a Uint8Array");
  *data = (uint8_t *)p;
  *len = n;
  return 0;
}

int l2tp_arg_u32array(napi_env env, napi_value v, uint32_t **data, size_t *len, const char *what) {
  bool is_ta = false;
  napi_typedarray_type type;
  void *p;
  size_t n;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return bad_type(env, what, "a Uint32Array");
  napi_get_typedarray_info(env, v, &type, &n, &p, NULL, NULL);
  if (type != napi_uint32_array) return bad_type(env, what, "a Uint32Array");
  *data = (uint32_t *)p;
  *len = n;
  return 0;
}

int l2tp_arg_string(napi_env env, napi_value v, char *buf, size_t cap, const char *what) {
  napi_valuetype t;
  size_t n = 0;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return bad_type(env, what, "a string");
  napi_get_value_string_utf8(env, v, NULL, 0, &n);
  if (n + 1 > cap) {
    char text[160];
    snprintf(text, sizeof text, "%s is longer than %zu bytes", what, cap - 1);
    l2tp_throw_range(env, text);
    return -1;
  }
  napi_get_value_string_utf8(env, v, buf, cap, &n);
  return 0;
}

napi_status l2tp_export(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_status s = napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  if (s != napi_ok) return s;
  return napi_set_named_property(env, exports, name, fn);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value version;
  l2tp_tun_register(env, exports);
  l2tp_fdpoll_register(env, exports);
  l2tp_udp_register(env, exports);
  /* Bumped whenever the JS-visible API changes, so native.ts can refuse a stale build. */
  napi_create_uint32(env, 2, &version);
  napi_set_named_property(env, exports, "abiVersion", version);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
