import type { ImageBackend } from '../api/server/index.ts';
import { notFound, notImplemented } from '../lib/index.ts';

/**
 * The image port before an image service is wired: an empty image list (so `docker images` and
 * `docker info` work), not-found for lookups, not-implemented for the rest.
 */
export function unavailableImageBackend(): ImageBackend {
  const ni = (what: string) => async (): Promise<never> => {
    throw notImplemented(`${what}: the image service is not available in this build`);
  };
  return {
    list: async () => [],
    inspect: async (name) => {
      throw notFound(`No such image: ${name}`);
    },
    history: async (name) => {
      throw notFound(`No such image: ${name}`);
    },
    tag: async (name) => {
      throw notFound(`No such image: ${name}`);
    },
    remove: async (name) => {
      throw notFound(`No such image: ${name}`);
    },
    prune: async () => ({ ImagesDeleted: null, SpaceReclaimed: 0 }),
    save: ni('save'),
    load: ni('load'),
    importImage: ni('import'),
    pull: ni('pull'),
    commit: ni('commit'),
  };
}
