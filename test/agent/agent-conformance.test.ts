// The agent conformance test of docs/agent.md section 6. Point it at an
// agent:
//   FWSEC_AGENT_URI=serial:///dev/ttyUSB0?baud=115200 npx vitest run test/agent/agent-conformance.test.ts
//   FWSEC_AGENT_URI=tcp://192.168.1.20:4433 FWSEC_AGENT_RESET=1 npx vitest run test/agent
// (FWSEC_AGENT_TIMEOUT_MS, default 5000: per-answer deadline; FWSEC_AGENT_RESET=1 also checks RESET,
// which resets the target.) Without FWSEC_AGENT_URI it checks `fwsec serve` over TCP and over a pty pair.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Hello } from '../../protocol/control.js';
import { FWSEC_BIN, spawnReady, waitExit, type Spawned } from '../../suites/harness/launchers.js';
import { ptyPair } from '../helpers/serial-line.js';
import { CONTRACT, Connections, readHello } from './contract.js';

const vendorUri = process.env.FWSEC_AGENT_URI;
const timeoutMs = Number(process.env.FWSEC_AGENT_TIMEOUT_MS ?? 5000);

function contractSuite(name: string, target: () => { uri: string; allowReset: boolean }) {
  describe(name, () => {
    let hello: Hello;
    let conns: Connections;
    beforeAll(async () => {
      conns = new Connections(target().uri, timeoutMs);
      hello = await readHello(conns);
    });
    afterAll(() => conns?.close());
    for (const check of CONTRACT) {
      it.skipIf(check.destructive && !(process.env.FWSEC_AGENT_RESET === '1' || !vendorUri))(`${check.id}: ${check.requirement}`, async () => {
        const c = await conns.get();
        try {
          await check.run(c, { timeoutMs, hello });
        } finally {
          conns.release(c);
        }
      });
    }
  });
}

if (vendorUri) {
  contractSuite(`agent at ${vendorUri}`, () => ({ uri: vendorUri, allowReset: process.env.FWSEC_AGENT_RESET === '1' }));
} else {
  let dir: string;
  let tcp: Spawned;
  let serial: Spawned;
  let pair: Awaited<ReturnType<typeof ptyPair>>;
  let tcpUri = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fwsec-agent-'));
    tcp = spawnReady(process.execPath, [FWSEC_BIN, 'serve', '--listen', 'tcp://127.0.0.1:0'], /listening on (tcp:\/\/127\.0\.0\.1:\d+)/, 30_000);
    tcpUri = (await tcp.ready)[1]!;
    // frames kept to 16 KiB here: with 64 KiB frames this run lost bytes between the two ptys in our runs,
    // only when preceded by other traffic and not reproduced alone (cause not pinned down; docs/transports.md)
    pair = await ptyPair(join(dir, 'host'), join(dir, 'board'));
    serial = spawnReady(process.execPath, [FWSEC_BIN, 'serve', '--serial', pair.b, '--max-frame', '16384'], /serving on serial/, 30_000);
    await serial.ready;
  });
  afterAll(async () => {
    for (const s of [tcp, serial]) {
      s?.child.kill('SIGTERM');
      if (s) await waitExit(s.child, 5000);
    }
    await pair?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  contractSuite('fwsec serve --listen tcp://', () => ({ uri: tcpUri, allowReset: true }));
  contractSuite('fwsec serve --serial (pty pair)', () => ({ uri: `serial://${pair.a}`, allowReset: true }));
}
