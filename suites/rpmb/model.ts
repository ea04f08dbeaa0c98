// Model-based: random sequences of authenticated writes (valid, bad MAC,
// stale or future counter, out of range), reads and counter reads against
// an abstract RPMB: a counter and four blocks. A failure shrinks to the
// shortest sequence that disagrees with the model.
import fc from 'fast-check';
import { hex } from '../../protocol/bytes.js';
import { OFF, RpmbResult, resultName } from '../../protocol/rpmb/frame.js';
import { checkModel } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import { CL, JEDEC, blockPattern, counter, flip, keyed, maxWrite, read, scratch, writeFrames, writeRequest, type Device } from './common.js';

const SLOTS = 4;

interface Model {
  counter: number;
  blocks: Uint8Array[];
}

interface Real {
  t: CheckContext;
  d: Device;
  base: number;
}

type Cmd = fc.AsyncCommand<Model, Real>;
type WriteKind = 'valid' | 'bad-mac' | 'stale-counter' | 'future-counter' | 'past-end';

const EXPECT: Record<WriteKind, number> = {
  valid: RpmbResult.OK,
  'bad-mac': RpmbResult.AUTH_FAILURE,
  'stale-counter': RpmbResult.COUNTER_FAILURE,
  'future-counter': RpmbResult.COUNTER_FAILURE,
  'past-end': RpmbResult.ADDRESS_FAILURE,
};

class WriteCmd implements Cmd {
  constructor(
    readonly slot: number,
    readonly n: number,
    readonly salt: number,
    readonly kind: WriteKind,
  ) {}
  check(m: Model) {
    return this.kind !== 'stale-counter' || m.counter > 0;
  }
  async run(m: Model, r: Real) {
    const { t, d } = r;
    const n = Math.min(this.n, maxWrite(d), SLOTS - this.slot);
    const data = Array.from({ length: n }, (_, i) => blockPattern(t, this.salt * 8 + i));
    const c = this.kind === 'stale-counter' ? m.counter - 1 : this.kind === 'future-counter' ? m.counter + 1 : m.counter;
    const at = this.kind === 'past-end' ? (d.blocks <= 0xffff ? d.blocks : r.base + this.slot) : r.base + this.slot;
    let frames = writeRequest(d, at, c, data);
    if (this.kind === 'bad-mac') frames = [...frames.slice(0, -1), flip(frames[n - 1]!, OFF.keyMac + 5)];
    const want = this.kind === 'past-end' && d.blocks > 0xffff ? RpmbResult.OK : EXPECT[this.kind];
    const got = await writeFrames(t, d, frames);
    if (got.f.result !== want) {
      t.fail(`${this.toString()} answered ${resultName(got.f.result)}; the model expects ${resultName(want)}`, { expected: resultName(want), actual: resultName(got.f.result) });
    }
    if (want === RpmbResult.OK) {
      m.counter += 1;
      if (at === r.base + this.slot) data.forEach((b, i) => (m.blocks[this.slot + i] = b));
    }
  }
  toString() {
    return `authenticated_write(slot=${this.slot}, blocks=${this.n}, ${this.kind})`;
  }
}

class ReadCmd implements Cmd {
  constructor(
    readonly slot: number,
    readonly n: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const n = Math.min(this.n, SLOTS - this.slot);
    const got = await read(r.t, r.d, r.base + this.slot, n);
    const last = got.frames[n - 1]!;
    if (last.result !== RpmbResult.OK) r.t.fail(`${this.toString()} answered ${resultName(last.result)}`, { expected: 'OK', actual: resultName(last.result) });
    got.frames.forEach((f, i) => {
      const want = m.blocks[this.slot + i]!;
      if (hex(f.data) !== hex(want)) {
        r.t.fail(`${this.toString()}: block ${this.slot + i} differs from the model`, { expected: hex(want, 32), actual: hex(f.data, 32) });
      }
    });
  }
  toString() {
    return `authenticated_read(slot=${this.slot}, blocks=${this.n})`;
  }
}

class CounterCmd implements Cmd {
  check = () => true;
  async run(m: Model, r: Real) {
    r.t.expectEqual(await counter(r.t, r.d), m.counter, 'write counter against the model');
  }
  toString() {
    return 'read_write_counter()';
  }
}

export default [
  checkModel<Model, Real>({
    id: 'rpmb.model.sequences',
    title: 'random sequences of writes and reads agree with an RPMB model',
    spec: JEDEC,
    clause: `${CL.write}; ${CL.read}`,
    level: 'MUST',
    requirement:
      'Over any sequence of authenticated writes (valid, wrong MAC, stale or future counter, past the end), reads and counter reads, the device behaves as the model: a write is executed exactly when it is valid, the counter counts executed writes, and reads return the last data written.',
    services: ['rpmb'],
    numRuns: 20,
    maxCommands: 12,
    commands: () => [
      fc.record({ slot: fc.integer({ min: 0, max: SLOTS - 1 }), n: fc.integer({ min: 1, max: 2 }), salt: fc.integer({ min: 1, max: 200 }), kind: fc.constantFrom<WriteKind>('valid', 'valid', 'bad-mac', 'stale-counter', 'future-counter', 'past-end') }).map(
        (v) => new WriteCmd(v.slot, v.n, v.salt, v.kind),
      ),
      fc.record({ slot: fc.integer({ min: 0, max: SLOTS - 1 }), n: fc.integer({ min: 1, max: SLOTS }) }).map((v) => new ReadCmd(v.slot, v.n)),
      fc.constant(new CounterCmd()),
    ],
    setup: async (t) => {
      const d = await keyed(t);
      const base = scratch(t, d, SLOTS);
      const got = await read(t, d, base, SLOTS);
      if (got.frames[SLOTS - 1]!.result !== RpmbResult.OK) t.fail(`setup: reading the ${SLOTS} scratch blocks answered ${resultName(got.frames[SLOTS - 1]!.result)}`);
      const blocks = got.frames.map((f) => f.data.slice());
      return { model: { counter: await counter(t, d), blocks }, real: { t, d, base } };
    },
  }),
];
