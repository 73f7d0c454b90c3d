import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';
import { nullLogger, wrap } from '../lib/index.ts';
import type { Logger } from '../lib/index.ts';
import { ipToInt } from './cidr.ts';

/** DNS record types and codes used here (RFC 1035, 3596). */
const TYPE_A = 1;
const TYPE_ANY = 255;
const CLASS_IN = 1;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;
const RCODE_NOTIMP = 4;

export interface DnsQuestion {
  id: number;
  flags: number;
  /** Lower-case, without the trailing dot. */
  name: string;
  type: number;
  qclass: number;
  /** The raw question section, echoed in the answer. */
  questionBytes: Buffer;
}

/** Parses a query's header and first question; undefined for anything that is not a plain query. */
export function parseDnsQuery(msg: Buffer): DnsQuestion | undefined {
  if (msg.length < 12) return undefined;
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000 || msg.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let off = 12;
  for (;;) {
    const len = msg[off];
    if (len === undefined || (len & 0xc0) !== 0) return undefined;
    off++;
    if (len === 0) break;
    if (off + len > msg.length) return undefined;
    labels.push(msg.toString('latin1', off, off + len));
    off += len;
  }
  if (off + 4 > msg.length) return undefined;
  const type = msg.readUInt16BE(off);
  const qclass = msg.readUInt16BE(off + 2);
  return { id, flags, name: labels.join('.').toLowerCase(), type, qclass, questionBytes: msg.subarray(12, off + 4) };
}

/** Builds a response to `q` with A records for `addresses` (all IPv4) and the given rcode. */
export function buildDnsResponse(q: DnsQuestion, addresses: readonly string[], options: { rcode?: number; ttl?: number } = {}): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  const opcode = q.flags & 0x7800;
  const rd = q.flags & 0x0100;
  header.writeUInt16BE(0x8000 | opcode | 0x0400 | rd | 0x0080 | (options.rcode ?? 0), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const answers = addresses.map((ip) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(TYPE_A, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(options.ttl ?? 600, 6);
    rr.writeUInt16BE(4, 10);
    rr.writeUInt32BE(ipToInt(ip), 12);
    return rr;
  });
  return Buffer.concat([header, q.questionBytes, ...answers]);
}

export interface DnsServerOptions {
  /**
   * The addresses of a name on this network (container name, alias, "name.network"), or
   * undefined when the name is not the network's: the query then goes upstream.
   */
  lookup(name: string): readonly string[] | undefined;
  /** Upstream servers, "ip" or "ip:port" (port 53 by default). */
  upstream: readonly string[];
  /** How long to wait for each upstream server (ms, default 2000). */
  upstreamTimeoutMs?: number;
  logger?: Logger;
}

/**
 * Berth's DNS server for a user-defined network (docker's embedded DNS): it answers A queries
 * for the network's container names and aliases, and forwards everything else to the host's
 * resolvers, over UDP. One server listens on each network's gateway address, so a container
 * resolves the names of its own networks only.
 */
export class DnsServer {
  private socket: Socket | undefined;
  private readonly logger: Logger;

  constructor(private readonly options: DnsServerOptions) {
    this.logger = options.logger ?? nullLogger;
  }

  /** Binds UDP `address:port` (port 0 picks one); returns the bound port. */
  listen(address: string, port = 53): Promise<number> {
    return new Promise((resolve, reject) => {
      const sock = createSocket({ type: 'udp4', reuseAddr: false });
      sock.once('error', (err) => reject(wrap(err, `dns: listen on ${address}:${port}`)));
      sock.on('message', (msg, rinfo) => {
        this.handle(msg, rinfo).catch((err: unknown) => this.logger.warn('dns query failed', { error: err }));
      });
      sock.bind(port, address, () => {
        sock.removeAllListeners('error');
        sock.on('error', (err) => this.logger.warn('dns socket error', { error: err }));
        this.socket = sock;
        resolve(sock.address().port);
      });
    });
  }

  close(): Promise<void> {
    const sock = this.socket;
    this.socket = undefined;
    return new Promise((resolve) => (sock ? sock.close(() => resolve()) : resolve()));
  }

  private reply(msg: Buffer, rinfo: RemoteInfo): void {
    this.socket?.send(msg, rinfo.port, rinfo.address);
  }

  private async handle(msg: Buffer, rinfo: RemoteInfo): Promise<void> {
    const q = parseDnsQuery(msg);
    if (!q) {
      if (msg.length >= 12) {
        const notimp = Buffer.from(msg.subarray(0, 12));
        notimp.writeUInt16BE(0x8000 | (msg.readUInt16BE(2) & 0x7900) | RCODE_NOTIMP, 2);
        notimp.fill(0, 4, 12);
        this.reply(notimp, rinfo);
      }
      return;
    }
    const local = q.qclass === CLASS_IN ? this.options.lookup(q.name.replace(/\.$/, '')) : undefined;
    if (local !== undefined) {
      const wantA = q.type === TYPE_A || q.type === TYPE_ANY;
      // a known name without IPv6 answers AAAA with no records (NOERROR), as docker does
      this.reply(buildDnsResponse(q, wantA ? local : []), rinfo);
      return;
    }
    const answer = await this.forward(msg);
    this.reply(answer ?? buildDnsResponse(q, [], { rcode: this.options.upstream.length === 0 ? RCODE_NXDOMAIN : RCODE_SERVFAIL }), rinfo);
  }

  /** Sends the query to each upstream server in turn; the first answer with the same id wins. */
  private async forward(msg: Buffer): Promise<Buffer | undefined> {
    const id = msg.readUInt16BE(0);
    for (const server of this.options.upstream) {
      const [host = server, portText] = server.includes(':') && !server.includes('::') ? server.split(':') : [server];
      const port = portText ? Number(portText) : 53;
      const answer = await new Promise<Buffer | undefined>((resolve) => {
        const sock = createSocket('udp4');
        const done = (r: Buffer | undefined) => {
          clearTimeout(timer);
          sock.close();
          resolve(r);
        };
        const timer = setTimeout(() => done(undefined), this.options.upstreamTimeoutMs ?? 2000);
        sock.on('error', () => done(undefined));
        sock.on('message', (m) => {
          if (m.length >= 12 && m.readUInt16BE(0) === id) done(m);
        });
        sock.send(msg, port, host, (err) => {
          if (err) done(undefined);
        });
      });
      if (answer) return answer;
      this.logger.debug('dns upstream did not answer', { server });
    }
    return undefined;
  }
}
