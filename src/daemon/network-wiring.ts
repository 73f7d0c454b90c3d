import { createHash } from 'node:crypto';
import { registerNetworkRoutes, type Router } from '../api/server/index.ts';
import type { ContainerService } from '../containers/index.ts';
import type { Logger } from '../lib/index.ts';
import type { EventPublisher } from './events-service.ts';
import { DaemonNetworkBackend } from './network-backend.ts';
import { NetworkManager } from './network-manager.ts';

/** berthd's network flags (docker's `--bridge`, `--bip`). */
export interface NetworkFlags {
  /** Default bridge interface; "none" disables the default bridge. */
  bridge?: string;
  bip?: string;
}

/**
 * The iptables chain prefix: "BERTH" for the default bridge, else one per bridge name, so daemons
 * run side by side (tests) never touch each other's rules.
 */
export function chainPrefixFor(bridge: string | undefined): string {
  if (!bridge || bridge === 'berth0' || bridge === 'none') return 'BERTH';
  return `BERTH-${createHash('sha256').update(bridge).digest('hex').slice(0, 8)}`;
}

/** Builds the network manager for berthd (before the container service, which it serves). */
export function createNetworkManager(o: { dataRoot: string; execRoot: string; log: Logger; events: EventPublisher; flags?: NetworkFlags }): NetworkManager {
  return new NetworkManager({
    dataRoot: o.dataRoot,
    execRoot: o.execRoot,
    log: o.log.with({ component: 'network' }),
    ...(o.flags?.bridge ? { defaultBridge: o.flags.bridge } : {}),
    ...(o.flags?.bip ? { bip: o.flags.bip } : {}),
    chainPrefix: chainPrefixFor(o.flags?.bridge),
    onEvent: (action, net, attributes = {}) =>
      o.events.publish({ type: 'network', action, id: net.id, attributes: { name: net.name, type: net.driver, ...attributes } }),
  });
}

/**
 * Once the container service exists and was restored: binds it, releases what stopped or
 * removed containers left, brings used networks up, and serves `/networks`.
 */
export async function startNetworking(manager: NetworkManager, service: ContainerService, router: Router): Promise<DaemonNetworkBackend> {
  manager.setContainers({
    find: (ref) => {
      try {
        return service.store.tryFind(ref);
      } catch {
        return undefined;
      }
    },
    list: () => service.list(),
  });
  await manager.reconcile();
  const backend = new DaemonNetworkBackend(manager);
  registerNetworkRoutes(router, backend);
  return backend;
}
