/**
 * Label keys with a meaning to the engine (containerd's names where containerd has one, so
 * tools that know containerd read them right).
 *
 * GC references: a blob labelled `containerd.io/gc.ref.content.<anything>=<digest>` keeps that
 * digest alive while it is alive itself (a manifest keeps its config and layers: `.config`,
 * `.l.<i>`; an index its manifests: `.m.<i>`). `containerd.io/gc.ref.snapshot.<snapshotter>=<name>`
 * keeps a snapshot alive (an image config keeps its top chainID's snapshot).
 */
export const ContentLabels = {
  gcRefContentPrefix: 'containerd.io/gc.ref.content',
  gcRefSnapshotPrefix: 'containerd.io/gc.ref.snapshot',
  /** Present (any value) on a blob or snapshot that GC must never remove. */
  gcRoot: 'containerd.io/gc.root',
  /** On a compressed layer blob: the digest of its uncompressed tar (its diffID). */
  uncompressed: 'berth.io/uncompressed',
  /** `containerd.io/distribution.source.<registry host>=<repo,…>`: where a blob came from (cross-repo mount). */
  distributionSourcePrefix: 'containerd.io/distribution.source',
} as const;

/** `containerd.io/gc.ref.content.<name>`. */
export function gcRefContentLabel(name: string): string {
  return `${ContentLabels.gcRefContentPrefix}.${name}`;
}

/** `containerd.io/gc.ref.snapshot.<snapshotter>`. */
export function gcRefSnapshotLabel(snapshotter: string): string {
  return `${ContentLabels.gcRefSnapshotPrefix}.${snapshotter}`;
}
