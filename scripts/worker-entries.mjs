// Worker-thread entry points, bundled next to berthd's chunks (dist/<name>.js) by the build and
// by the tests' berthd bundle: the code that starts a worker loads it from beside itself.
export const workerEntries = { 'layer-worker': 'src/snapshots/layer-worker-main.ts' };
