import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { unavailable, wrap } from '../lib/index.ts';

/**
 * A free host port for `-P` or `-p <container port>` without a host port: the kernel picks one
 * by binding port 0 (on `hostIp`, default every address), and it is released at once for the
 * DNAT rule to use. Another program may take it in between, as with docker's allocator.
 */
export function allocateHostPort(proto: 'tcp' | 'udp', hostIp = '0.0.0.0'): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => reject(wrap(err, `allocate a host port (${proto} on ${hostIp})`));
    if (proto === 'udp') {
      const sock = createSocket('udp4');
      sock.once('error', fail);
      sock.bind(0, hostIp, () => {
        const { port } = sock.address();
        sock.close(() => resolve(port));
      });
      return;
    }
    const server = createServer();
    server.once('error', fail);
    server.listen(0, hostIp, () => {
      const addr = server.address();
      server.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(unavailable('allocate a host port: no address'))));
    });
  });
}

/** True when nothing listens on `port` (tcp) at `hostIp`, so a published port will not be shadowed. */
export function isHostPortFree(port: number, hostIp = '0.0.0.0'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, hostIp, () => server.close(() => resolve(true)));
  });
}
