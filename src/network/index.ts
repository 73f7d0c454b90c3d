export {
  ipToInt, intToIp, maskOf, parseSubnet, formatSubnet, subnetContains, broadcastOf, subnetsOverlap, firstHost, macForIp,
} from './cidr.ts';
export type { Ipv4Subnet } from './cidr.ts';
export { Ipam } from './ipam.ts';
export type { IpamPool, AddPoolOptions, IpamOptions } from './ipam.ts';
export { ensureBridge, removeBridge, enableIpForwarding } from './bridge.ts';
export type { BridgeConfig } from './bridge.ts';
export { attachEndpoint, detachEndpoint } from './endpoint.ts';
export type { AttachOptions, Endpoint } from './endpoint.ts';
export { BridgeFirewall } from './firewall.ts';
export type { FirewallOptions, NetworkRules, PortMapping } from './firewall.ts';
export { renderHosts, renderResolvConf, parseResolvConf } from './files.ts';
export type { HostsOptions, ResolvConf, ResolvOptions } from './files.ts';
export { allocateHostPort, isHostPortFree } from './host-ports.ts';
export { BridgeNetworks } from './bridge-networks.ts';
export type { BridgeNetwork, ConnectOptions, ConnectedEndpoint } from './bridge-networks.ts';
export { DnsServer, parseDnsQuery, buildDnsResponse } from './dns-server.ts';
export type { DnsServerOptions, DnsQuestion } from './dns-server.ts';
export { linkEnv, parseLink } from './links.ts';
export type { LinkTarget } from './links.ts';
export { overwriteInPlace } from './overwrite.ts';
