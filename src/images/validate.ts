import { invalidArgument, isDigest } from '../lib/index.ts';
import { MediaTypes, isConfigType, isIndexType, isManifestType, isSchema1Type, schema1Error } from './media-types.ts';
import type { Descriptor, ImageConfig, Index, Manifest, Platform } from './types.ts';

/*
 * Checks parsed JSON against the OCI shapes and reports the first problem with its JSON path:
 * `invalid manifest: layers[2].digest: invalid digest "xyz"`. Unknown fields are allowed (the
 * spec says so); the fields Berth relies on must be present with the right types.
 */

type Json = Record<string, unknown>;

class Invalid extends Error {}

function fail(path: string, msg: string): never {
  throw new Invalid(path ? `${path}: ${msg}` : msg);
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Json, key: string, path: string, required: boolean): void {
  const v = o[key];
  if (v === undefined && !required) return;
  if (typeof v !== 'string') fail(join(path, key), v === undefined ? 'required' : `must be a string, got ${typeOf(v)}`);
}

function strArray(o: Json, key: string, path: string): void {
  const v = o[key];
  if (v === undefined || v === null) return;
  if (!Array.isArray(v)) fail(join(path, key), `must be an array, got ${typeOf(v)}`);
  v.forEach((s, i) => {
    if (typeof s !== 'string') fail(`${join(path, key)}[${i}]`, `must be a string, got ${typeOf(s)}`);
  });
}

function strMap(o: Json, key: string, path: string): void {
  const v = o[key];
  if (v === undefined || v === null) return;
  if (!isObject(v)) fail(join(path, key), `must be an object, got ${typeOf(v)}`);
  for (const [k, s] of Object.entries(v)) {
    if (typeof s !== 'string') fail(`${join(path, key)}[${JSON.stringify(k)}]`, `must be a string, got ${typeOf(s)}`);
  }
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function checkDigestField(o: Json, key: string, path: string): void {
  const v = o[key];
  if (typeof v !== 'string') fail(join(path, key), v === undefined ? 'required' : `must be a string, got ${typeOf(v)}`);
  if (!isDigest(v)) fail(join(path, key), `invalid digest ${JSON.stringify(v)}`);
}

function checkPlatform(v: unknown, path: string): void {
  if (!isObject(v)) fail(path, `must be an object, got ${typeOf(v)}`);
  str(v, 'architecture', path, true);
  str(v, 'os', path, true);
  str(v, 'variant', path, false);
  str(v, 'os.version', path, false);
  strArray(v, 'os.features', path);
  strArray(v, 'features', path);
}

function checkDescriptor(v: unknown, path: string): void {
  if (!isObject(v)) fail(path, `must be an object, got ${typeOf(v)}`);
  str(v, 'mediaType', path, true);
  if ((v.mediaType as string).length === 0) fail(join(path, 'mediaType'), 'must not be empty');
  checkDigestField(v, 'digest', path);
  const size = v.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    fail(join(path, 'size'), size === undefined ? 'required' : `must be a non-negative integer, got ${JSON.stringify(size)}`);
  }
  strArray(v, 'urls', path);
  strMap(v, 'annotations', path);
  str(v, 'data', path, false);
  if (v.platform !== undefined) checkPlatform(v.platform, join(path, 'platform'));
}

function toJson(data: unknown, what: string): unknown {
  if (typeof data === 'string' || data instanceof Uint8Array) {
    const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
    try {
      return JSON.parse(text);
    } catch (err) {
      throw invalidArgument(`invalid ${what}: not valid JSON: ${(err as Error).message}`);
    }
  }
  return data;
}

function guard<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Invalid) throw invalidArgument(`invalid ${what}: ${err.message}`);
    throw err;
  }
}

function checkSchemaVersion(o: Json, what: string): void {
  if (o.schemaVersion === 1) throw schema1Error(what);
  if (o.schemaVersion !== 2) fail('schemaVersion', `must be 2, got ${JSON.stringify(o.schemaVersion)}`);
}

