import type { Command } from '../context.ts';

type Loader = () => Promise<{ command: Command }>;

/**
 * Every command, loaded lazily: only the module of the command that runs is imported, so
 * `berth --version` and `berth ps` start fast.
 */
export const commandTable: Record<string, { summary: string; load: Loader }> = {
  'container attach': { summary: "Connect this terminal's stdin, stdout and stderr to a running container", load: () => import('./container/attach.ts') },
  'container commit': { summary: 'Save the changes made inside a container as a new image', load: () => import('./container/commit.ts') },
  'container cp': { summary: 'Copy files or directories into or out of a container', load: () => import('./container/cp.ts') },
  'container create': { summary: 'Set up a container from an image without starting it', load: () => import('./container/create.ts') },
  'container diff': { summary: 'Show which files a container added, changed or deleted', load: () => import('./container/diff.ts') },
  'container exec': { summary: 'Start an extra process inside a running container', load: () => import('./container/exec.ts') },
  'container export': { summary: "Write a container's root filesystem out as a tar stream", load: () => import('./container/export.ts') },
  'container inspect': { summary: 'Print the full JSON record of containers', load: () => import('./container/inspect.ts') },
  'container kill': { summary: 'Send a signal (SIGKILL unless told otherwise) to running containers', load: () => import('./container/kill.ts') },
  'container logs': { summary: 'Print what a container wrote to stdout and stderr', load: () => import('./container/logs.ts') },
  'container ls': { summary: 'Show containers (running ones unless --all)', load: () => import('./container/ls.ts') },
  'container pause': { summary: 'Freeze every process of the given containers', load: () => import('./container/pause.ts') },
  'container port': { summary: "Show which host addresses a container's ports are published on", load: () => import('./container/port.ts') },
  'container prune': { summary: 'Delete every container that is not running', load: () => import('./container/prune.ts') },
  'container rename': { summary: 'Give a container a new name', load: () => import('./container/rename.ts') },
  'container restart': { summary: 'Stop the given containers, then start them again', load: () => import('./container/restart.ts') },
  'container rm': { summary: 'Delete containers', load: () => import('./container/rm.ts') },
  'container run': { summary: 'Start a fresh container from an image and run its command', load: () => import('./container/run.ts') },
  'container start': { summary: 'Boot containers that are created or stopped', load: () => import('./container/start.ts') },
  'container stats': { summary: 'Watch CPU, memory, network and disk use of containers', load: () => import('./container/stats.ts') },
  'container stop': { summary: 'Ask running containers to exit, killing them after a grace period', load: () => import('./container/stop.ts') },
  'container top': { summary: 'List the processes running inside a container', load: () => import('./container/top.ts') },
  'container unpause': { summary: 'Thaw the processes of paused containers', load: () => import('./container/unpause.ts') },
  'container update': { summary: 'Change resource limits or restart policy of containers', load: () => import('./container/update.ts') },
  'container wait': { summary: 'Wait for containers to exit and print each exit code', load: () => import('./container/wait.ts') },
  'image history': { summary: 'List the layers of an image and the steps that made them', load: () => import('./image/history.ts') },
  'image import': { summary: 'Turn a root filesystem tarball into a single-layer image', load: () => import('./image/import.ts') },
  'image inspect': { summary: 'Print the full JSON record of images', load: () => import('./image/inspect.ts') },
  'image load': { summary: 'Read images from a tar archive (a file or stdin) into the store', load: () => import('./image/load.ts') },
  'image ls': { summary: 'Show the images in the local store', load: () => import('./image/ls.ts') },
  'image prune': { summary: 'Delete images nothing uses (only untagged ones unless --all)', load: () => import('./image/prune.ts') },
  'image pull': { summary: 'Fetch an image from a registry into the local store', load: () => import('./image/pull.ts') },
  'image push': { summary: 'Send a local image to a registry', load: () => import('./image/push.ts') },
  'image rm': { summary: 'Untag and delete images', load: () => import('./image/rm.ts') },
  'image search': { summary: 'Search a registry for images', load: () => import('./image/search.ts') },
  'image save': { summary: 'Write images to a tar archive (on stdout unless -o is given)', load: () => import('./image/save.ts') },
  'image tag': { summary: 'Give an image an extra name: TARGET_IMAGE will point at SOURCE_IMAGE', load: () => import('./image/tag.ts') },
  'volume create': { summary: 'Make a new named volume', load: () => import('./volume/create.ts') },
  'volume inspect': { summary: 'Print the full JSON record of volumes', load: () => import('./volume/inspect.ts') },
  'volume ls': { summary: 'Show the volumes Berth manages', load: () => import('./volume/ls.ts') },
  'volume prune': { summary: 'Delete volumes no container uses (only anonymous ones unless --all)', load: () => import('./volume/prune.ts') },
  'volume rm': { summary: 'Delete volumes', load: () => import('./volume/rm.ts') },
  'network connect': { summary: 'Join a container to a network', load: () => import('./network/connect.ts') },
  'network create': { summary: 'Make a new network', load: () => import('./network/create.ts') },
  'network disconnect': { summary: 'Take a container off a network', load: () => import('./network/disconnect.ts') },
  'network inspect': { summary: 'Print the full JSON record of networks', load: () => import('./network/inspect.ts') },
  'network ls': { summary: 'Show the networks Berth manages', load: () => import('./network/ls.ts') },
  'network prune': { summary: 'Delete every network no container is attached to', load: () => import('./network/prune.ts') },
  'network rm': { summary: 'Delete networks', load: () => import('./network/rm.ts') },
  'image build': { summary: 'Make an image by running the steps of a Dockerfile', load: () => import('./image/build.ts') },
  'system df': { summary: 'Report how much disk Berth uses for images, containers and volumes', load: () => import('./system/df.ts') },
  'system events': { summary: 'Stream what happens in the daemon as it happens', load: () => import('./system/events.ts') },
  'system info': { summary: 'Report the state and configuration of the Berth daemon', load: () => import('./system/info.ts') },
  'system prune': { summary: 'Clean up stopped containers and unused images (and volumes with --volumes)', load: () => import('./system/prune.ts') },
  'system inspect': { summary: 'Print the full JSON record of any Berth object', load: () => import('./system/inspect.ts') },
  'system version': { summary: 'Print the versions of the Berth client and daemon', load: () => import('./system/version.ts') },
  'system login': { summary: 'Store credentials for a registry (default registry if none is named)', load: () => import('./system/login.ts') },
  'system logout': { summary: 'Forget the stored credentials for a registry (default registry if none is named)', load: () => import('./system/logout.ts') },
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
  search: 'image search',
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
