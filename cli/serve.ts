// fwsec serve: the reference stack as a separate process, reachable over
// the fwsec envelope. Binds loopback unless --listen names another address.
import { ReferenceStack } from '../reference/stack.js';
import { FileMedium } from '../reference/medium.js';
import { listenTcp, parseListen, type Listening } from '../reference/server/tcp.js';
import { parseSerialListen, serveSerial, type SerialServing } from '../reference/server/serial.js';
import { readFileSync } from 'node:fs';
import { UsageError } from '../suites/harness/profile.js';
import { intOption, parse } from './args.js';

export const SERVE_HELP = `usage: fwsec serve --listen tcp://127.0.0.1:PORT | --serial PATH [options]

  --listen tcp://HOST:PORT  serve the fwsec envelope (HOST defaults to 127.0.0.1; PORT 0 picks one)
  --serial PATH[?baud=N]    serve the fwsec envelope on a tty (e.g. /dev/ttyUSB0, /dev/pts/3);
                            reopened when the device goes away and comes back
  --state DIR               keep non-volatile state in DIR (default: memory, lost on exit)
  --config FILE             reference configuration (JSON, as a profile's "reference" section)
  --max-frame N             largest frame body accepted and announced in HELLO (default: the
                            configuration's maxBody, 1 MiB; on a UART 65536 or less is kinder)
  --verbose                 log connections and rejected frames to stderr`;

export async function cmdServe(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, {
    listen: { type: 'string', multiple: true },
    serial: { type: 'string', multiple: true },
    state: { type: 'string' },
    config: { type: 'string' },
    'max-frame': { type: 'string' },
    verbose: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(SERVE_HELP);
    return 0;
  }
  if (!v.listen?.length && !v.serial?.length) {
    throw new UsageError('fwsec serve needs --listen tcp://127.0.0.1:PORT or --serial PATH');
  }
  const serialSpecs = (v.serial ?? []).map((s) => {
    try {
      return parseSerialListen(s);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  });
  let config: unknown;
  if (v.config) {
    try {
      config = JSON.parse(readFileSync(v.config, 'utf8'));
    } catch (e) {
      throw new UsageError(`--config ${v.config}: ${(e as Error).message}`);
    }
  }
  const maxFrame = intOption(v['max-frame'], '--max-frame', 64);
  // the limit the servers enforce is the one HELLO announces (docs/agent.md section 3)
  if (maxFrame !== undefined) config = { ...((config as Record<string, unknown> | undefined) ?? {}), maxBody: maxFrame };
  const log = v.verbose ? (l: string) => process.stderr.write(`[serve] ${l}\n`) : undefined;
  let stack: ReferenceStack;
  try {
    stack = await ReferenceStack.boot({ config, medium: v.state ? new FileMedium(v.state) : undefined, log, agent: 'fwsec serve (reference)' });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const maxBody = stack.config.maxBody;
  const listening: Listening[] = [];
  for (const l of v.listen ?? []) {
    const { host, port } = parseListen(l);
    listening.push(await listenTcp(stack, host, port, { maxBody, log }));
  }
  for (const l of listening) {
    console.log(`fwsec serve: listening on ${l.uri} (state: ${stack.medium.description}; services: ${stack.services.join(', ')})`);
  }
  const serial: SerialServing[] = [];
  for (const s of serialSpecs) {
    const serving = serveSerial(stack, s.path, { baudRate: s.baudRate, maxBody, log });
    serial.push(serving);
    if (log) log(`waiting for ${s.path}`);
    await serving.ready;
    console.log(`fwsec serve: serving on serial ${s.path} at ${s.baudRate} baud (state: ${stack.medium.description}; services: ${stack.services.join(', ')})`);
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  for (const l of listening) await l.close();
  for (const s of serial) await s.close();
  return 0;
}
