// The reference TPM under malformed input (fuzzing: every answer is a
// well-formed TPM response or the service's own platform status, and no
// handler ever throws: stack.internalErrors stays 0), and the properties of
// its state: primaries are deterministic per (seed, template) and survive a
// reboot with the seed in the reference ITS, as NV indices do.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tpm2Client, pw } from '../../clients/tpm2.js';
import { hex } from '../../protocol/bytes.js';
import { SERVICES } from '../../protocol/services.js';
import { ALG, RH, SE, SU, TPMA_SESSION } from '../../protocol/tpm2/constants.js';
import { Tpm2Op, Tpm2PlatformStatus } from '../../protocol/tpm2/platform.js';
import { RC } from '../../protocol/tpm2/rc.js';
import { eccSigning, eccStorage, rsaStorage, sealed } from '../../protocol/tpm2/templates.js';
import { ReferenceStack } from '../../reference/stack.js';
import type { Channel } from '../../transports/types.js';

/** A channel straight into the stack, recording every command it carries (the fuzz corpus). */
function channelTo(stack: ReferenceStack, record?: Uint8Array[]): Channel {
  return {
    uri: 'test:',
    service: 'tpm2',
    call: async (opcode, body) => {
      if (opcode === Tpm2Op.SUBMIT) record?.push(body.slice());
      const r = await stack.handle(SERVICES.tpm2, opcode, body);
      if (!r) throw new Error('tpm2 service missing');
      return r;
    },
  };
}

function wellFormed(resp: Uint8Array): void {
  expect(resp.length).toBeGreaterThanOrEqual(10);
  const dv = new DataView(resp.buffer, resp.byteOffset, resp.length);
  expect(dv.getUint32(2)).toBe(resp.length);
  const rc = dv.getUint32(6);
  if (rc !== 0) {
    expect(resp.length).toBe(10);
    expect(dv.getUint16(0)).toBe(0x8001);
  }
}

describe('reference TPM under malformed input', () => {
  let stack: ReferenceStack;
  const corpus: Uint8Array[] = [];

  beforeAll(async () => {
    stack = await ReferenceStack.boot({ services: ['tpm2'] });
    // a corpus of valid commands of every kind: sessions, keys, NV, PCRs, policy, contexts
    const c = new Tpm2Client(channelTo(stack, corpus));
    await c.startup(SU.CLEAR);
    await c.getRandom(16);
    await c.getCapability(6, 0x100, 20);
    await c.pcrExtend(16, [{ hashAlg: ALG.SHA256, digest: new Uint8Array(32).fill(1) }]);
    await c.pcrRead([{ hash: ALG.SHA256, select: new Uint8Array([0, 0, 1]) }]);
    const p = await c.createPrimary(RH.OWNER, eccStorage());
    const s = (await c.startAuthSession({ type: SE.HMAC, symmetric: { algorithm: ALG.AES, keyBits: 128, mode: ALG.CFB } })).session!;
    const k = await c.create(p.handle!, eccSigning(), { auth: { kind: 'session', session: s, auth: new Uint8Array(0), attributes: TPMA_SESSION.continueSession | TPMA_SESSION.decrypt } });
    const l = await c.load(p.handle!, k.private!, k.publicBytes!);
    await c.sign(l.handle!, new Uint8Array(32).fill(3), { scheme: ALG.ECDSA, hashAlg: ALG.SHA256 }, undefined);
    await c.contextSave(l.handle!);
    const sd = await c.create(p.handle!, sealed(), { data: new Uint8Array([1, 2, 3]) });
    void sd;
    await c.nvDefineSpace(RH.OWNER, new Uint8Array(0), { nvIndex: 0x01500000, nameAlg: ALG.SHA256, attributes: 0x60006, authPolicy: new Uint8Array(0), dataSize: 16 }, pw());
    await c.nvWrite(RH.OWNER, 0x01500000, new Uint8Array(8).fill(7), 0, pw());
    await c.nvRead(RH.OWNER, 0x01500000, 8, 0, pw());
    const ps = (await c.startAuthSession({ type: SE.POLICY })).session!;
    await c.policyCommandCode(ps.handle, 0x15e);
    await c.policyGetDigest(ps.handle);
    await c.flushContext(ps.handle);
    await c.flushContext(s.handle);
    await c.flushContext(l.handle!);
    await c.flushContext(p.handle!);
    expect(corpus.length).toBeGreaterThan(15);
    expect(stack.internalErrors).toBe(0);
  });

  afterAll(() => {
    expect(stack.internalErrors).toBe(0);
  });

  it('answers random bytes with well-formed error responses', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 80 }), async (bytes) => {
        const r = await stack.handle(SERVICES.tpm2, Tpm2Op.SUBMIT, bytes);
        expect(r!.status).toBe(Tpm2PlatformStatus.OK);
        wellFormed(r!.body);
      }),
      { numRuns: 300 },
    );
    expect(stack.internalErrors).toBe(0);
  });

  it('answers mutated valid commands (flipped, truncated, extended bytes) without an internal error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: corpus.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: -12, max: 12 }),
        async (i, flips, resize) => {
          const base = corpus[i]!;
          let m = base.slice();
          for (const [pos, v] of flips) m[10 + (pos % Math.max(1, m.length - 10))] = v;
          if (resize < 0) m = m.subarray(0, Math.max(0, m.length + resize));
          else if (resize > 0) m = Uint8Array.from([...m, ...new Uint8Array(resize).fill(0x5a)]);
          const r = await stack.handle(SERVICES.tpm2, Tpm2Op.SUBMIT, m);
          expect(r!.status).toBe(Tpm2PlatformStatus.OK);
          wellFormed(r!.body);
        },
      ),
      { numRuns: 600 },
    );
    expect(stack.internalErrors).toBe(0);
  });

  it('answers every platform opcode with random bodies with a platform status', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.uint8Array({ maxLength: 8 }), async (op, body) => {
        if (op === Tpm2Op.STOP) return;
        const r = await stack.handle(SERVICES.tpm2, op, body);
        expect(r).toBeDefined();
        expect(Object.values(Tpm2PlatformStatus)).toContain(r!.status);
      }),
      { numRuns: 200 },
    );
    expect(stack.internalErrors).toBe(0);
  });
});

