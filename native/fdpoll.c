/*
 * Readiness of a file descriptor on Node's own event loop: a libuv uv_poll_t per fd.
 *
 * Why uv_poll and not a thread: uv_poll callbacks run on the main loop thread, so the JS callback
 * is called directly (no napi_threadsafe_function, no wakeup latency, no busy polling). The poll
 * is level-triggered (epoll without EPOLLET): if a callback leaves packets unread it is simply
 * called again on the next loop turn, which lets JS bound the work per turn.
 *
 * API:
 *   poll(fd, callback: (status: number) => void) -> handle   status 0, or a negative libuv error
 *   stopPoll(handle) -> undefined                            idempotent
 *   pollRef(handle, ref: boolean) -> undefined               whether the poll keeps Node alive
 *
 * Invariants:
 * - A handle is a JS external owning one heap `fd_poll`. stopPoll stops watching at once and
 *   releases the callback; the memory is freed when both libuv has closed the handle and JS has
 *   dropped the external (whichever comes last), so neither side can see freed memory.
 * - Exceptions thrown by the callback are re-raised as uncaught exceptions (napi_fatal_exception
 *   routes them to process 'uncaughtException'), as for any other Node event.
 *
 * Call order: poll -> callbacks ... -> stopPoll -> then close the fd (never the reverse: epoll
 * would keep watching a reused fd number).
 */
#include "addon.h"

#include <stdlib.h>
#include <uv.h>

typedef struct fd_poll {
  uv_poll_t handle;
  napi_env env;
  napi_ref callback;       /* NULL once stopped */
  napi_async_context async;
  int started;             /* uv_poll_init succeeded: uv_close is needed */
  int closed;              /* libuv has finished closing the handle (or it was never opened) */
  int js_alive;            /* the JS external still refers to this struct */
} fd_poll;

static void maybe_free(fd_poll *p) {
  if (p->closed && !p->js_alive) free(p);
}

static void on_uv_close(uv_handle_t *h) {
  fd_poll *p = (fd_poll *)h->data;
  p->closed = 1;
  maybe_free(p);
}

static void stop(fd_poll *p) {
  if (p->callback != NULL) {
    napi_delete_reference(p->env, p->callback);
    p->callback = NULL;
    napi_async_destroy(p->env, p->async);
    p->async = NULL;
    if (p->started) {
      uv_poll_stop(&p->handle);
      uv_close((uv_handle_t *)&p->handle, on_uv_close);
    } else {
      p->closed = 1;
    }
  }
}

static void on_readable(uv_poll_t *h, int status, int events) {
  fd_poll *p = (fd_poll *)h->data;
  napi_env env = p->env;
  napi_handle_scope scope;
  napi_value cb, recv, arg, result;
  (void)events;
  if (p->callback == NULL) return;
  napi_open_handle_scope(env, &scope);
  napi_get_reference_value(env, p->callback, &cb);
  /* MakeCallback needs an object receiver; the callback is a closure, so `this` does not matter. */
  napi_get_global(env, &recv);
  napi_create_int32(env, status, &arg);
  /* make_callback (not call_function): runs microtasks/nextTicks afterwards, like any I/O callback. */
  napi_status s = napi_make_callback(env, p->async, recv, cb, 1, &arg, &result);
  if (s == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static void finalize(napi_env env, void *data, void *hint) {
  fd_poll *p = (fd_poll *)data;
  (void)env;
  (void)hint;
  stop(p);
  p->js_alive = 0;
  maybe_free(p);
}

static fd_poll *get_poll(napi_env env, napi_value v) {
  napi_valuetype t;
  void *data = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) {
    l2tp_throw_type(env, "handle must be a value returned by poll()");
    return NULL;
  }
  napi_get_value_external(env, v, &data);
  return (fd_poll *)data;
}

static napi_value fd_poll_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], external, name;
  napi_valuetype t;
  int32_t fd;
  uv_loop_t *loop;
  int r;

  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return l2tp_throw_type(env, "poll(fd, callback) needs two arguments");
  if (l2tp_arg_i32(env, argv[0], &fd, "fd") != 0) return NULL;
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) return l2tp_throw_type(env, "callback must be a function");
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return l2tp_throw_type(env, "no libuv loop");

  fd_poll *p = (fd_poll *)calloc(1, sizeof *p);
  if (p == NULL) return l2tp_throw_errno(env, ENOMEM, "calloc");
  p->env = env;
  p->handle.data = p;
  p->js_alive = 1;
  r = uv_poll_init(loop, &p->handle, fd);
  if (r != 0) {
    free(p);
    return l2tp_throw_errno(env, -r, "uv_poll_init");
  }
  p->started = 1;
  r = uv_poll_start(&p->handle, UV_READABLE, on_readable);
  if (r != 0) {
    uv_close((uv_handle_t *)&p->handle, on_uv_close);
    p->js_alive = 0; /* freed by on_uv_close */
    return l2tp_throw_errno(env, -r, "uv_poll_start");
  }
  napi_create_reference(env, argv[1], 1, &p->callback);
  napi_create_string_utf8(env, "L2TP_FDPOLL", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &p->async);
  if (napi_create_external(env, p, finalize, NULL, &external) != napi_ok) {
    stop(p);
    p->js_alive = 0;
    return l2tp_throw_type(env, "could not create a poll handle");
  }
  return external;
}

static napi_value fd_poll_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) return l2tp_throw_type(env, "stopPoll(handle) needs a handle");
  fd_poll *p = get_poll(env, argv[0]);
  if (p == NULL) return NULL;
  stop(p);
  return NULL;
}

static napi_value fd_poll_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int ref;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return l2tp_throw_type(env, "pollRef(handle, ref) needs two arguments");
  fd_poll *p = get_poll(env, argv[0]);
  if (p == NULL) return NULL;
  if (l2tp_arg_bool(env, argv[1], &ref, "ref") != 0) return NULL;
  if (p->callback == NULL) return NULL; /* stopped: nothing to (un)ref */
  if (ref) uv_ref((uv_handle_t *)&p->handle);
  else uv_unref((uv_handle_t *)&p->handle);
  return NULL;
}

void l2tp_fdpoll_register(napi_env env, napi_value exports) {
  l2tp_export(env, exports, "poll", fd_poll_start);
  l2tp_export(env, exports, "stopPoll", fd_poll_stop);
  l2tp_export(env, exports, "pollRef", fd_poll_ref);
}
