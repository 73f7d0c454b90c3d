import { mkdir, mkdtemp, readFile, rm, lstat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import {
  berthError,
  errorCode,
  invalidArgument,
  isNotFound,
  notFound,
  nullLogger,
  sha256,
  wrap,
  randomHex,
  type Digest,
  type Logger,
} from '../lib/index.ts';
import { mountAll, unmount, type Mount } from '../sys/index.ts';
import type { ContentStore } from '../content/index.ts';
import { applyLayer, unpackImage, type BlobReader, type Snapshotter } from '../snapshots/index.ts';
import {
  MediaTypes,
  chainId,
  formatPlatform,
  hostPlatform,
  matchPlatform,
  normalizeReference,
  parsePlatform,
  writeDiffLayer,
  writeImage,
  type Descriptor,
  type ImageConfig,
  type ImageService,
  type ImageStore,
} from '../images/index.ts';
import type { Runtime, Mount as OciMount } from '../runtime/index.ts';
import { resolveInRoot, resolveUser } from '../containers/index.ts';
import {
  expandString,
  expandWords,
  findStage,
  parseDockerfile,
  parseStages,
  toInstruction,
  type CopyInstruction,
  type Dockerfile,
  type Instruction,
  type RunInstruction,
  type Stage,
} from './dockerfile/index.ts';
import { BuildContext, cleanSource } from './context.ts';
import { BuildCache } from './cache.ts';
import { applyMetadata, commandArgv, expansionEnv, runEnv, type StageState } from './step.ts';
import { copyInto, ensureDir, parseChmod, writeInto, type CopyAttrs } from './copy-files.ts';
import { runStep } from './run-step.ts';
import type { ContainerConfig } from './image-config.ts';

/** What a build streams, as the legacy builder's JSON messages. */
export type BuildEvent = { stream: string } | { aux: { ID: string } };

export interface BuildOptions {
  /** Dockerfile path inside the context (default `Dockerfile`). */
  dockerfile?: string;
  /** Dockerfile text, when it does not come from the context (`-f -`). */
  dockerfileText?: string;
  tags?: string[];
  buildArgs?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  /** Always pull FROM images (needs a pull function). */
  pull?: boolean;
  labels?: Record<string, string>;
  /** `host` (default: builds reach the host's network) or `none`. */
  networkMode?: string;
  /** Images whose layers may serve as cache (`--cache-from`). */
  cacheFrom?: string[];
  signal?: AbortSignal;
}

export interface BuildResult {
  /** The image ID (config digest). */
  id: Digest;
  target: Descriptor;
  tags: string[];
}

export interface BuilderOptions {
  content: ContentStore;
  snapshotter: Snapshotter;
  images: ImageService;
  imageStore: ImageStore;
  runtime: Runtime;
  cache: BuildCache;
  /** Scratch space for build containers' bundles and RUN cache mounts. */
  workDir: string;
  logger?: Logger;
  /** Pulls an image into the store (the registry client); absent: FROM needs local images. */
  pull?: (ref: string, signal?: AbortSignal) => Promise<void>;
}

/** The image a stage has built so far. */
interface ImageState {
  config: ImageConfig;
  layers: Descriptor[];
  docker: boolean;
}

interface StageResult {
  image: ImageState;
  chainID: Digest | undefined;
}

const defaultPath = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The builder: a Dockerfile and a context in, an image out. Every RUN runs in a real container
 * on an overlay snapshot of the image so far; RUN, COPY and ADD each add one layer, computed
 * as the diff of the snapshot's upper dir; the other instructions only change the config.
 * A step whose cache key was seen before reuses its layer without running anything.
 */
export class Builder {
  private readonly o: BuilderOptions;
  private readonly log: Logger;

  constructor(options: BuilderOptions) {
    this.o = options;
    this.log = options.logger ?? nullLogger;
  }

  async build(context: BuildContext, options: BuildOptions, emit: (e: BuildEvent) => void): Promise<BuildResult> {
    const text = options.dockerfileText ?? (await this.readDockerfile(context, options.dockerfile ?? 'Dockerfile'));
    const df = parseStages(text);
    for (const w of df.warnings) emit({ stream: `[warning] ${w}\n` });
    const buildArgs = new Map(Object.entries(options.buildArgs ?? {}));
    // The platform ARGs are predefined in the global scope; builds target the host's platform.
    const host = hostPlatform();
    const metaArgs = new Map<string, string>();
    for (const prefix of ['TARGET', 'BUILD']) {
      metaArgs.set(`${prefix}PLATFORM`, formatPlatform(host));
      metaArgs.set(`${prefix}OS`, host.os);
      metaArgs.set(`${prefix}ARCH`, host.architecture);
      metaArgs.set(`${prefix}VARIANT`, host.variant ?? '');
    }
    for (const a of df.metaArgs) {
      for (const { name, defaultValue } of a.args) {
        const v = buildArgs.get(name) ?? (defaultValue === undefined ? undefined : expandString(defaultValue, metaArgs, { escape: df.directives.escape }));
        if (v !== undefined) metaArgs.set(name, v);
      }
    }
    const target = options.target === undefined ? df.stages[df.stages.length - 1]! : findStage(df, options.target);
    if (!target) throw invalidArgument(`failed to reach build target ${options.target} in Dockerfile`);
    const needed = this.neededStages(df, target, metaArgs);
    const total = needed.reduce((n, s) => n + 1 + s.instructions.length, 0);
    const usedArgs = new Set<string>();
    const results = new Map<number, StageResult>();
    const cacheSources = await this.cacheSources(options.cacheFrom ?? []);
    const run = { step: 0, total, emit, options, df, buildArgs, metaArgs, usedArgs, context, cacheSources };
    for (const stage of needed) results.set(stage.index, await this.buildStage(stage, results, run));

    const unused = [...buildArgs.keys()].filter((k) => !usedArgs.has(k) && !metaArgs.has(k));
    if (unused.length) emit({ stream: `[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n` });

    const result = results.get(target.index)!;
    const image = result.image;
    if (options.labels && Object.keys(options.labels).length) {
      image.config.config = { ...image.config.config, Labels: { ...(image.config.config?.Labels ?? {}), ...options.labels } };
    }
    const tags = (options.tags ?? []).map((t) => normalizeReference(t));
    const written = await this.writeResult(image);
    for (const tag of tags) this.o.imageStore.put({ name: tag, target: written.target });
    if (tags.length === 0) {
      // An untagged build still needs a record so the image is listed and kept by the GC.
      this.o.imageStore.put({ name: `${'sha256'}:${written.config.slice(7)}`, target: written.target });
    }
    emit({ aux: { ID: written.config } });
    emit({ stream: `Successfully built ${written.config.slice(7, 19)}\n` });
    for (const t of options.tags ?? []) emit({ stream: `Successfully tagged ${t.includes(':') ? t : t + ':latest'}\n` });
    return { id: written.config, target: written.target, tags };
  }

  /**
   * Writes the built image, or reuses the one an earlier build produced from exactly the same
   * config and layers (timestamps aside), so an unchanged rebuild yields the same image ID.
   */
  private async writeResult(image: ImageState): Promise<{ target: Descriptor; config: Digest }> {
    const stripped = { ...image.config, created: undefined, history: image.config.history?.map((h) => ({ ...h, created: undefined })) };
    const key = `image:${sha256(JSON.stringify({ config: stripped, layers: image.layers, docker: image.docker }))}`;
    const previous = this.o.cache.get(key);
    if (previous && (await this.o.content.exists(previous.layer.digest as Digest)) && (await this.o.content.exists(previous.diffID))) {
      return { target: previous.layer, config: previous.diffID };
    }
    image.config.created = new Date().toISOString();
    const written = await writeImage(this.o.content, image.config, image.layers, { docker: image.docker });
    this.o.cache.put(key, { layer: written.target, diffID: written.config });
    return written;
  }

  private async readDockerfile(context: BuildContext, path: string): Promise<string> {
    const rel = cleanSource(path);
    try {
      return await readFile(await resolveInRoot(context.root, rel), 'utf8');
    } catch (err) {
      if (isNotFound(err)) throw notFound(`failed to read dockerfile: open ${rel}: no such file or directory`);
      throw wrap(err, 'failed to read dockerfile');
    }
  }

  /** The stages the target depends on, in build order (stages it does not need are skipped). */
  private neededStages(df: Dockerfile, target: Stage, metaArgs: Map<string, string>): Stage[] {
    const want = new Set<number>();
    const visit = (s: Stage) => {
      if (want.has(s.index)) return;
      want.add(s.index);
      const from = findStage(df, expandString(s.from.image, metaArgs, { escape: df.directives.escape }));
      if (from && from.index < s.index) visit(from);
      for (const ins of s.instructions) {
        let ref: string | undefined;
        if ((ins.kind === 'COPY' || ins.kind === 'ADD') && ins.from !== undefined) ref = ins.from;
        if (ins.kind === 'RUN') for (const m of ins.mounts) ref ??= parseMountSpec(m).from;
        if (ref === undefined) continue;
        const dep = findStage(df, ref);
        if (dep && dep.index < s.index) visit(dep);
        else if (dep && dep.index >= s.index) throw invalidArgument(`dockerfile line ${ins.line}: stage "${ref}" is not built before this stage`);
      }
    };
    visit(target);
    return df.stages.filter((s) => want.has(s.index));
  }

  private async buildStage(stage: Stage, results: Map<number, StageResult>, run: RunContext): Promise<StageResult> {
    const { df, emit } = run;
    const escape = df.directives.escape;
    run.step++;
    emit({ stream: `Step ${run.step}/${run.total} : ${stage.from.original}\n` });
    const fromName = expandString(stage.from.image, run.metaArgs, { escape });
    if (stage.from.platform !== undefined) {
      // Only the host's platform can run here (no emulation): say so instead of building wrong.
      const want = parsePlatform(expandString(stage.from.platform, run.metaArgs, { escape }));
      if (!matchPlatform(want, hostPlatform(), { allowCompat: true })) {
        throw invalidArgument(`dockerfile line ${stage.from.line}: FROM --platform=${formatPlatform(want)}: this builder builds for the host platform ${formatPlatform(hostPlatform())} only`);
      }
    }
    let current: StageResult;
    const earlier = findStage(df, fromName);
    if (earlier && earlier.index < stage.index && results.has(earlier.index)) {
      current = structuredClone(results.get(earlier.index)!);
    } else if (fromName.toLowerCase() === 'scratch') {
      const p = hostPlatform();
      current = {
        image: { config: { architecture: p.architecture, os: p.os, config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] }, layers: [], docker: true },
        chainID: undefined,
      };
    } else {
      current = await this.baseImage(fromName, run);
    }
    emit({ stream: ` ---> ${shortId(current)}\n` });

    const state: StageState = { config: current.image.config.config ?? {}, args: new Map(), cmdSet: false, escape };
    current.image.config.config = state.config;
    // Triggers of the base image run right after FROM, then are cleared.
    const triggers = state.config.OnBuild ?? [];
    state.config.OnBuild = null;
    const instructions: Instruction[] = [];
    for (const t of triggers) {
      emit({ stream: `# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n` });
      const parsed = parseDockerfile(t);
      for (const raw of parsed.instructions) instructions.push(toInstruction(raw, escape));
    }
    const onbuildCount = instructions.length;
    instructions.push(...stage.instructions);
    for (const [i, ins] of instructions.entries()) {
      if (i >= onbuildCount) {
        run.step++;
        emit({ stream: `Step ${run.step}/${run.total} : ${ins.original}\n` });
      }
      try {
        await this.step(ins, state, current, results, run);
      } catch (err) {
        throw wrap(err, `dockerfile line ${ins.line}: ${ins.kind}`);
      }
      emit({ stream: ` ---> ${shortId(current)}\n` });
    }
    return current;
  }

  private async baseImage(ref: string, run: RunContext): Promise<StageResult> {
    const { options } = run;
    if (options.pull && this.o.pull) await this.o.pull(ref, options.signal);
    let img;
    try {
      img = await this.o.images.resolve(ref);
    } catch (err) {
      if (!isNotFound(err) || !this.o.pull || options.pull) throw wrap(err, `FROM "${ref}"`);
      await this.o.pull(ref, options.signal);
      img = await this.o.images.resolve(ref);
    }
    await unpackImage(
      this.o.content,
      { config: img.configDescriptor as { digest: Digest; size: number }, layers: img.manifest.layers as { digest: Digest; size: number; mediaType: string }[] },
      this.o.snapshotter,
    );
    const docker = img.manifest.mediaType === MediaTypes.dockerManifest;
    return {
      image: { config: structuredClone(img.config), layers: [...img.manifest.layers], docker },
      chainID: img.chainIds.at(-1),
    };
  }

  private async step(ins: Instruction, state: StageState, current: StageResult, results: Map<number, StageResult>, run: RunContext): Promise<void> {
    switch (ins.kind) {
      case 'RUN':
        return this.runInstruction(ins, state, current, results, run);
      case 'COPY':
      case 'ADD':
        return this.copyInstruction(ins, state, current, results, run);
      case 'FROM':
        throw invalidArgument('FROM inside a stage');
      default: {
        const text = applyMetadata(state, ins, { buildArgs: run.buildArgs, metaArgs: run.metaArgs, usedArgs: run.usedArgs });
        current.image.config.history = [...(current.image.config.history ?? []), { created: new Date().toISOString(), created_by: text, comment: 'buildkit.dockerfile.v0', empty_layer: true }];
      }
    }
  }

  /** The cache key of a layer step: everything its result depends on. */
  private cacheKey(current: StageResult, state: StageState, text: string, extra: unknown): string {
    return sha256(JSON.stringify({ v: 1, parent: current.chainID ?? '', config: state.config, args: [...state.args], text, extra }));
  }

  /**
   * A layer step: reuse a cached layer, or prepare a snapshot on the current chain, mount it,
   * let `work` change the files, then turn the changes into a layer and commit the snapshot.
   */
  private async layerStep(
    current: StageResult,
    state: StageState,
    run: RunContext,
    key: string,
    createdBy: string,
    work: (rootfs: string, bundle: string) => Promise<void>,
  ): Promise<void> {
    const { emit, options } = run;
    const hit = options.noCache ? undefined : (this.o.cache.get(key) ?? this.fromCacheSources(current, createdBy, run.cacheSources));
    if (hit && (await this.o.content.exists(hit.layer.digest as Digest))) {
      emit({ stream: ' ---> Using cache\n' });
      this.appendLayer(current, hit.layer, hit.diffID, createdBy);
      await this.ensureUnpacked(current);
      return;
    }
    const snapKey = `build-${randomHex(12)}`;
    const bundle = join(this.o.workDir, snapKey);
    const rootfs = join(bundle, 'rootfs');
    let mounted = false;
    let committed = false;
    try {
      const mounts: Mount[] = await this.o.snapshotter.prepare(snapKey, current.chainID);
      await mkdir(rootfs, { recursive: true });
      mountAll(mounts, rootfs);
      mounted = true;
      if (state.config.WorkingDir) await ensureDir(rootfs, state.config.WorkingDir);
      await work(rootfs, bundle);
      unmount(rootfs);
      mounted = false;
      const upper = await this.o.snapshotter.layerDir(snapKey);
      const { diffID, written } = await writeDiffLayer(this.o.content, mounts, upper, options.signal);
      const layer: Descriptor = {
        mediaType: current.image.docker ? MediaTypes.dockerLayerGzip : MediaTypes.ociLayerGzip,
        digest: written.digest,
        size: written.size,
      };
      const newChain = chainId([...current.image.config.rootfs.diff_ids, diffID])!;
      try {
        await this.o.snapshotter.commit(newChain, snapKey);
        committed = true;
      } catch (err) {
        if (errorCode(err) !== 'already-exists') throw err;
      }
      this.o.cache.put(key, { layer, diffID });
      this.appendLayer(current, layer, diffID, createdBy);
    } finally {
      if (mounted) {
        try {
          unmount(rootfs, { lazy: true });
        } catch (err) {
          this.log.warn('build: unmount failed', { path: rootfs, err });
        }
      }
      if (!committed) await this.o.snapshotter.remove(snapKey).catch(() => {});
      await rm(bundle, { recursive: true, force: true }).catch(() => {});
    }
  }

  /** Resolves the --cache-from images (missing ones are skipped, as docker does). */
  private async cacheSources(refs: readonly string[]): Promise<CacheSource[]> {
    const out: CacheSource[] = [];
    for (const ref of refs) {
      try {
        const img = await this.o.images.resolve(ref);
        const layerHistory = (img.config.history ?? []).filter((h) => !h.empty_layer).map((h) => h.created_by ?? '');
        out.push({ diffIDs: img.config.rootfs.diff_ids as Digest[], layers: [...img.manifest.layers], layerHistory });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.log.debug('build: --cache-from image not found', { ref });
      }
    }
    return out;
  }

  /**
   * A layer from a --cache-from image whose layers so far are exactly ours and whose next layer
   * was made by the same instruction (COPY/ADD history lines carry their sources' checksum).
   */
  private fromCacheSources(current: StageResult, createdBy: string, sources: readonly CacheSource[]): { layer: Descriptor; diffID: Digest } | undefined {
    const ours = current.image.config.rootfs.diff_ids;
    const n = ours.length;
    for (const src of sources) {
      if (src.diffIDs.length <= n || src.layerHistory.length !== src.diffIDs.length) continue;
      if (!ours.every((d, i) => src.diffIDs[i] === d)) continue;
      if (src.layerHistory[n] !== createdBy) continue;
      return { layer: src.layers[n]!, diffID: src.diffIDs[n]! };
    }
    return undefined;
  }

  private appendLayer(current: StageResult, layer: Descriptor, diffID: Digest, createdBy: string): void {
    const cfg = current.image.config;
    cfg.rootfs = { type: 'layers', diff_ids: [...cfg.rootfs.diff_ids, diffID] };
    cfg.history = [...(cfg.history ?? []), { created: new Date().toISOString(), created_by: createdBy, comment: 'buildkit.dockerfile.v0' }];
    current.image.layers = [...current.image.layers, layer];
    current.chainID = chainId(cfg.rootfs.diff_ids);
  }

  /** Makes sure the current chain has a committed snapshot (after cache hits). */
  private async ensureUnpacked(current: StageResult): Promise<void> {
    if (!current.chainID) return;
    try {
      await this.o.snapshotter.stat(current.chainID);
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    // The unpacker reads diffIDs from a config blob: serve it this in-progress config.
    const configBlob = Buffer.from(JSON.stringify(current.image.config));
    const config = { digest: sha256(configBlob), size: configBlob.length };
    const content = this.o.content;
    const blobs: BlobReader = {
      readBlob: (d) => (d.digest === config.digest ? Promise.resolve(configBlob) : content.readBlob(d)),
      createReadStream: (d) => content.createReadStream(d),
    };
    await unpackImage(blobs, { config, layers: current.image.layers as { digest: Digest; size: number; mediaType: string }[] }, this.o.snapshotter);
  }

  private async runInstruction(ins: RunInstruction, state: StageState, current: StageResult, results: Map<number, StageResult>, run: RunContext): Promise<void> {
    const env = runEnv(state);
    if (!env.some((e) => e.startsWith('PATH='))) env.unshift(defaultPath);
    let args = commandArgv(ins.command, state.config);
    const files: { path: string; content: string }[] = [];
    if (ins.heredocs.length > 0 && ins.command.kind === 'shell') {
      // RUN <<EOF: the first heredoc is the script fed to the shell; others become files.
      const vars = expansionEnv(state);
      const docs = ins.heredocs.map((h) => (h.expand ? { ...h, content: expandHeredoc(h.content, vars) } : h));
      const first = docs[0]!;
      const script = `/dev/pipes/${first.name}`;
      files.push({ path: script, content: first.content });
      const cmd = ins.command.text.replace(/<<-?["']?[A-Za-z_][A-Za-z0-9_.-]*["']?/, '').trim();
      const shell = state.config.Shell ?? ['/bin/sh', '-c'];
      args = cmd === '' ? [shell[0]!, script] : [...shell, `${cmd} ${script}`];
    }
    const { mounts, keyParts, cleanup } = await this.runMounts(ins, state, results, run);
    try {
      await this.runWithMounts(ins, state, current, run, args, files, env, mounts, keyParts);
    } finally {
      await cleanup();
    }
  }

  private async runWithMounts(
    ins: RunInstruction,
    state: StageState,
    current: StageResult,
    run: RunContext,
    args: string[],
    files: { path: string; content: string }[],
    env: string[],
    mounts: OciMount[],
    keyParts: unknown[],
  ): Promise<void> {
    const argsInScope = [...state.args].filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
    const createdBy = `RUN ${argsInScope.length ? `|${argsInScope.length} ${argsInScope.join(' ')} ` : ''}${args.join(' ')}`;
    const network = (ins.network ?? run.options.networkMode ?? 'host') === 'none' ? 'none' : 'host';
    const key = this.cacheKey(current, state, ins.original, { args, files, mounts: keyParts, network });
    await this.layerStep(current, state, run, key, createdBy, async (rootfs, bundle) => {
      const extra: OciMount[] = [...mounts];
      if (files.length) {
        const dir = join(bundle, 'pipes');
        await mkdir(dir, { recursive: true });
        for (const f of files) await writeFile(join(dir, posix.basename(f.path)), f.content, { mode: 0o755 });
        extra.push({ destination: '/dev/pipes', type: 'bind', source: dir, options: ['rbind', 'ro'] });
      }
      const id = bundle.split('/').pop()!;
      run.emit({ stream: ` ---> Running in ${id.slice(6, 18)}\n` });
      const code = await runStep(this.o.runtime, {
        bundle,
        args,
        env,
        cwd: state.config.WorkingDir || '/',
        user: state.config.User ?? '',
        network,
        mounts: extra,
        onOutput: (chunk) => run.emit({ stream: chunk.toString('utf8') }),
        logger: this.log,
        ...(run.options.signal ? { signal: run.options.signal } : {}),
      });
      if (code !== 0) {
        throw berthError('failed-precondition', `The command '${args.join(' ')}' returned a non-zero code: ${code}`);
      }
      void rootfs;
    });
  }

  /** RUN --mount: cache (a persistent dir), bind (from the context or a stage), tmpfs. */
  private async runMounts(
    ins: RunInstruction,
    state: StageState,
    results: Map<number, StageResult>,
    run: RunContext,
  ): Promise<{ mounts: OciMount[]; keyParts: unknown[]; cleanup: () => Promise<void> }> {
    const out: OciMount[] = [];
    const keyParts: unknown[] = [];
    const views: { key: string; dir: string }[] = [];
    const cleanup = async () => {
      for (const v of views) {
        try {
          unmount(v.dir, { lazy: true });
        } catch {
          // not mounted
        }
        await this.o.snapshotter.remove(v.key).catch(() => {});
        await rm(v.dir, { recursive: true, force: true }).catch(() => {});
      }
    };
    try {
      await this.collectMounts(ins, state, results, run, out, keyParts, views);
    } catch (err) {
      await cleanup();
      throw err;
    }
    return { mounts: out, keyParts, cleanup };
  }

  private async collectMounts(
    ins: RunInstruction,
    state: StageState,
    results: Map<number, StageResult>,
    run: RunContext,
    out: OciMount[],
    keyParts: unknown[],
    views: { key: string; dir: string }[],
  ): Promise<void> {
    for (const spec of ins.mounts) {
      const m = parseMountSpec(expandString(spec, expansionEnv(state), { escape: state.escape }));
      if (!m.target) throw invalidArgument(`--mount: target is required: "${spec}"`);
      const target = posix.resolve(state.config.WorkingDir || '/', m.target);
      if (m.type === 'cache') {
        const id = m.id ?? target;
        const dir = join(this.o.workDir, '..', 'build-cache-mounts', createHash('sha256').update(id).digest('hex').slice(0, 32));
        await mkdir(dir, { recursive: true });
        out.push({ destination: target, type: 'bind', source: dir, options: ['rbind', 'rw'] });
        keyParts.push({ target, cache: id });
      } else if (m.type === 'bind') {
        let sourceRoot = run.context.root;
        if (m.from !== undefined) {
          // An earlier stage (or an image): a read-only view of its top layer, mounted for the step.
          const dep = findStage(run.df, m.from);
          if (dep && !results.has(dep.index)) throw invalidArgument(`--mount from="${m.from}": only earlier stages can be mounted`);
          const src = dep ? results.get(dep.index)! : await this.baseImage(m.from, run);
          const view = { key: `build-view-${randomHex(8)}`, dir: await mkdtemp(join(this.o.workDir, 'mount-')) };
          views.push(view);
          if (src.chainID) mountAll(await this.o.snapshotter.view(view.key, src.chainID), view.dir);
          sourceRoot = view.dir;
          keyParts.push({ target, from: src.chainID ?? 'scratch', source: m.source ?? '/' });
        } else {
          keyParts.push({ target, context: await run.context.checksum([cleanSource(m.source ?? '.')]) });
        }
        const source = m.source === undefined ? sourceRoot : await resolveInRoot(sourceRoot, cleanSource(m.source));
        out.push({ destination: target, type: 'bind', source, options: ['rbind', m.rw ? 'rw' : 'ro'] });
      } else if (m.type === 'tmpfs') {
        out.push({ destination: target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] });
        keyParts.push({ target, tmpfs: true });
      } else {
        throw invalidArgument(`--mount type="${m.type}" is not supported (cache, bind and tmpfs are)`);
      }
    }
  }

  private async copyInstruction(ins: CopyInstruction, state: StageState, current: StageResult, results: Map<number, StageResult>, run: RunContext): Promise<void> {
    const vars = expansionEnv(state);
    const x = { escape: state.escape };
    const expand = (w: string) => (ins.jsonForm ? [expandString(w, vars, x)] : expandWords(w, vars, x));
    const sources = ins.sources.flatMap(expand);
    const destRaw = expand(ins.dest).join(' ');
    const dest = posix.resolve(state.config.WorkingDir || '/', destRaw);
    const destIsDir = destRaw.endsWith('/') || sources.length + ins.heredocs.length > 1 || /[*?[]/.test(sources.join(''));
    const chmod = parseChmod(ins.chmod);

    // Where the sources come from: the context, an earlier stage, or another image.
    let sourceRoot = run.context.root;
    let sourcePaths: string[];
    let sourceKey: unknown;
    let viewKey: string | undefined;
    let viewDir: string | undefined;
    const urls = ins.kind === 'ADD' ? sources.filter((s) => /^https?:\/\//.test(s)) : [];
    const local = sources.filter((s) => !urls.includes(s));
    try {
      if (ins.from !== undefined) {
        const fromRef = expandString(ins.from, vars, x);
        const dep = findStage(run.df, fromRef);
        const src = dep ? results.get(dep.index) : await this.baseImage(fromRef, run);
        if (!src) throw invalidArgument(`COPY --from="${fromRef}": stage not built`);
        viewKey = `build-view-${randomHex(8)}`;
        viewDir = await mkdtemp(join(this.o.workDir, 'view-'));
        if (src.chainID) mountAll(await this.o.snapshotter.view(viewKey, src.chainID), viewDir);
        else viewKey = undefined;
        sourceRoot = viewDir;
        sourcePaths = [];
        for (const s of local) sourcePaths.push(...(await globInRoot(viewDir, s)));
        sourceKey = { from: src.chainID ?? 'scratch', paths: sourcePaths };
      } else {
        sourcePaths = await run.context.resolve(local);
        sourceKey = { sum: await run.context.checksum(sourcePaths) };
      }
      const downloads: { url: string; file: string; name: string; digest: string }[] = [];
      let tmpDir: string | undefined;
      if (urls.length) {
        tmpDir = await mkdtemp(join(this.o.workDir, 'add-'));
        for (const url of urls) downloads.push(await download(url, tmpDir, ins.checksum));
      }
      const docs = ins.heredocs.map((h) => ({ name: h.name, content: h.expand ? expandHeredoc(h.content, vars) : h.content }));
      const key = this.cacheKey(current, state, ins.original, { sourceKey, dest, downloads: downloads.map((d) => d.digest), docs, chmod, chown: ins.chown });
      const createdBy = `${ins.kind} ${[...sources, ...docs.map((d) => `<<${d.name}`)].join(' ')} ${dest} # ${sha256(JSON.stringify({ sourceKey, downloads: downloads.map((d) => d.digest), docs, chmod, chown: ins.chown })).slice(7, 19)}`;
      try {
        await this.layerStep(current, state, run, key, createdBy, async (rootfs) => {
          const attrs: CopyAttrs = { uid: 0, gid: 0, mode: chmod };
          if (ins.chown !== undefined) {
            const u = await resolveUser(rootfs, expandString(ins.chown, vars, x));
            attrs.uid = u.uid;
            attrs.gid = u.gid;
          }
          for (const rel of sourcePaths) {
            const host = rel === '.' ? sourceRoot : await resolveInRoot(sourceRoot, rel);
            if (ins.kind === 'ADD' && ins.from === undefined && (await isArchive(host))) {
              const target = await ensureDir(rootfs, dest, attrs);
              const { createReadStream } = await import('node:fs');
              await applyLayer(createReadStream(host), target, { whiteouts: 'flat' });
              continue;
            }
            await copyInto(rootfs, host, dest, destIsDir, attrs);
          }
          for (const d of downloads) {
            const target = destIsDir || destRaw.endsWith('/') ? posix.join(dest, d.name) : dest;
            await copyInto(rootfs, d.file, target, false, { ...attrs, mode: attrs.mode ?? 0o600 });
          }
          for (const d of docs) {
            await writeInto(rootfs, destIsDir || docs.length > 1 ? posix.join(dest, d.name) : dest, d.content, attrs);
          }
        });
      } finally {
        if (tmpDir) await rm(tmpDir, { recursive: true, force: true });
      }
    } finally {
      if (viewDir) {
        if (viewKey) {
          try {
            unmount(viewDir, { lazy: true });
          } catch {
            // not mounted
          }
          await this.o.snapshotter.remove(viewKey).catch(() => {});
        }
        await rm(viewDir, { recursive: true, force: true }).catch(() => {});
      }
    }
  }
}

interface RunContext {
  step: number;
  total: number;
  emit: (e: BuildEvent) => void;
  options: BuildOptions;
  df: Dockerfile;
  buildArgs: Map<string, string>;
  metaArgs: Map<string, string>;
  usedArgs: Set<string>;
  context: BuildContext;
  cacheSources: CacheSource[];
}

/** An image named by --cache-from: its layers and the history line of each. */
interface CacheSource {
  diffIDs: Digest[];
  layers: Descriptor[];
  /** created_by of the history entries that made a layer, in layer order. */
  layerHistory: string[];
}

function shortId(r: StageResult): string {
  return createHash('sha256').update(JSON.stringify(r.image.config)).digest('hex').slice(0, 12);
}

/** RUN --mount=type=...,target=...,... into its fields. */
export function parseMountSpec(spec: string): { type: string; target?: string; source?: string; from?: string; id?: string; rw: boolean } {
  const out: { type: string; target?: string; source?: string; from?: string; id?: string; rw: boolean } = { type: 'bind', rw: false };
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    const k = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const v = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (k === 'type') out.type = v;
    else if (k === 'target' || k === 'dst' || k === 'destination') out.target = v;
    else if (k === 'source' || k === 'src') out.source = v;
    else if (k === 'from') out.from = v;
    else if (k === 'id') out.id = v;
    else if (k === 'rw' || k === 'readwrite') out.rw = v !== 'false';
    else if (k === 'ro' || k === 'readonly') out.rw = v === 'false';
    else if (['sharing', 'mode', 'uid', 'gid', 'required', 'size'].includes(k)) continue;
    else throw invalidArgument(`--mount: unknown option "${k}"`);
  }
  return out;
}

/** Expands $VAR in an unquoted heredoc body (quotes in the body are kept as text). */
function expandHeredoc(body: string, vars: Map<string, string>): string {
  return body.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, a: string | undefined, b: string | undefined) => vars.get((a ?? b)!) ?? '');
}

/** Matches a source pattern (wildcards in the last component) inside a mounted root. */
async function globInRoot(root: string, pattern: string): Promise<string[]> {
  const clean = cleanSource(pattern);
  if (!/[*?[]/.test(clean)) {
    const host = await resolveInRoot(root, clean);
    if (!(await lstat(host).catch(() => undefined))) throw notFound(`COPY --from: "/${clean}": not found`);
    return [clean];
  }
  const dir = posix.dirname(clean);
  const base = posix.basename(clean);
  if (/[*?[]/.test(dir)) throw invalidArgument(`COPY --from: wildcards are supported in the last path component only: "${pattern}"`);
  const { readdir } = await import('node:fs/promises');
  const re = new RegExp('^' + base.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  const names = (await readdir(await resolveInRoot(root, dir)).catch(() => [] as string[])).filter((n) => re.test(n)).sort();
  if (names.length === 0) throw notFound(`COPY --from: no source files were specified for "${pattern}"`);
  return names.map((n) => (dir === '.' ? n : `${dir}/${n}`));
}

/** Whether a local ADD source is an archive ADD should extract (tar, gzip'd or zstd'd tar). */
async function isArchive(path: string): Promise<boolean> {
  const st = await lstat(path);
  if (!st.isFile() || st.size < 4) return false;
  const { open } = await import('node:fs/promises');
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, 512, 0);
    if (buf[0] === 0x1f && buf[1] === 0x8b) return true;
    if (buf.readUInt32LE(0) === 0xfd2fb528) return true;
    return bytesRead >= 262 && buf.subarray(257, 262).toString('latin1') === 'ustar';
  } finally {
    await fh.close();
  }
}

/** ADD <url>: downloads into dir, checking --checksum when given. */
async function download(url: string, dir: string, checksum: string | undefined): Promise<{ url: string; file: string; name: string; digest: string }> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (err) {
    throw berthError('unavailable', `ADD "${url}": ${(err as Error).message}`);
  }
  if (!res.ok || !res.body) throw berthError('unavailable', `ADD "${url}": ${res.status} ${res.statusText}`);
  const name = posix.basename(new URL(url).pathname) || 'index.html';
  const file = join(dir, `${randomHex(6)}-${name}`);
  const h = createHash('sha256');
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (c: Buffer) => h.update(c));
  await pipeline(body, createWriteStream(file, { mode: 0o600 }));
  const digest = `sha256:${h.digest('hex')}`;
  if (checksum !== undefined && checksum !== digest) throw invalidArgument(`ADD "${url}": checksum mismatch: expected ${checksum}, got ${digest}`);
  return { url, file, name, digest };
}
