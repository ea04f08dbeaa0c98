// tcp://host:port — the fwsec envelope over a TCP connection (fwsec serve, a
// board agent reached over Ethernet, a QEMU chardev carrying envelopes).
import { connect, type Socket } from 'node:net';
import { EnvelopeLink, envelopeTransport, type ByteStream } from './link.js';
import { TransportError, type Transport, type TransportEnv } from './types.js';

export function socketStream(sock: Socket): ByteStream {
  let closed = false;
  const closeCbs: ((err?: Error) => void)[] = [];
  let lastErr: Error | undefined;
  sock.on('error', (e) => {
    lastErr = e;
  });
  sock.on('close', () => {
    if (closed) return;
    closed = true;
    for (const cb of closeCbs) cb(lastErr);
  });
  return {
    write: (b) => {
      if (!closed) sock.write(b);
    },
    onData: (cb) => sock.on('data', (d: Buffer) => cb(new Uint8Array(d.buffer, d.byteOffset, d.byteLength))),
    onClose: (cb) => closeCbs.push(cb),
    destroy: () => sock.destroy(),
  };
}

export function parseHostPort(uri: URL): { host: string; port: number } {
  const port = Number(uri.port);
  if (!uri.hostname || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new TransportError('connect', `${uri.href}: expected ${uri.protocol}//HOST:PORT`);
  }
  // URL keeps IPv6 literals in brackets
  return { host: uri.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

export function openSocket(host: string, port: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const sock = connect({ host, port });
    sock.setNoDelay(true);
    const fail = (e: Error) => {
      sock.destroy();
      reject(e);
    };
    sock.once('error', fail);
    sock.once('connect', () => {
      sock.off('error', fail);
      resolve(sock);
    });
  });
}

export async function openTcp(uri: URL, env: TransportEnv): Promise<Transport> {
  const { host, port } = parseHostPort(uri);
  const maxBody = Number(uri.searchParams.get('maxBody') ?? '') || undefined;
  const link = new EnvelopeLink(uri.href, async () => socketStream(await openSocket(host, port)), {
    maxBody,
    log: env.log,
  });
  return envelopeTransport(uri.href, link, env);
}
