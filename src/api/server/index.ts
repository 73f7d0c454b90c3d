/**
 * The Engine API server. The daemon builds a Router, registers the route sets with its backends
 * and hands the router to an ApiServer:
 *
 *   const router = new Router().use(requestLogger());
 *   registerSystemRoutes(router, systemBackend);
 *   registerContainerRoutes(router, containerBackend);   // routes/containers.ts
 *   const server = new ApiServer(router, { log });
 *   await server.listenUnix('/run/berth/berth.sock');
 *
 * A route set is a file routes/<resource>.ts exporting `register<Resource>Routes(router, backend)`
 * and declaring (or importing from backend.ts) the backend interface it needs; add one export
 * line below for it. Handlers throw BerthErrors; the server turns them into statuses once.
 */
export { ApiServer } from './server.ts';
export type { ApiServerOptions, UnixListenOptions, TlsListenOptions } from './server.ts';
export { Router } from './router.ts';
export type { Handler, Middleware, Method, RouteMatch } from './router.ts';
export { RequestContext, defaultJsonBodyLimit } from './context.ts';
export { requestLogger } from './middleware.ts';
export { httpStatusOf, errorBody } from './http-errors.ts';
export { compareApiVersions, splitVersionedPath } from './api-version.ts';
export { parseFilters, matchLabels, filterBool } from './filters.ts';
export type { Filters } from './filters.ts';
export { StdStream, muxFrame, MuxWriter, MuxDecoder, demux, NdjsonWriter } from './streams.ts';
export type { StdStreamId, MuxFrame } from './streams.ts';
export type * from './backend.ts';
export { registerSystemRoutes } from './routes/system.ts';
export { registerEventRoutes, parseEventTime, eventFilterNames } from './routes/events.ts';
export { registerVolumeRoutes } from './routes/volumes.ts';
export { registerImageRoutes, decodeRegistryAuth } from './routes/images.ts';
export { registerDistributionRoutes } from './routes/distribution.ts';
export type { DistributionBackend, ImagePushOptions } from './routes/distribution.ts';
export * from './routes/containers.ts';
export * from './routes/exec.ts';
export { registerBuildRoutes } from './routes/build.ts';
export type { BuildBackend, BuildRequest } from './routes/build.ts';
export * from './routes/networks.ts';
