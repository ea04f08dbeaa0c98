// telnet://: the IAC layer against fact vectors and properties, the opening
// negotiation of a real QEMU 7.2 chardev (qemu-storage-daemon from Debian's
// qemu-system-common, same chardev/char-socket.c as qemu-system-*), and end
// to end through a real ser2net 4 in front of a pty served by fwsec.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../../clients/control.js';
import { fromHex, hex, utf8, fromUtf8 } from '../../protocol/bytes.js';
import { ReferenceStack } from '../../reference/stack.js';
import { serveSerial } from '../../reference/server/serial.js';
import { openTransport } from '../../transports/index.js';
import { socketStream, openSocket } from '../../transports/tcp.js';
import { TelnetDecoder, parseTelnetPeer, telnetEscape, telnetStream } from '../../transports/telnet.js';
import { run, verdicts, notPassing } from '../helpers/run.js';
import { ptyPair } from '../helpers/serial-line.js';

// Facts: QEMU 7.2 chardev/char-socket.c tcp_chr_telnet_init (shared/reference/lab-and-style.md);
// ser2net 4.3.11 telnet(rfc2217) accepter, observed on this machine.
const QEMU_GREETING = 'fffb01 fffb03 fffb00 fffd00';
const SER2NET_GREETING = 'fffb03 fffd03 fffb01 fffe01 fffd00 fffb00 fffd2c';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitListening(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        res(true);
      });
      s.once('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res();
    child.once('exit', () => res());
    child.kill('SIGTERM');
  });
}

describe('telnet decoder', () => {
  it("strips QEMU's opening negotiation and answers it: DO ECHO, DO SGA, DO BINARY, WILL BINARY", () => {
    const d = new TelnetDecoder('qemu').decode(fromHex(QEMU_GREETING + '7b22514d50'));
    expect(fromUtf8(d.data)).toBe('{"QMP');
    expect(d.commands).toEqual(['WILL ECHO', 'WILL SGA', 'WILL BINARY', 'DO BINARY']);
    expect(hex(d.reply)).toBe('fffd01fffd03fffd00fffb00');
  });

  it("answers ser2net's offers and refuses RFC 2217 COM-PORT-OPTION", () => {
    const dec = new TelnetDecoder();
    const d = dec.decode(fromHex(SER2NET_GREETING));
    expect(d.data.length).toBe(0);
    expect(d.commands).toEqual(['WILL SGA', 'DO SGA', 'WILL ECHO', 'DONT ECHO', 'DO BINARY', 'WILL BINARY', 'DO COM-PORT-OPTION']);
    // DO SGA, WILL SGA, DO ECHO, (DONT ECHO: nothing, we never offered it), WILL BINARY, DO BINARY, WONT 44
    expect(hex(d.reply)).toBe('fffd03fffb03fffd01fffb00fffd00fffc2c');
    expect(dec.options).toEqual({ server: ['SGA', 'ECHO', 'BINARY'], client: ['SGA', 'BINARY'] });
    // the same offers again change nothing and get no answer (no negotiation loop)
    expect(dec.decode(fromHex(SER2NET_GREETING)).reply.length).toBe(0);
  });

  it('IAC IAC is one data byte 0xff; subnegotiations and two-byte commands vanish', () => {
    const d = new TelnetDecoder().decode(fromHex('41 ffff 42 fffa2c0100000000fff0 43 fff1 44 fff9 45'));
    expect(hex(d.data)).toBe('41ff4243444' + '5');
    expect(d.commands).toEqual(['SB COM-PORT-OPTION (6 bytes)', 'IAC 241', 'IAC 249']);
  });

  it('peer=qemu takes 0xff as data once data has started (QEMU does not double it)', () => {
    const dec = new TelnetDecoder('qemu');
    dec.decode(fromHex(QEMU_GREETING));
    expect(hex(dec.decode(fromHex('46ff fb01 ff')).data)).toBe('46fffb01ff');
  });

  it('escapes 0xff as IAC IAC and nothing else', () => {
    expect(hex(telnetEscape(fromHex('00ff0dff ff0a')))).toBe('00ffff0dffffffff0a');
    expect(hex(telnetEscape(fromHex('000d0a')))).toBe('000d0a');
  });

  it('property: escaped data with negotiation interleaved, split anywhere, decodes to the data', () => {
    const cmd = fc.constantFrom('fffb00', 'fffd03', 'fffc2c', 'fff1', 'fffa2c0501fff0', 'fffa2cffff01fff0');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.tuple(fc.nat(300), cmd), { maxLength: 5 }), fc.array(fc.nat(400), { maxLength: 8 }), (data, cmds, cuts) => {
        const esc = telnetEscape(data);
        // insert commands at byte positions that do not split an IAC IAC pair
        const parts: Uint8Array[] = [];
        let last = 0;
        const at = cmds.map(([p, c]) => [Math.min(p, esc.length), c] as const).sort((a, b) => a[0] - b[0]);
        for (const [p0, c] of at) {
          let p = p0;
          if (p > 0 && p < esc.length && esc[p - 1] === 0xff) {
            let run = 0;
            for (let k = p - 1; k >= 0 && esc[k] === 0xff; k--) run++;
            if (run % 2 === 1) p += 1;
          }
          if (p < last) p = last;
          parts.push(esc.subarray(last, p), fromHex(c));
          last = p;
        }
        parts.push(esc.subarray(last));
        const stream = Buffer.concat(parts);
        const dec = new TelnetDecoder();
        const got: number[] = [];
        let from = 0;
        for (const c of [...cuts.map((x) => Math.min(x, stream.length)).sort((a, b) => a - b), stream.length]) {
          got.push(...dec.decode(stream.subarray(from, c)).data);
          from = Math.max(from, c);
        }
        expect(hex(Uint8Array.from(got))).toBe(hex(data));
      }),
      { numRuns: 300 },
    );
  });

  it('parses peer= and refuses unknown options', () => {
    expect(parseTelnetPeer(new URL('telnet://h:1'))).toBe('rfc854');
    expect(parseTelnetPeer(new URL('telnet://h:1?peer=qemu'))).toBe('qemu');
    expect(() => parseTelnetPeer(new URL('telnet://h:1?peer=cisco'))).toThrow(/peer must be/);
    expect(() => parseTelnetPeer(new URL('telnet://h:1?baud=9600'))).toThrow(/unknown option "baud"/);
  });
});

