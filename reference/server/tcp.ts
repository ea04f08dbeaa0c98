// TCP listener for the envelope server. Binds loopback unless the URI names
// another address.
import { createServer, type Server, type Socket } from 'node:net';
import { serveStream, type FrameHandler } from './envelope.js';

export interface Listening {
  uri: string;
  port: number;
  close(): Promise<void>;
}

export function parseListen(text: string, scheme = 'tcp'): { host: string; port: number } {
  const m = new RegExp(`^${scheme}://(\\[[^\\]]+\\]|[^:/]+)?:(\\d+)/?$`).exec(text);
  if (!m) throw new Error(`--listen expects ${scheme}://HOST:PORT (HOST defaults to 127.0.0.1), got ${JSON.stringify(text)}`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`port ${port} out of range`);
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1'), port };
}

export function listenTcp(
  target: FrameHandler,
  host: string,
  port: number,
  opts: { maxBody: number; log?: (line: string) => void },
): Promise<Listening> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.setNoDelay(true);
    const peer = `${sock.remoteAddress}:${sock.remotePort}`;
    opts.log?.(`connection from ${peer}`);
    const feed = serveStream(target, (b) => sock.write(b), { maxBody: opts.maxBody, log: (l) => opts.log?.(`${peer}: ${l}`) });
    sock.on('data', (d: Buffer) => feed(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
    sock.on('error', (e) => opts.log?.(`${peer}: ${e.message}`));
    sock.on('close', () => sockets.delete(sock));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      const addr = server.address();
      const actual = typeof addr === 'object' && addr ? addr.port : port;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        uri: `tcp://${shown}:${actual}`,
        port: actual,
        close: () =>
          new Promise<void>((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}
