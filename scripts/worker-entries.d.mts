/** See worker-entries.mjs. */
export declare const workerEntries: Readonly<Record<string, string>>;
