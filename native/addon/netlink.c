/* rtnetlink for the network layer (links, addresses, routes, namespaces). */
#include "addon.h"

void berth_init_netlink(napi_env env, napi_value exports) {
  (void)env;
  (void)exports;
}
