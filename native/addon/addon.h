/* Shared helpers of the berth_sys addon's source files (berth_sys.c defines them). */
#ifndef BERTH_ADDON_H
#define BERTH_ADDON_H
#include <node_api.h>
#include <stdint.h>

#define MAX_ARGS 8

struct args {
  size_t argc;
  napi_value argv[MAX_ARGS];
};

/* The errno name ("ENOENT"), "EUNKNOWN" for others. */
const char *errno_name(int e);
/* An Error with code/errno/syscall(/path) like Node's fs errors (for promise rejections). */
napi_value errno_error(napi_env env, int e, const char *syscall, const char *path);
/* Throws an Error with code/errno/syscall(/path) like Node's fs errors; returns NULL. */
napi_value throw_errno(napi_env env, int e, const char *syscall, const char *path);
/* Reads the call's arguments; -1 (TypeError pending) when fewer than `want`. */
int get_args(napi_env env, napi_callback_info info, struct args *a, size_t want);
/* A malloc'd copy of a string argument; NULL with an exception pending on error. */
char *get_string(napi_env env, napi_value v);
/* Like get_string, but null/undefined give *out = NULL and 0. */
int get_opt_string(napi_env env, napi_value v, char **out);
int get_u32(napi_env env, napi_value v, uint32_t *out);
void free_ptr(char **p);
#define AUTOFREE __attribute__((cleanup(free_ptr)))

/*
 * Queues `execute` on a libuv worker thread and returns a promise that `complete` settles with
 * settle_work(); NULL when it could not be queued (the caller frees `data` and throws).
 */
napi_value queue_work(napi_env env, const char *resource, napi_async_execute_callback execute,
                      napi_async_complete_callback complete, void *data, napi_deferred *deferred, napi_async_work *work);
/* In a complete callback: rejects with `error`, or resolves with `value` (NULL: undefined); deletes the work. */
void settle_work(napi_env env, napi_deferred deferred, napi_async_work work, napi_value error, napi_value value);

/* Each source file adds its functions to the exports. */
void berth_init_netlink(napi_env env, napi_value exports);
void berth_init_bpf(napi_env env, napi_value exports);
void berth_init_spawn(napi_env env, napi_value exports);
void berth_init_rmtree(napi_env env, napi_value exports);
#endif
