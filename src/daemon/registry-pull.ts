import type { ImagePullOptions, ProgressSink } from '../api/server/index.ts';
import type { ContentStore } from '../content/index.ts';
import { familiarString, parseDockerRef, type ImageService } from '../images/index.ts';
import { wrap, type Digest } from '../lib/index.ts';
import type { Credentials, RegistryClient } from '../registry/client/index.ts';

/** X-Registry-Auth's JSON fields (docker's AuthConfig) → the registry client's credentials. */
export function credentialsFrom(auth: Record<string, unknown> | undefined): Credentials | undefined {
  if (!auth) return undefined;
  const s = (k: string) => (typeof auth[k] === 'string' && auth[k] !== '' ? (auth[k] as string) : undefined);
  const c: Credentials = {};
  const username = s('username');
  const password = s('password');
  const identityToken = s('identitytoken');
  const registryToken = s('registrytoken');
  if (username) c.username = username;
  if (password) c.password = password;
  if (identityToken) c.identityToken = identityToken;
  if (registryToken) c.registryToken = registryToken;
  return Object.keys(c).length ? c : undefined;
}

/**
 * `POST /images/create?fromImage=`: pulls through the registry client into the content store,
 * records the name, unpacks the layers, and ends with docker's Digest/Status lines.
 */
export function registryPuller(deps: {
  client: RegistryClient;
  content: ContentStore;
  images: ImageService;
  unpack: (name: string, signal: AbortSignal) => Promise<void>;
  onPulled?: (id: string, name: string) => void;
}): (options: ImagePullOptions, progress: ProgressSink) => Promise<void> {
  return async (options, progress) => {
    const raw = options.tag && !options.image.includes('@') ? `${options.image}:${options.tag}` : options.image;
    const ref = parseDockerRef(raw);
    const full = `${ref.domain}/${ref.path}${ref.digest ? '@' + ref.digest : ':' + (ref.tag ?? 'latest')}`;
    const display = familiarString(ref);
    let before: string | undefined;
    try {
      before = (await deps.images.getImage(full)).id;
    } catch {
      before = undefined;
    }
    const auth = credentialsFrom(options.auth);
    let pulled;
    try {
      pulled = await deps.client.pull(full, {
        onProgress: (m) => progress.write(m),
        signal: options.signal,
        ...(options.platform ? { platform: options.platform } : {}),
        ...(auth ? { auth } : {}),
      });
    } catch (err) {
      throw wrap(err, `pull ${JSON.stringify(display)}`);
    }
    const info = await deps.content.info(pulled.digest as Digest);
    deps.images.createImage(full, { mediaType: pulled.mediaType, digest: pulled.digest, size: info.size });
    await deps.unpack(full, options.signal);
    const img = await deps.images.getImage(full);
    progress.write({ status: `Digest: ${pulled.digest}` });
    progress.write({
      status: before === img.id ? `Image is up to date for ${display}` : `Downloaded newer image for ${display}`,
    });
    deps.onPulled?.(img.id, display);
  };
}
