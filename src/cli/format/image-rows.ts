import type { ImageSummary } from '../../api/types/index.ts';
import { humanSize, shortId, timeAgo } from './humanize.ts';
import { goTime } from './container-rows.ts';
import type { Headers } from './formatter.ts';

export const imageHeaders: Headers = {
  Containers: 'CONTAINERS',
  CreatedAt: 'CREATED AT',
  CreatedSince: 'CREATED',
  Digest: 'DIGEST',
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  SharedSize: 'SHARED SIZE',
  Size: 'SIZE',
  Tag: 'TAG',
  UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'VIRTUAL SIZE',
};

export function defaultImageFormat(digests: boolean): string {
  return digests
    ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
    : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
}

function splitRepoTag(rt: string): [string, string] {
  const at = rt.indexOf('@');
  if (at >= 0) return [rt.slice(0, at), '<none>'];
  const slash = rt.lastIndexOf('/');
  const colon = rt.lastIndexOf(':');
  if (colon > slash) return [rt.slice(0, colon), rt.slice(colon + 1)];
  return [rt, '<none>'];
}

/** `images` rows: one per repository:tag (or a `<none>` row), as docker lists them. */
export function imageRows(images: readonly ImageSummary[], options: { trunc: boolean; now?: number }): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  for (const img of images) {
    const id = options.trunc ? shortId(img.Id) : img.Id;
    const digests = new Map<string, string>();
    for (const rd of img.RepoDigests ?? []) {
      const [repo, digest] = rd.split('@') as [string, string?];
      if (digest && !digests.has(repo)) digests.set(repo, digest);
    }
    const base = {
      Containers: img.Containers < 0 ? 'N/A' : String(img.Containers),
      CreatedAt: goTime(img.Created),
      CreatedSince: timeAgo(img.Created, options.now),
      ID: id,
      SharedSize: img.SharedSize < 0 ? 'N/A' : humanSize(img.SharedSize),
      Size: humanSize(img.Size),
      UniqueSize: img.SharedSize < 0 ? 'N/A' : humanSize(img.Size - img.SharedSize),
      VirtualSize: humanSize(img.VirtualSize ?? img.Size),
    };
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    if (tags.length === 0) {
      const [repo] = img.RepoDigests?.[0] ? splitRepoTag(img.RepoDigests[0]) : ['<none>'];
      rows.push({ ...base, Digest: digests.get(repo) ?? '<none>', Repository: repo, Tag: '<none>' });
      continue;
    }
    for (const t of tags) {
      const [repo, tag] = splitRepoTag(t);
      rows.push({ ...base, Digest: digests.get(repo) ?? '<none>', Repository: repo, Tag: tag });
    }
  }
  return rows;
}
