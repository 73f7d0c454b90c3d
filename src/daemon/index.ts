export { Daemon, resolveGroup } from './daemon.ts';
export type { DaemonOptions } from './daemon.ts';
export { resolveDaemonConfig, parseDaemonArgs, parseHost, defaultHost, readConfigFile, defaultDataRoot, defaultExecRoot, socketName } from './config.ts';
export type { DaemonConfig, HostAddress } from './config.ts';
export { EventsService, eventMatches } from './events-service.ts';
export type { DaemonEvent, EventPublisher, EventType } from './events-service.ts';
export { acquirePidfile } from './pidfile.ts';
export { DaemonSystemBackend, cgroupVersion } from './system-backend.ts';
export { DaemonVolumeBackend, volumeToWire } from './volumes-backend.ts';