function checkMediaType(o: Json, expected: string | undefined, accept: (mt: string) => boolean): void {
  const mt = o.mediaType;
  if (mt === undefined) return;
  if (typeof mt !== 'string') fail('mediaType', `must be a string, got ${typeOf(mt)}`);
  if (isSchema1Type(mt)) throw schema1Error();
  if (!accept(mt)) fail('mediaType', `unexpected media type ${JSON.stringify(mt)}`);
  if (expected !== undefined && mt !== expected) {
    fail('mediaType', `${JSON.stringify(mt)} does not match the descriptor's ${JSON.stringify(expected)}`);
  }
}

export interface ParseOptions {
  /** The media type the content was fetched or referenced as; must agree with the JSON's. */
  mediaType?: string;
}

/** Parses and checks an OCI image manifest or Docker v2 schema 2 manifest. */
export function parseManifest(data: unknown, options: ParseOptions = {}): Manifest {
  if (options.mediaType && isSchema1Type(options.mediaType)) throw schema1Error();
  const v = toJson(data, 'manifest');
  return guard('manifest', () => {
    if (!isObject(v)) fail('', `must be a JSON object, got ${typeOf(v)}`);
    checkSchemaVersion(v, 'manifest');
    checkMediaType(v, options.mediaType, isManifestType);
    if (v.manifests !== undefined && v.config === undefined) fail('', 'this is an index, not a manifest');
    if (v.config === undefined) fail('config', 'required');
    checkDescriptor(v.config, 'config');
    if (!Array.isArray(v.layers)) fail('layers', v.layers === undefined ? 'required' : `must be an array, got ${typeOf(v.layers)}`);
    v.layers.forEach((l, i) => checkDescriptor(l, `layers[${i}]`));
    if (v.subject !== undefined) checkDescriptor(v.subject, 'subject');
    strMap(v, 'annotations', '');
    str(v, 'artifactType', '', false);
    if (v.mediaType === MediaTypes.dockerManifest && !isConfigType((v.config as Json).mediaType as string)) {
      fail('config.mediaType', `unexpected media type ${JSON.stringify((v.config as Json).mediaType)} for a docker image config`);
    }
    return v as unknown as Manifest;
  });
}

/** Parses and checks an OCI image index or Docker manifest list. */
export function parseIndex(data: unknown, options: ParseOptions = {}): Index {
  if (options.mediaType && isSchema1Type(options.mediaType)) throw schema1Error();
  const v = toJson(data, 'index');
  return guard('index', () => {
    if (!isObject(v)) fail('', `must be a JSON object, got ${typeOf(v)}`);
    checkSchemaVersion(v, 'index');
    checkMediaType(v, options.mediaType, isIndexType);
    if (!Array.isArray(v.manifests)) fail('manifests', v.manifests === undefined ? 'required' : `must be an array, got ${typeOf(v.manifests)}`);
    v.manifests.forEach((m, i) => checkDescriptor(m, `manifests[${i}]`));
    if (v.subject !== undefined) checkDescriptor(v.subject, 'subject');
    strMap(v, 'annotations', '');
    return v as unknown as Index;
  });
}

export type ManifestOrIndex = { kind: 'manifest'; manifest: Manifest } | { kind: 'index'; index: Index };

/**
 * Parses a manifest or an index, choosing by `mediaType` (from the descriptor or the registry's
 * Content-Type), else by the JSON's own mediaType, else by its shape (`manifests` vs `config`).
 */
