/* bpf(2) for cgroup v2 device programs. */
#include "addon.h"

void berth_init_bpf(napi_env env, napi_value exports) {
  (void)env;
  (void)exports;
}
