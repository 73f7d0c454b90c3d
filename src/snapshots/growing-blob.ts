import type { BlobReaderAt } from './decompress.ts';

/**
 * A blob still being downloaded into a file: how many of its bytes are on disk, and when it is
 * whole and verified. Extraction reads it as it grows; nothing extracted from it is committed
 * before `verified` resolves.
 */
export interface GrowingBlob {
  /** Bytes written so far. */
  available(): number;
  /** Calls `fn` whenever more bytes are written or the blob is settled; returns the unsubscribe. */
  watch(fn: () => void): () => void;
  /**
   * Resolves once every byte is in and the digest checked. Rejects when the download failed,
   * or restarted from zero (bytes already read may have changed: read the committed blob instead).
   */
  readonly verified: Promise<void>;
}

/** A blob reader whose bytes may still be arriving. */
export interface GrowingReaderAt extends BlobReaderAt {
  readonly growing: GrowingBlob;
}

/** The state a growing reader follows: bytes available, and how the blob ended. */
export interface GrowthState {
  available: number;
  /** The blob is whole (every byte up to `size` is readable). */
  complete: boolean;
  /** The download failed or restarted: reads fail with this. */
  failed?: Error;
}

/**
 * Random access over a file still being written: reads at or past the bytes available wait for
 * more (`changed` is called on every update of `state`), and never return bytes past what is
 * available. `read` is the plain positional read of the file.
 */
export function growingReaderAt(
  size: number,
  state: GrowthState,
  read: (buffer: Uint8Array, length: number, position: number) => Promise<number>,
  close: () => Promise<void>,
): BlobReaderAt & { changed(): void } {
  let wake: (() => void) | undefined;
  return {
    size,
    changed() {
      const w = wake;
      wake = undefined;
      w?.();
    },
    async readAt(buffer, position) {
      for (;;) {
        if (state.failed) throw state.failed;
        if (state.complete || position < state.available) break;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      const end = state.complete ? size : state.available;
      const length = Math.min(buffer.length, end - position);
      return length > 0 ? read(buffer, length, position) : 0;
    },
    close,
  };
}

/**
 * A GrowingReaderAt over `base`, a reader of the file being written (reads past its own size
 * allowed), following `growing` until the blob settles. `base` is closed with it.
 */
export function followGrowingBlob(base: BlobReaderAt, size: number, growing: GrowingBlob): GrowingReaderAt {
  const state: GrowthState = { available: growing.available(), complete: false };
  const reader = growingReaderAt(size, state, (buffer, length, position) => base.readAt(buffer.subarray(0, length), position), () => base.close());
  const unwatch = growing.watch(() => {
    state.available = growing.available();
    reader.changed();
  });
  growing.verified
    .then(
      () => {
        state.complete = true;
      },
      (err: unknown) => {
        state.failed = err instanceof Error ? err : new Error(String(err));
      },
    )
    .finally(() => {
      unwatch();
      reader.changed();
    });
  return { ...reader, ...(base.fd !== undefined ? { fd: base.fd } : {}), growing };
}
