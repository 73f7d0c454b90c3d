import type { Duplex } from 'node:stream';
import type { ExecCreateRequest, ExecInspect, ExecStartRequest } from '../../types/index.ts';
import type { Router } from '../router.ts';

/** The exec port the daemon implements. */
export interface ExecBackend {
  create(container: string, request: ExecCreateRequest): Promise<{ Id: string }>;
  inspect(id: string): Promise<ExecInspect>;
  resize(id: string, height: number, width: number): Promise<void>;
  /** Checks the exec can start; returns whether it has a TTY. */
  prepareStart(id: string, request: ExecStartRequest): Promise<{ tty: boolean }>;
  /**
   * Runs the exec. With `conn` (attached) the backend serves stdio over it and ends it when the
   * process exits; detached (no conn) it returns once the process started.
   */
  start(id: string, request: ExecStartRequest, conn: Duplex | undefined): Promise<void>;
}

/** `POST /containers/{id}/exec`, `/exec/{id}/start|resize|json`. */
export function registerExecRoutes(router: Router, backend: ExecBackend): void {
  router.post('/containers/:id/exec', async (ctx) => {
    ctx.json(await backend.create(ctx.param('id'), (await ctx.requireBody<ExecCreateRequest>()) ?? {}), 201);
  });
  router.post('/exec/:id/start', async (ctx) => {
    const id = ctx.param('id');
    const body = (await ctx.body<ExecStartRequest>()) ?? {};
    const { tty } = await backend.prepareStart(id, body);
    if (body.Detach) {
      await backend.start(id, body, undefined);
      ctx.status(200);
      return;
    }
    const conn = ctx.hijack(tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    await backend.start(id, body, conn);
  });
  router.post('/exec/:id/resize', async (ctx) => {
    await backend.resize(ctx.param('id'), ctx.int('h', 0), ctx.int('w', 0));
    ctx.status(200);
  });
  router.get('/exec/:id/json', async (ctx) => ctx.json(await backend.inspect(ctx.param('id'))));
}
