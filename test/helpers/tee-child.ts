// Child process for the device-transport tests: opens a transport URI (with
// the syscall-boundary double preloaded by the parent), makes the calls given
// as JSON in argv[2], prints one JSON result line per call, then closes.
import { fromHex, hex } from '../../protocol/bytes.js';
import { openTransport, TransportError } from '../../transports/index.js';
import type { ServiceName } from '../../protocol/services.js';

interface Call {
  service: ServiceName;
  opcode: number;
  body: string;
  timeoutMs?: number;
  /** wait this long before the call (lets a late answer arrive) */
  sleepMs?: number;
}
const spec = JSON.parse(process.argv[2] ?? '{}') as { uri: string; calls: Call[] };
const t = await openTransport(spec.uri, { callTimeoutMs: 5000 });
for (const c of spec.calls) {
  if (c.sleepMs) await new Promise((r) => setTimeout(r, c.sleepMs));
  try {
    const r = await t.channel(c.service).call(c.opcode, fromHex(c.body), { timeoutMs: c.timeoutMs });
    console.log(JSON.stringify({ status: r.status, body: hex(r.body) }));
  } catch (e) {
    console.log(JSON.stringify({ error: e instanceof TransportError ? e.kind : 'internal', message: (e as Error).message }));
  }
}
await t.close();
console.log(JSON.stringify({ closed: true }));