export function parseManifestOrIndex(data: unknown, mediaType?: string): ManifestOrIndex {
  if (mediaType && isSchema1Type(mediaType)) throw schema1Error();
  const v = toJson(data, 'manifest');
  const declared = isObject(v) && typeof v.mediaType === 'string' ? v.mediaType : undefined;
  const mt = mediaType && (isIndexType(mediaType) || isManifestType(mediaType)) ? mediaType : declared;
  const opts = mediaType && (isIndexType(mediaType) || isManifestType(mediaType)) ? { mediaType } : {};
  if (isIndexType(mt) || (mt === undefined && isObject(v) && Array.isArray(v.manifests))) {
    return { kind: 'index', index: parseIndex(v, opts) };
  }
  if (mt !== undefined && !isManifestType(mt)) {
    if (isSchema1Type(mt)) throw schema1Error();
    throw invalidArgument(`invalid manifest: unsupported media type ${JSON.stringify(mt)}`);
  }
  return { kind: 'manifest', manifest: parseManifest(v, opts) };
}

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses and checks an OCI / Docker image config. */
export function parseImageConfig(data: unknown): ImageConfig {
  const v = toJson(data, 'image config');
  return guard('image config', () => {
    if (!isObject(v)) fail('', `must be a JSON object, got ${typeOf(v)}`);
    str(v, 'architecture', '', true);
    str(v, 'os', '', true);
    str(v, 'variant', '', false);
    str(v, 'author', '', false);
    if (v.created !== undefined && (typeof v.created !== 'string' || !rfc3339.test(v.created))) {
      fail('created', `must be an RFC 3339 date, got ${JSON.stringify(v.created)}`);
    }
    if (!isObject(v.rootfs)) fail('rootfs', v.rootfs === undefined ? 'required' : `must be an object, got ${typeOf(v.rootfs)}`);
    if (v.rootfs.type !== 'layers') fail('rootfs.type', `must be "layers", got ${JSON.stringify(v.rootfs.type)}`);
    const diffIds = v.rootfs.diff_ids ?? [];
    if (!Array.isArray(diffIds)) fail('rootfs.diff_ids', `must be an array, got ${typeOf(diffIds)}`);
    diffIds.forEach((d, i) => {
      if (typeof d !== 'string' || !isDigest(d)) fail(`rootfs.diff_ids[${i}]`, `invalid digest ${JSON.stringify(d)}`);
    });
    if (v.rootfs.diff_ids === undefined || v.rootfs.diff_ids === null) v.rootfs.diff_ids = [];
    if (v.config !== undefined && v.config !== null) {
      const c = v.config;
      if (!isObject(c)) fail('config', `must be an object, got ${typeOf(c)}`);
      for (const k of ['User', 'WorkingDir', 'StopSignal']) str(c, k, 'config', false);
      for (const k of ['Env', 'Entrypoint', 'Cmd', 'OnBuild', 'Shell']) strArray(c, k, 'config');
      strMap(c, 'Labels', 'config');
      for (const k of ['ExposedPorts', 'Volumes']) {
        if (c[k] !== undefined && c[k] !== null && !isObject(c[k])) fail(`config.${k}`, `must be an object, got ${typeOf(c[k])}`);
      }
    }
    if (v.history !== undefined && v.history !== null) {
      if (!Array.isArray(v.history)) fail('history', `must be an array, got ${typeOf(v.history)}`);
      v.history.forEach((h, i) => {
        const p = `history[${i}]`;
        if (!isObject(h)) fail(p, `must be an object, got ${typeOf(h)}`);
        for (const k of ['created', 'created_by', 'author', 'comment']) str(h, k, p, false);
        if (h.empty_layer !== undefined && typeof h.empty_layer !== 'boolean') fail(`${p}.empty_layer`, `must be a boolean, got ${typeOf(h.empty_layer)}`);
      });
    }
    return v as unknown as ImageConfig;
  });
}

/** Checks one descriptor (e.g. from an API call) and returns it typed. */
export function parseDescriptor(data: unknown, what = 'descriptor'): Descriptor {
  const v = toJson(data, what);
  return guard(what, () => {
    checkDescriptor(v, '');
    return v as Descriptor;
  });
}

/** Checks a platform object. */
export function parsePlatformObject(data: unknown): Platform {
  return guard('platform', () => {
    checkPlatform(data, '');
    return data as Platform;
  });
}
