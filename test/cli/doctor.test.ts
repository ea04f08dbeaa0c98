// fwsec doctor on the built-in profiles, on an unreachable target and on a
// reachable one that fails, through the command itself.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cmdDoctor, classify, type DoctorReport } from '../../cli/doctor.js';
import { ReferenceStack } from '../../reference/stack.js';
import { listenTcp } from '../../reference/server/tcp.js';
import { SERVICES } from '../../protocol/services.js';
import { TransportError } from '../../transports/index.js';

async function doctor(args: string[]): Promise<{ code: number; report: DoctorReport; text: string }> {
  const out: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  try {
    const code = await cmdDoctor([...args, '--json']);
    const report = JSON.parse(out.join('\n')) as DoctorReport;
    out.length = 0;
    await cmdDoctor(args);
    return { code, report, text: out.join('\n') };
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('fwsec doctor', () => {
  it('built-in profile reference: the agent, its services, and what each answers', async () => {
    const { code, report, text } = await doctor(['--profile', 'reference']);
    expect(code).toBe(0);
    expect(report.health).toBe('ok');
    expect(report.transports[0]!.hello).toMatchObject({ agent: 'fwsec reference', protocolVersion: 1, services: ['control', 'its', 'ps'] });
    expect(report.services.map((s) => [s.service, s.health])).toEqual([
      ['its', 'ok'],
      ['ps', 'ok'],
    ]);
    expect(report.services[0]!.detail).toBe('answered PSA_ERROR_INVALID_ARGUMENT (-135)');
    expect(report.services[1]!.info).toMatchObject({ supportFlags: 1 });
    expect(text).toMatch(/result: OK: every service answers/);
  });

  it('built-in profile reference-tcp: launches fwsec serve and reads its HELLO over TCP', async () => {
    const { code, report } = await doctor(['--profile', 'reference-tcp']);
    expect(code).toBe(0);
    expect(report.transports[0]!.uri).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(report.transports[0]!.hello!.agent).toBe('fwsec serve (reference)');
  });

  it('nothing listening: UNREACHABLE, exit 2', async () => {
    const { code, report, text } = await doctor(['--target', 'tcp://127.0.0.1:1', '--timeout', '2000']);
    expect(code).toBe(2);
    expect(report.health).toBe('unreachable');
    expect(report.services.every((s) => s.health === 'unreachable')).toBe(true);
    expect(text).toMatch(/DOWN {2}tcp:\/\/127\.0\.0\.1:1/);
  });

  it('an agent that answers HELLO but fails a service: FAIL, exit 1, told apart from unreachable', async () => {
    const stack = await ReferenceStack.boot();
    // a board agent whose PS backend is broken: every PS request ends in an envelope SERVICE_FAILURE frame
    const broken = {
      handle: async (service: number, opcode: number, body: Uint8Array) => {
        if (service === SERVICES.ps) throw new Error('flash controller timeout');
        return stack.handle(service, opcode, body);
      },
    };
    const l = await listenTcp(broken, '127.0.0.1', 0, { maxBody: 65536 });
    try {
      const { code, report } = await doctor(['--target', l.uri]);
      expect(code).toBe(1);
      expect(report.health).toBe('failing');
      const ps = report.services.find((s) => s.service === 'ps')!;
      expect(ps.health).toBe('failing');
      expect(ps.detail).toMatch(/SERVICE_FAILURE: flash controller timeout/);
      expect(report.services.find((s) => s.service === 'its')!.health).toBe('ok');
    } finally {
      await l.close();
    }
  });

  it('classifies transport failures', () => {
    expect(classify(new TransportError('timeout', 'x'))).toBe('unreachable');
    expect(classify(new TransportError('connect', 'x'))).toBe('unreachable');
    expect(classify(new TransportError('remote', 'x'))).toBe('failing');
    expect(classify(new TransportError('protocol', 'x'))).toBe('failing');
  });
});
