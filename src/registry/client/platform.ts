import { invalidArgument } from '../../lib/index.ts';

/** An OCI platform (os/architecture[/variant]). */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const archOf: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** The platform this process runs on, as image indexes name it. */
export function hostPlatform(): Platform {
  const architecture = archOf[process.arch] ?? process.arch;
  const p: Platform = { os: 'linux', architecture };
  if (architecture === 'arm64') p.variant = 'v8';
  if (architecture === 'arm') p.variant = `v${(process.config.variables as { arm_version?: string }).arm_version ?? '7'}`;
  return p;
}

/** Parses `linux/arm64/v8`, `linux/amd64`, `arm64`. */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().toLowerCase().split('/');
  if (parts.length > 3 || parts.some((x) => !x)) throw invalidArgument(`invalid platform ${JSON.stringify(s)}`);
  if (parts.length === 1) return normalize({ os: 'linux', architecture: parts[0]! });
  const p: Platform = { os: parts[0]!, architecture: parts[1]! };
  if (parts[2]) p.variant = parts[2];
  return normalize(p);
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

function normalize(p: Platform): Platform {
  const arch = ({ x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', i386: '386' } as Record<string, string>)[p.architecture] ?? p.architecture;
  const out: Platform = { os: p.os, architecture: arch };
  if (p.variant) out.variant = p.variant;
  if (arch === 'arm64' && p.variant === '8') out.variant = 'v8';
  if (p.architecture === 'armhf' && !p.variant) out.variant = 'v7';
  return out;
}

/**
 * Whether an index entry's platform can run on `want`: same os and architecture, and the same
 * variant when both name one (arm64's v8 is the default and matches a missing variant).
 */
export function platformMatches(want: Platform, have: Partial<Platform> | undefined): boolean {
  if (!have || have.os !== want.os) return false;
  const h = normalize({ os: have.os, architecture: have.architecture ?? '', ...(have.variant ? { variant: have.variant } : {}) });
  if (h.architecture !== want.architecture) return false;
  const wv = want.variant ?? (want.architecture === 'arm64' ? 'v8' : undefined);
  const hv = h.variant ?? (h.architecture === 'arm64' ? 'v8' : undefined);
  return !wv || !hv || wv === hv;
}
