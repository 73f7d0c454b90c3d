/** One-shot listeners keyed by container id: exit and removal notifications for `wait`. */
export class Waiters<T> {
  readonly #map = new Map<string, Set<(v: T) => void>>();

  /** A promise settled by the next notify(id); cancel with the signal. */
  next(id: string, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let set = this.#map.get(id);
      if (!set) this.#map.set(id, (set = new Set()));
      const fn = (v: T) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const onAbort = () => {
        set!.delete(fn);
        reject(signal!.reason);
      };
      set.add(fn);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  notify(id: string, v: T): void {
    const set = this.#map.get(id);
    if (!set) return;
    this.#map.delete(id);
    for (const fn of set) fn(v);
  }
}
