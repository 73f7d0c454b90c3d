import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import type { Readable } from 'node:stream';
import { invalidArgument, notFound, writeFileAtomic, errorCode, syncDir, wrap } from '../../../lib/index.ts';
import type { FileInfo, FileWriter, StorageDriver } from './driver.ts';

/** A StorageDriver over a local directory; every driver path lives under `root`. */
export class FilesystemDriver implements StorageDriver {
  readonly name = 'filesystem';
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  private full(path: string): string {
    const clean = normalize('/' + path);
    if (clean.includes('/../') || clean.endsWith('/..')) throw invalidArgument(`invalid storage path ${JSON.stringify(path)}`);
    return join(this.root, clean);
  }

  async getContent(path: string): Promise<Buffer> {
    try {
      return await readFile(this.full(path));
    } catch (err) {
      throw mapErr(err, path);
    }
  }

  async putContent(path: string, data: string | Uint8Array): Promise<void> {
    await writeFileAtomic(this.full(path), data);
  }

  async stat(path: string): Promise<FileInfo> {
    try {
      const s = await stat(this.full(path));
      return { path, size: s.size, isDir: s.isDirectory(), modTime: s.mtime };
    } catch (err) {
      throw mapErr(err, path);
    }
  }

  async list(path: string): Promise<string[]> {
    try {
      return (await readdir(this.full(path))).sort();
    } catch (err) {
      throw mapErr(err, path);
    }
  }

  async delete(path: string): Promise<void> {
    const full = this.full(path);
    try {
      await stat(full);
    } catch (err) {
      throw mapErr(err, path);
    }
    await rm(full, { recursive: true, force: true });
  }

  /** Durable: the file's data is fsynced before the rename, and the directory after it. */
  async move(src: string, dst: string): Promise<void> {
    const from = this.full(src);
    const to = this.full(dst);
    await mkdir(dirname(to), { recursive: true });
    try {
      const fh = await open(from, 'r');
      try {
        if ((await fh.stat()).isFile()) await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(from, to);
    } catch (err) {
      throw mapErr(err, src);
    }
    await syncDir(dirname(to));
  }

  async reader(path: string, offset = 0, end?: number): Promise<Readable> {
    const full = this.full(path);
    try {
      await stat(full);
    } catch (err) {
      throw mapErr(err, path);
    }
    return createReadStream(full, { start: offset, ...(end === undefined ? {} : { end }), highWaterMark: 1 << 20 });
  }

  async writer(path: string, options: { append?: boolean } = {}): Promise<FileWriter> {
    const full = this.full(path);
    await mkdir(dirname(full), { recursive: true });
    const fh = await open(full, options.append ? 'a' : 'w');
    const size = options.append ? (await fh.stat()).size : 0;
    return new FsWriter(fh, full, size);
  }

  async walk(path: string, visit: (info: FileInfo) => Promise<void> | void): Promise<void> {
    let names: string[];
    try {
      names = await this.list(path);
    } catch (err) {
      if (errorCode(err) === 'not-found') return;
      throw err;
    }
    for (const name of names) {
      const p = `${path.replace(/\/$/, '')}/${name}`;
      let info: FileInfo;
      try {
        info = await this.stat(p);
      } catch (err) {
        if (errorCode(err) === 'not-found') continue;
        throw err;
      }
      if (info.isDir) await this.walk(p, visit);
      else await visit(info);
    }
  }
}

/** Bytes gathered before one write to the file (request bodies arrive in small chunks). */
const flushBytes = 1 << 20;

class FsWriter implements FileWriter {
  size: number;
  private closed = false;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly path: string,
    size: number,
  ) {
    this.size = size;
  }

  /** The write in flight, so receiving the next batch overlaps writing this one. */
  private inflight: Promise<void> | undefined;

  async write(chunk: Uint8Array): Promise<void> {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.size += chunk.length;
    if (this.pendingBytes >= flushBytes) {
      await this.settle(); // at most one write in flight, in order
      const p = this.writeOut(this.take());
      p.catch(() => undefined);
      this.inflight = p;
    }
  }

  /** Waits for the write in flight (rethrowing its error). */
  private async settle(): Promise<void> {
    const p = this.inflight;
    this.inflight = undefined;
    if (p) await p;
  }

  private take(): Uint8Array[] {
    const bufs = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    return bufs;
  }

  private async flush(): Promise<void> {
    await this.settle();
    if (this.pendingBytes > 0) await this.writeOut(this.take());
  }

  /** One writev for the gathered chunks (no copy), looping on a short write. */
  private async writeOut(bufs: Uint8Array[]): Promise<void> {
    let left = bufs.reduce((n, b) => n + b.length, 0);
    while (left > 0) {
      const { bytesWritten } = await this.fh.writev(bufs);
      left -= bytesWritten;
      if (left === 0) break;
      let skip = bytesWritten;
      const rest: Uint8Array[] = [];
      for (const b of bufs) {
        if (skip >= b.length) skip -= b.length;
        else {
          rest.push(skip > 0 ? b.subarray(skip) : b);
          skip = 0;
        }
      }
      bufs = rest;
    }
  }

  async commit(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    await this.fh.sync();
    await this.close();
  }

  async cancel(): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    await this.settle().catch(() => undefined);
    await this.close();
    await rm(this.path, { force: true });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.fh.close();
    }
  }
}

function mapErr(err: unknown, path: string): Error {
  if (errorCode(err) === 'not-found') return notFound(`path ${JSON.stringify(path)} not found`, err);
  return wrap(err, `storage ${JSON.stringify(path)}`);
}