describe('a real QEMU 7.2 chardev with telnet=on', () => {
  let qemu: ChildProcess;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    qemu = spawn(
      'qemu-storage-daemon',
      ['--chardev', `socket,id=c0,host=127.0.0.1,port=${port},server=on,wait=off,telnet=on`, '--monitor', 'chardev=c0'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    await waitListening(port, 10_000);
  });
  afterAll(() => stop(qemu));

  it('opens every connection with exactly IAC WILL ECHO, WILL SGA, WILL BINARY, DO BINARY', async () => {
    const sock = await openSocket('127.0.0.1', port);
    const got = await new Promise<Buffer>((res) => {
      let acc = Buffer.alloc(0);
      sock.on('data', (d: Buffer) => {
        acc = Buffer.concat([acc, d]);
        if (acc.includes(0x0a)) res(acc); // the QMP greeting line follows the negotiation
      });
    });
    sock.destroy();
    expect(hex(got.subarray(0, 12))).toBe(QEMU_GREETING.replace(/ /g, ''));
    expect(got.subarray(12, 20).toString()).toBe('{"QMP": ');
  });

  it('the telnet layer delivers the guest side bytes without the negotiation, and ours reach it', async () => {
    const raw = socketStream(await openSocket('127.0.0.1', port));
    const log: string[] = [];
    const stream = telnetStream(raw, 'qemu', (l) => log.push(l));
    const lines: string[] = [];
    let acc = '';
    const next = () =>
      new Promise<string>((res) => {
        const poll = () => (lines.length ? res(lines.shift()!) : setTimeout(poll, 5));
        poll();
      });
    stream.onData((b) => {
      acc += fromUtf8(b);
      let i;
      while ((i = acc.indexOf('\n')) >= 0) {
        lines.push(acc.slice(0, i).trim());
        acc = acc.slice(i + 1);
      }
    });
    const greeting = JSON.parse(await next()) as { QMP: { version: { qemu: { major: number; minor: number } } } };
    expect(greeting.QMP.version.qemu).toMatchObject({ major: 7, minor: 2 });
    stream.write(utf8('{"execute": "qmp_capabilities"}\r\n'));
    expect(JSON.parse(await next())).toEqual({ return: {} });
    stream.write(utf8('{"execute": "query-version"}\r\n'));
    expect((JSON.parse(await next()) as { return: { qemu: { major: number } } }).return.qemu.major).toBe(7);
    expect(log.join(' ')).toMatch(/WILL ECHO, WILL SGA, WILL BINARY, DO BINARY/);
    stream.destroy();
  });
});

describe('end to end through ser2net (telnet + RFC 2217 accepter) to fwsec serving a pty', () => {
  let dir: string;
  let ser2net: ChildProcess;
  let pair: Awaited<ReturnType<typeof ptyPair>>;
  let stack: ReferenceStack;
  let serving: ReturnType<typeof serveSerial>;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fwsec-telnet-'));
    pair = await ptyPair(join(dir, 'board-uart'), join(dir, 'agent-uart'));
    stack = await ReferenceStack.boot();
    serving = serveSerial(stack, pair.b, { maxBody: stack.config.maxBody });
    await serving.ready;
    port = await freePort();
    // labgrid's exporter writes `telnet(rfc2217,mode=server),tcp,PORT`. Added here, as docs/transports.md
    // recommends: tcp(nodelay) (else each round trip waits ~40 ms on Nagle + delayed ACK) and
    // chardelay: false (else ser2net holds serial input ~3 ms to batch it; measured 44 / 3.8 / 0.5 ms)
    writeFileSync(
      join(dir, 'ser2net.yaml'),
      `connection: &board\n  accepter: telnet(rfc2217),tcp(nodelay),127.0.0.1,${port}\n  connector: serialdev,${pair.a},115200n81,local\n  options:\n    kickolduser: true\n    chardelay: false\n`,
    );
    ser2net = spawn('ser2net', ['-n', '-u', '-c', join(dir, 'ser2net.yaml'), '-P', join(dir, 'ser2net.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
    await waitListening(port, 10_000);
  });
  afterAll(async () => {
    await stop(ser2net);
    await serving.close();
    await pair.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every byte value, 0xff included, crosses both ways intact', async () => {
    const t = await openTransport(`telnet://127.0.0.1:${port}`, { callTimeoutMs: 5000 });
    const control = new ControlClient(t.channel('control'));
    const all = new Uint8Array(1024);
    for (let i = 0; i < all.length; i++) all[i] = i % 4 === 0 ? 0xff : i & 0xff;
    expect(hex(await control.echo(all))).toBe(hex(all));
    expect((await control.hello()).agent).toMatch(/reference/);
    await t.close();
  });

  it('the psa-storage suite gives the same verdicts through ser2net as in-process', async () => {
    const over = await run({ target: `telnet://127.0.0.1:${port}`, suites: ['psa-storage'], allowDestructive: true });
    expect(notPassing(over)).toEqual([]);
    expect(verdicts(over)).toEqual(verdicts(await run({ suites: ['psa-storage'] })));
    expect(stack.internalErrors).toBe(0);
  });
});