describe('reference TPM state', () => {
  it('derives the same primary from the same seed and template, also after a reboot', async () => {
    const stack = await ReferenceStack.boot({ services: ['tpm2'] });
    const c = new Tpm2Client(channelTo(stack));
    await c.startup(SU.CLEAR);
    const a = await c.createPrimary(RH.OWNER, eccStorage());
    const b = await c.createPrimary(RH.OWNER, eccStorage());
    expect(hex(b.public!.point!.x)).toBe(hex(a.public!.point!.x));
    const other = await c.createPrimary(RH.ENDORSEMENT, eccStorage());
    expect(hex(other.public!.point!.x)).not.toBe(hex(a.public!.point!.x));
    const rsa1 = await c.createPrimary(RH.OWNER, rsaStorage());
    expect(rsa1.rc).toBe(RC.OBJECT_MEMORY);
    for (const h of [a.handle!, b.handle!, other.handle!]) await c.flushContext(h);
    const rsa = await c.createPrimary(RH.OWNER, rsaStorage());
    expect(rsa.rc).toBe(0);
    await c.flushContext(rsa.handle!);
    // NV data and the seeds live in the reference ITS: a reboot (_TPM_Init) keeps them
    await c.nvDefineSpace(RH.OWNER, new Uint8Array(0), { nvIndex: 0x01500001, nameAlg: ALG.SHA256, attributes: 0x60006, authPolicy: new Uint8Array(0), dataSize: 4 }, pw());
    await c.nvWrite(RH.OWNER, 0x01500001, new Uint8Array([1, 2, 3, 4]), 0, pw());
    await c.shutdown(SU.CLEAR);
    await stack.reboot();
    expect((await c.startup(SU.CLEAR)).rc).toBe(0);
    const again = await c.createPrimary(RH.OWNER, eccStorage());
    expect(hex(again.public!.point!.x)).toBe(hex(a.public!.point!.x));
    await c.flushContext(again.handle!);
    const rsaAgain = await c.createPrimary(RH.OWNER, rsaStorage());
    expect(hex(rsaAgain.public!.unique)).toBe(hex(rsa.public!.unique));
    expect(hex((await c.nvRead(RH.OWNER, 0x01500001, 4, 0, pw())).data!)).toBe('01020304');
    expect(stack.internalErrors).toBe(0);
  });
});
