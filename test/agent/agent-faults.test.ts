// Every check of the agent contract fails on an agent with the matching bug,
// and only the checks that bug touches fail. The agent is a second,
// independent implementation of docs/agent.md (mini-agent.ts), so passing
// with bug 'none' also shows the contract can be met without fwsec's code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReferenceStack } from '../../reference/stack.js';
import { CONTRACT, runContract } from './contract.js';
import { startMiniAgent, type AgentBug } from './mini-agent.js';

// bug -> the contract checks it must fail, and nothing else
const CASES: [AgentBug, string[]][] = [
  ['none', []],
  ['hello-without-control', ['hello']],
  ['opcode-not-echoed', ['response-fields']],
  ['echo-truncates-4k', ['echo-every-byte', 'echo-max-body']],
  ['max-body-lies', ['echo-max-body']],
  ['control-unknown-ok', ['control-unknown-opcode']],
  ['silent-unknown-service', ['unknown-service']],
  ['ignores-crc', ['bad-crc']],
  ['wedges-on-oversize', ['too-large']],
  ['no-version-check', ['bad-version']],
  ['answers-any-kind', ['bad-kind']],
  ['no-resync', ['resync-noise', 'split-writes']], // a read that starts mid-frame (one byte at a time) is lost too
  ['skips-whole-header', ['resync-false-magic']],
  ['header-needs-one-chunk', ['split-writes']],
  ['one-frame-per-chunk', ['back-to-back']],
  ['lists-unserved-service', ['services-answer']],
  ['reset-kills-agent', ['reset']],
];

let stack: ReferenceStack;
beforeAll(async () => {
  stack = await ReferenceStack.boot({ services: ['its'] });
});
afterAll(() => expect(stack.internalErrors).toBe(0));

describe('agent contract checks against agents with one bug each', () => {
  it('every contract check is covered by a bug that breaks it', () => {
    const covered = new Set(CASES.flatMap(([, ids]) => ids));
    expect(CONTRACT.map((c) => c.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  for (const [bug, expected] of CASES) {
    it(`${bug}: fails ${expected.length ? expected.join(', ') : 'nothing'}`, async () => {
      const agent = await startMiniAgent(bug, stack);
      try {
        const failed = await runContract(agent.uri, { timeoutMs: 400, allowReset: true });
        expect([...failed.keys()].sort(), [...failed].map(([k, v]) => `${k}: ${v}`).join('\n')).toEqual([...expected].sort());
      } finally {
        await agent.close();
      }
    });
  }
});
