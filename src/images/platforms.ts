import { invalidArgument } from '../lib/index.ts';
import { Annotations } from './types.ts';
import type { Descriptor, Platform } from './types.ts';

/**
 * Platforms as containerd's `platforms` package treats them: `os/arch[/variant]` specifiers,
 * normalization of the many names one architecture goes by (x86_64 → amd64, aarch64 → arm64,
 * arm64's default variant v8, armhf → arm/v7), matching, and the best pick from an index.
 */

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
}

/** Normalizes os, architecture and variant the way containerd does. */
export function normalizePlatform(p: PlatformSpec): PlatformSpec {
  let os = p.os.toLowerCase();
  if (os === 'macos') os = 'darwin';
  let arch = p.architecture.toLowerCase();
  let variant = (p.variant ?? '').toLowerCase();
  switch (arch) {
    case 'i386':
      arch = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      arch = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      arch = 'arm64';
      if (variant === '8' || variant === 'v8' || variant === 'v8.0') variant = '';
      break;
    case 'armhf':
      arch = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      arch = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '' || variant === '7') variant = 'v7';
      else if (variant === '5' || variant === '6' || variant === '8') variant = `v${variant}`;
      break;
  }
  const out: PlatformSpec = { os, architecture: arch };
  if (variant) out.variant = variant;
  if (p['os.version']) out['os.version'] = p['os.version'];
  return out;
}

/** `linux/arm64/v8` style text of a platform (after normalization arm64/v8 prints as linux/arm64). */
export function formatPlatform(p: PlatformSpec): string {
  return [p.os || 'unknown', p.architecture || 'unknown', ...(p.variant ? [p.variant] : [])].join('/');
}

const componentRe = /^[A-Za-z0-9_.-]+$/;
const knownOs = new Set(['linux', 'darwin', 'windows', 'freebsd', 'netbsd', 'openbsd', 'solaris', 'illumos', 'aix', 'android', 'ios', 'js', 'wasip1', 'plan9', 'dragonfly', 'macos']);

/**
 * Parses `os[/arch[/variant]]` or a bare architecture (`arm64` → host os), as `--platform` takes:
 * `linux`, `linux/amd64`, `linux/arm/v7`, `arm64`, `windows/amd64`.
 */
export function parsePlatform(spec: string, host: PlatformSpec = hostPlatform()): PlatformSpec {
  const parts = spec.split('/');
  if (spec === '' || parts.length > 3 || parts.some((x) => !componentRe.test(x))) {
    throw invalidArgument(`invalid platform ${JSON.stringify(spec)}: want os[/arch[/variant]]`);
  }
  if (parts.length === 1) {
    const one = parts[0]!.toLowerCase();
    if (knownOs.has(one)) {
      // An os alone: the host's architecture when the os is the host's, else amd64.
      return normalizePlatform(one === host.os ? { os: one, architecture: host.architecture, ...(host.variant ? { variant: host.variant } : {}) } : { os: one, architecture: 'amd64' });
    }
    return normalizePlatform({ os: host.os, architecture: one });
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return normalizePlatform(variant ? { os, architecture, variant } : { os, architecture });
}

/** Node's view of the host, in OCI terms (linux/amd64, linux/arm64, linux/arm/v7 …). */
export function hostPlatform(): PlatformSpec {
  const archMap: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle' };
  const arch = archMap[process.arch] ?? process.arch;
  let variant: string | undefined;
  if (arch === 'arm') {
    const v = (process.config.variables as Record<string, unknown>).arm_version;
    variant = v ? `v${String(v)}` : 'v7';
  }
  return normalizePlatform({ os: process.platform, architecture: arch, ...(variant ? { variant } : {}) });
}

/**
 * The platforms `want` can run, best first (containerd's Only): arm/v7 runs v7, v6, v5; arm64
 * also runs arm v8…v5 code only when asked with allowCompat; amd64 runs 386 with allowCompat.
 */
function compatible(want: PlatformSpec, allowCompat: boolean): PlatformSpec[] {
  const w = normalizePlatform(want);
  const out: PlatformSpec[] = [w];
  if (w.architecture === 'arm') {
    const order = ['v8', 'v7', 'v6', 'v5'];
    const from = order.indexOf(w.variant ?? 'v7');
    for (const v of order.slice(from + 1)) out.push({ os: w.os, architecture: 'arm', variant: v });
  }
  if (allowCompat && w.architecture === 'arm64') {
    for (const v of ['v8', 'v7', 'v6', 'v5']) out.push({ os: w.os, architecture: 'arm', variant: v });
  }
  if (allowCompat && w.architecture === 'amd64') out.push({ os: w.os, architecture: '386' });
  return out;
}

function same(a: PlatformSpec, b: PlatformSpec): boolean {
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '');
}

/** True when an image built for `have` runs on (or was asked as) `want`. */
export function matchPlatform(want: PlatformSpec, have: PlatformSpec, options: { allowCompat?: boolean } = {}): boolean {
  const h = normalizePlatform(have);
  return compatible(want, options.allowCompat ?? false).some((c) => same(c, h));
}

/** Lower is better; Infinity when `have` does not run on `want`. */
export function platformRank(want: PlatformSpec, have: PlatformSpec, options: { allowCompat?: boolean } = {}): number {
  const h = normalizePlatform(have);
  const i = compatible(want, options.allowCompat ?? false).findIndex((c) => same(c, h));
  return i < 0 ? Infinity : i;
}

/** True for BuildKit attestation (SBOM/provenance) entries, which are not images to run. */
export function isAttestation(desc: Descriptor): boolean {
  return desc.annotations?.[Annotations.dockerReferenceType] === 'attestation-manifest' ||
    (desc.platform?.os === 'unknown' && desc.platform.architecture === 'unknown');
}

/**
 * The manifest of an index that best fits `want` (default: the host): exact variant first, then
 * compatible variants; the first entry in index order wins ties. Entries without a platform or
 * that are attestations never match. Returns undefined when nothing fits.
 */
export function selectManifest(
  manifests: readonly Descriptor[],
  want: PlatformSpec = hostPlatform(),
  options: { allowCompat?: boolean } = {},
): Descriptor | undefined {
  let best: Descriptor | undefined;
  let bestRank = Infinity;
  for (const m of manifests) {
    if (!m.platform || isAttestation(m)) continue;
    const r = platformRank(want, m.platform as Platform, options);
    if (r < bestRank) {
      best = m;
      bestRank = r;
    }
  }
  return best;
}
