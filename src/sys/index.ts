export { nativeSys, nativeAddonPath, errnoCode } from './native.ts';
export type { NativeSys } from './native.ts';
export { mountAll, mountOne, unmount, unmountAll, parseMountOptions, compactOverlayData, MOUNT_DATA_MAX } from './mount.ts';
export type { Mount } from './mount.ts';
export { ShimChannel, spawnShim, controlRequest, connectAttach } from './shim.ts';
export type { ShimStdio } from './shim.ts';
export { processStartTime, processState, isProcessAlive, processPss, processChildren } from './proc.ts';
export { runCommand } from './command.ts';
export type { CommandResult } from './command.ts';
export {
  getLink, listLinks, createBridge, createVethPair, deleteLink, setLinkUp, setLinkMaster, moveLinkToNetns, renameLink,
  setLinkAddress, addAddress, addDefaultRoute, listRoutes,
} from './ip.ts';
export type { NetnsOption, LinkInfo } from './ip.ts';
export { createNetworkNamespace, createVeth, configureInterface, removeLink, removeLinkSync } from './netlink.ts';
export type { VethOptions, InterfaceConfig } from './netlink.ts';
export { iptables, chainExists, ensureChain, ruleExists, ensureRule, deleteRule, listRules, deleteChain, splitRule } from './iptables.ts';
export type { IptablesTable } from './iptables.ts';
export { readSysctl, writeSysctl } from './sysctl.ts';
