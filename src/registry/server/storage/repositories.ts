import { isNotFound } from '../../../lib/index.ts';
import { isRepositoryName } from '../../api/index.ts';
import type { StorageDriver } from './driver.ts';
import * as paths from './paths.ts';

/**
 * Every repository name in the store, sorted. A directory under repositories/ is a repository
 * when it holds _manifests or _layers; other children (not starting with "_") are deeper names.
 */
export async function listRepositories(driver: StorageDriver): Promise<string[]> {
  const out: string[] = [];
  const visit = async (prefix: string) => {
    let children: string[];
    try {
      children = await driver.list(prefix ? `${paths.repositoriesRoot()}/${prefix}` : paths.repositoriesRoot());
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (prefix && (children.includes('_manifests') || children.includes('_layers')) && isRepositoryName(prefix)) out.push(prefix);
    for (const c of children) {
      if (c.startsWith('_')) continue;
      const p = prefix ? `${prefix}/${c}` : c;
      if ((await driver.stat(`${paths.repositoriesRoot()}/${p}`)).isDir) await visit(p);
    }
  };
  await visit('');
  return out.sort();
}
