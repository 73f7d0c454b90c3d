import type { Command } from '../context.ts';

type Loader = () => Promise<{ command: Command }>;

/**
 * Every command, loaded lazily: only the module of the command that runs is imported, so
 * `berth --version` and `berth ps` start fast.
 */
export const commandTable: Record<string, { summary: string; load: Loader }> = {
  'container attach': { summary: "Attach local standard input, output, and error streams to a running container", load: () => import('./container/attach.ts') },
  'container commit': { summary: "Create a new image from a container's changes", load: () => import('./container/commit.ts') },
  'container cp': { summary: 'Copy files/folders between a container and the local filesystem', load: () => import('./container/cp.ts') },
  'container create': { summary: 'Create a new container', load: () => import('./container/create.ts') },
  'container diff': { summary: "Inspect changes to files or directories on a container's filesystem", load: () => import('./container/diff.ts') },
  'container exec': { summary: 'Execute a command in a running container', load: () => import('./container/exec.ts') },
  'container export': { summary: "Export a container's filesystem as a tar archive", load: () => import('./container/export.ts') },
  'container inspect': { summary: 'Display detailed information on one or more containers', load: () => import('./container/inspect.ts') },
  'container kill': { summary: 'Kill one or more running containers', load: () => import('./container/kill.ts') },
  'container logs': { summary: 'Fetch the logs of a container', load: () => import('./container/logs.ts') },
  'container ls': { summary: 'List containers', load: () => import('./container/ls.ts') },
  'container pause': { summary: 'Pause all processes within one or more containers', load: () => import('./container/pause.ts') },
  'container port': { summary: 'List port mappings or a specific mapping for the container', load: () => import('./container/port.ts') },
  'container prune': { summary: 'Remove all stopped containers', load: () => import('./container/prune.ts') },
  'container rename': { summary: 'Rename a container', load: () => import('./container/rename.ts') },
  'container restart': { summary: 'Restart one or more containers', load: () => import('./container/restart.ts') },
  'container rm': { summary: 'Remove one or more containers', load: () => import('./container/rm.ts') },
  'container run': { summary: 'Create and run a new container from an image', load: () => import('./container/run.ts') },
  'container start': { summary: 'Start one or more stopped containers', load: () => import('./container/start.ts') },
  'container stats': { summary: 'Display a live stream of container(s) resource usage statistics', load: () => import('./container/stats.ts') },
  'container stop': { summary: 'Stop one or more running containers', load: () => import('./container/stop.ts') },
  'container top': { summary: 'Display the running processes of a container', load: () => import('./container/top.ts') },
  'container unpause': { summary: 'Unpause all processes within one or more containers', load: () => import('./container/unpause.ts') },
  'container update': { summary: 'Update configuration of one or more containers', load: () => import('./container/update.ts') },
  'container wait': { summary: 'Block until one or more containers stop, then print their exit codes', load: () => import('./container/wait.ts') },
  'image history': { summary: 'Show the history of an image', load: () => import('./image/history.ts') },
  'image import': { summary: 'Import the contents from a tarball to create a filesystem image', load: () => import('./image/import.ts') },
  'image inspect': { summary: 'Display detailed information on one or more images', load: () => import('./image/inspect.ts') },
  'image load': { summary: 'Load an image from a tar archive or STDIN', load: () => import('./image/load.ts') },
  'image ls': { summary: 'List images', load: () => import('./image/ls.ts') },
  'image prune': { summary: 'Remove unused images', load: () => import('./image/prune.ts') },
  'image pull': { summary: 'Download an image from a registry', load: () => import('./image/pull.ts') },
  'image push': { summary: 'Upload an image to a registry', load: () => import('./image/push.ts') },
  'image rm': { summary: 'Remove one or more images', load: () => import('./image/rm.ts') },
  'image save': { summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)', load: () => import('./image/save.ts') },
  'image tag': { summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', load: () => import('./image/tag.ts') },
  'volume create': { summary: 'Create a volume', load: () => import('./volume/create.ts') },
  'volume inspect': { summary: 'Display detailed information on one or more volumes', load: () => import('./volume/inspect.ts') },
  'volume ls': { summary: 'List volumes', load: () => import('./volume/ls.ts') },
  'volume prune': { summary: 'Remove unused local volumes', load: () => import('./volume/prune.ts') },
  'volume rm': { summary: 'Remove one or more volumes', load: () => import('./volume/rm.ts') },
  'network connect': { summary: 'Connect a container to a network', load: () => import('./network/connect.ts') },
  'network create': { summary: 'Create a network', load: () => import('./network/create.ts') },
  'network disconnect': { summary: 'Disconnect a container from a network', load: () => import('./network/disconnect.ts') },
  'network inspect': { summary: 'Display detailed information on one or more networks', load: () => import('./network/inspect.ts') },
  'network ls': { summary: 'List networks', load: () => import('./network/ls.ts') },
  'network prune': { summary: 'Remove all unused networks', load: () => import('./network/prune.ts') },
  'network rm': { summary: 'Remove one or more networks', load: () => import('./network/rm.ts') },
  'image build': { summary: 'Build an image from a Dockerfile', load: () => import('./image/build.ts') },
  'system df': { summary: 'Show docker disk usage', load: () => import('./system/df.ts') },
  'system events': { summary: 'Get real time events from the server', load: () => import('./system/events.ts') },
  'system info': { summary: 'Display system-wide information', load: () => import('./system/info.ts') },
  'system prune': { summary: 'Remove unused data', load: () => import('./system/prune.ts') },
  'system inspect': { summary: 'Return low-level information on Docker objects', load: () => import('./system/inspect.ts') },
  'system version': { summary: 'Show the Docker version information', load: () => import('./system/version.ts') },
  'system login': { summary: 'Log in to a registry', load: () => import('./system/login.ts') },
  'system logout': { summary: 'Log out from a registry', load: () => import('./system/logout.ts') },
};

/** Top-level shortcuts (`berth ps` is `berth container ls`). */
export const shortcuts: Record<string, string> = {
  attach: 'container attach',
  commit: 'container commit',
  cp: 'container cp',
  create: 'container create',
  diff: 'container diff',
  exec: 'container exec',
  export: 'container export',
  kill: 'container kill',
  logs: 'container logs',
  ps: 'container ls',
  pause: 'container pause',
  port: 'container port',
  rename: 'container rename',
  restart: 'container restart',
  rm: 'container rm',
  run: 'container run',
  start: 'container start',
  stats: 'container stats',
  stop: 'container stop',
  top: 'container top',
  unpause: 'container unpause',
  update: 'container update',
  wait: 'container wait',
  history: 'image history',
  build: 'image build',
  import: 'image import',
  images: 'image ls',
  load: 'image load',
  pull: 'image pull',
  push: 'image push',
  rmi: 'image rm',
  save: 'image save',
  tag: 'image tag',
  events: 'system events',
  info: 'system info',
  inspect: 'system inspect',
  version: 'system version',
  login: 'system login',
  logout: 'system logout',
};

/** Other names for verbs inside a management command. */
export const verbAliases: Record<string, string> = {
  'container list': 'container ls',
  'container ps': 'container ls',
  'container remove': 'container rm',
  'image list': 'image ls',
  'image remove': 'image rm',
  'volume list': 'volume ls',
  'volume remove': 'volume rm',
  'network list': 'network ls',
  'network remove': 'network rm',
};

/** Resolves argv words to a command path and the remaining args. */
export function resolveCommand(words: readonly string[]): { path: string; rest: string[]; invokedAs: string } | { group: string } | undefined {
  const [first, second, ...more] = words;
  if (!first) return undefined;
  const s = shortcuts[first];
  if (s) return { path: s, rest: words.slice(1), invokedAs: first };
  const groups = new Set(Object.keys(commandTable).map((k) => k.split(' ')[0]));
  if (groups.has(first)) {
    if (!second || second.startsWith('-')) return { group: first };
    const key = verbAliases[`${first} ${second}`] ?? `${first} ${second}`;
    if (commandTable[key]) return { path: key, rest: more, invokedAs: `${first} ${second}` };
    return { group: first };
  }
  return undefined;
}
