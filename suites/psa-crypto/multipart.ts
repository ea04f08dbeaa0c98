// 3.3.2 Multi-part operations, model-based: random sequences of setup /
// update / finish / verify / abort / clone (and the IV, nonce, lengths and
// input steps of each operation) on two operation objects, against a model
// of the state machine of the spec: PSA_ERROR_BAD_STATE where a call comes
// in the wrong state, the error state that only abort clears, the object
// usable again after abort, and outputs that match node:crypto.
//
// Over the packed-c protocol an operation object is the op_handle setup
// returns; "setup on an active object" cannot be expressed on the wire (a
// setup always creates a new operation), so the model only sets up inactive
// objects. An inactive object that receives a call answers BAD_STATE and
// stays inactive (there is no state to record for it on the target).
import fc from 'fast-check';
import { PSA, psaStatusName } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { concat, hex } from '../../protocol/bytes.js';
import { checkModel } from '../harness/check.js';
import type { CheckContext } from '../harness/types.js';
import type { CryptoClient } from '../../clients/psa-crypto.js';
import { algCap, keyCap } from './caps.js';
import { Alg, KdfStep, KeyType, SPEC, Usage, client, expectPsa, flipBit, pattern, supported } from './common.js';
import * as O from './oracle.js';

type State = 'inactive' | 'active' | 'error';
const SLOTS = 2;
const never = (slot: number) => 0xfffff100 + slot;

interface Real {
  t: CheckContext;
  c: CryptoClient;
  key: number;
  keyBytes: Uint8Array;
}

function expectStatus(r: Real, actual: number, expected: number, call: string): void {
  if (actual !== expected) {
    r.t.fail(`${call} returned ${psaStatusName(actual)}; the state machine expects ${psaStatusName(expected)}`, {
      expected: psaStatusName(expected),
      actual: psaStatusName(actual),
    });
  }
}

function expectOutput(r: Real, actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (hex(actual) !== hex(expected)) {
    r.t.fail(`${what} differs from node:crypto`, { expected: `${expected.length} bytes: ${hex(expected, 48)}`, actual: `${actual.length} bytes: ${hex(actual, 48)}` });
  }
}

interface SlotBase {
  handle?: number;
  stale: number;
  state: State;
}

/** The handle a call on `slot` uses: the live one, or the last (stale) one. */
const handleOf = (s: SlotBase) => s.handle ?? s.stale;

/** A new handle from setup/clone: slots holding it as a stale handle forget it (a target may reuse handles). */
function adopt(slots: SlotBase[], slot: number, h: number): void {
  for (const [i, s] of slots.entries()) if (i !== slot && s.handle === undefined && s.stale === h) s.stale = never(i);
  slots[slot]!.handle = h;
  slots[slot]!.state = 'active';
}

function deactivate(s: SlotBase): void {
  if (s.handle !== undefined) s.stale = s.handle;
  s.handle = undefined;
  s.state = 'inactive';
}

/** Moves a slot to the error state after an error on an active object (an inactive one stays inactive). */
function errored(s: SlotBase): void {
  if (s.state === 'active') s.state = 'error';
}

function slots<T extends SlotBase>(make: () => Omit<T, keyof SlotBase>): T[] {
  return Array.from({ length: SLOTS }, (_, i) => ({ stale: never(i), state: 'inactive' as State, ...make() }) as T);
}

async function abortAll(_r: Real, ss: SlotBase[], abort: (h: number) => Promise<number>): Promise<void> {
  for (const s of ss) if (s.handle !== undefined) await abort(s.handle);
}

const slotArb = fc.nat({ max: SLOTS - 1 });

/** A command, with where it is a valid call (no BAD_STATE, no error state). */
type Cmd<M extends object> = fc.AsyncCommand<M, Real> & { valid?: (m: M) => boolean };

/**
 * The commands, plus (four times as likely) a copy of each that runs
 * only where the call is valid. Invalid calls stay in the mix (they test BAD_STATE and
 * the error state), but sequences now reach the deep states (a complete
 * message with a wrong tag, an exhausted capacity) instead of spending most
 * of their length in an error state.
 */
function favourValid<M extends object>(cmds: fc.Arbitrary<Cmd<M>>[]): fc.Arbitrary<fc.AsyncCommand<M, Real>>[] {
  const guarded = cmds.map((a) =>
    // commands without a validity rule keep their single weight
    a.map((c): fc.AsyncCommand<M, Real> => ({ check: (m) => !!c.valid && c.check(m) && c.valid(m), run: (m, r) => c.run(m, r), toString: () => c.toString() })),
  );
  return [fc.oneof(...cmds.map((arbitrary) => ({ arbitrary, weight: 1 })), ...guarded.map((arbitrary) => ({ arbitrary, weight: 4 })))];
}

// ---------------------------------------------------------------- hash

interface HashSlot extends SlotBase {
  data: Uint8Array;
}
interface HashModel {
  s: HashSlot[];
}
type HashCmd = Cmd<HashModel>;
const H = Alg.SHA_256;

const hashCommands: fc.Arbitrary<HashCmd>[] = [
  slotArb.map((i): HashCmd => ({
    valid: (m) => m.s[i]!.state === 'inactive',
    check: (m) => m.s[i]!.state === 'inactive',
    run: async (m, r) => {
      const x = await r.c.hashSetup(H);
      expectStatus(r, x.status, PSA.SUCCESS, `psa_hash_setup(#${i})`);
      adopt(m.s, i, x.value!);
      m.s[i]!.data = new Uint8Array(0);
    },
    toString: () => `psa_hash_setup(op=#${i}, PSA_ALG_SHA_256)`,
  })),
  fc.tuple(slotArb, fc.uint8Array({ maxLength: 40 })).map(([i, d]): HashCmd => ({
    valid: (m) => m.s[i]!.state === 'active',
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const st = await r.c.hashUpdate(handleOf(s), d);
      if (s.state !== 'active') return expectStatus(r, st, PSA.ERROR_BAD_STATE, `psa_hash_update(#${i}) on a ${s.state} operation`);
      expectStatus(r, st, PSA.SUCCESS, `psa_hash_update(#${i})`);
      s.data = concat(s.data, d);
    },
    toString: () => `psa_hash_update(op=#${i}, input_length=${d.length})`,
  })),
  slotArb.map((i): HashCmd => ({
    valid: (m) => m.s[i]!.state === 'active',
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const f = await r.c.hashFinish(handleOf(s));
      if (s.state !== 'active') return expectStatus(r, f.status, PSA.ERROR_BAD_STATE, `psa_hash_finish(#${i}) on a ${s.state} operation`);
      expectStatus(r, f.status, PSA.SUCCESS, `psa_hash_finish(#${i})`);
      expectOutput(r, f.value!, O.hash(H, s.data), `psa_hash_finish(#${i}) hash`);
      deactivate(s);
    },
    toString: () => `psa_hash_finish(op=#${i})`,
  })),
  fc.tuple(slotArb, fc.boolean()).map(([i, right]): HashCmd => ({
    valid: (m) => m.s[i]!.state === 'active',
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const expected = O.hash(H, s.data);
      const st = await r.c.hashVerify(handleOf(s), right ? expected : flipBit(expected, 5));
      if (s.state !== 'active') return expectStatus(r, st, PSA.ERROR_BAD_STATE, `psa_hash_verify(#${i}) on a ${s.state} operation`);
      if (right) {
        expectStatus(r, st, PSA.SUCCESS, `psa_hash_verify(#${i}) with the right hash`);
        deactivate(s);
      } else {
        expectStatus(r, st, PSA.ERROR_INVALID_SIGNATURE, `psa_hash_verify(#${i}) with a wrong hash`);
        errored(s);
      }
    },
    toString: () => `psa_hash_verify(op=#${i}, ${right ? 'correct' : 'wrong'} hash)`,
  })),
  slotArb.map((i): HashCmd => ({
    valid: (m) => m.s[i]!.state !== 'inactive',
    check: () => true,
    run: async (m, r) => {
      expectStatus(r, await r.c.hashAbort(handleOf(m.s[i]!)), PSA.SUCCESS, `psa_hash_abort(#${i})`);
      deactivate(m.s[i]!);
    },
    toString: () => `psa_hash_abort(op=#${i})`,
  })),
  fc.tuple(slotArb, slotArb).map(([src, dst]): HashCmd => ({
    valid: (m) => m.s[src]!.state === 'active',
    check: (m) => src !== dst && m.s[dst]!.state === 'inactive',
    run: async (m, r) => {
      const s = m.s[src]!;
      const x = await r.c.hashClone(handleOf(s));
      if (s.state !== 'active') {
        if (x.status === PSA.SUCCESS) await r.c.hashAbort(x.value!);
        return expectStatus(r, x.status, PSA.ERROR_BAD_STATE, `psa_hash_clone(#${src}) of a ${s.state} operation`);
      }
      expectStatus(r, x.status, PSA.SUCCESS, `psa_hash_clone(#${src} -> #${dst})`);
      adopt(m.s, dst, x.value!);
      m.s[dst]!.data = s.data.slice();
    },
    toString: () => `psa_hash_clone(source=#${src}, target=#${dst})`,
  })),
];

// ---------------------------------------------------------------- MAC

interface MacSlot extends SlotBase {
  sign: boolean;
  data: Uint8Array;
}
interface MacModel {
  s: MacSlot[];
}
type MacCmd = Cmd<MacModel>;
const HMAC = C.hmac(Alg.SHA_256);

const macCommands: fc.Arbitrary<MacCmd>[] = [
  fc.tuple(slotArb, fc.boolean()).map(([i, sign]): MacCmd => ({
    valid: (m) => m.s[i]!.state === 'inactive',
    check: (m) => m.s[i]!.state === 'inactive',
    run: async (m, r) => {
      const x = await r.c.macSetup(r.key, HMAC, sign);
      expectStatus(r, x.status, PSA.SUCCESS, `psa_mac_${sign ? 'sign' : 'verify'}_setup(#${i})`);
      adopt(m.s, i, x.value!);
      Object.assign(m.s[i]!, { sign, data: new Uint8Array(0) });
    },
    toString: () => `psa_mac_${sign ? 'sign' : 'verify'}_setup(op=#${i}, HMAC-SHA-256)`,
  })),
  fc.tuple(slotArb, fc.uint8Array({ maxLength: 40 })).map(([i, d]): MacCmd => ({
    valid: (m) => m.s[i]!.state === 'active',
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const st = await r.c.macUpdate(handleOf(s), d);
      if (s.state !== 'active') return expectStatus(r, st, PSA.ERROR_BAD_STATE, `psa_mac_update(#${i}) on a ${s.state} operation`);
      expectStatus(r, st, PSA.SUCCESS, `psa_mac_update(#${i})`);
      s.data = concat(s.data, d);
    },
    toString: () => `psa_mac_update(op=#${i}, input_length=${d.length})`,
  })),
  slotArb.map((i): MacCmd => ({
    valid: (m) => m.s[i]!.state === 'active' && m.s[i]!.sign,
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const f = await r.c.macSignFinish(handleOf(s));
      if (s.state !== 'active' || !s.sign) {
        expectStatus(r, f.status, PSA.ERROR_BAD_STATE, `psa_mac_sign_finish(#${i}) on a ${s.state === 'active' ? 'verify' : s.state} operation`);
        return errored(s);
      }
      expectStatus(r, f.status, PSA.SUCCESS, `psa_mac_sign_finish(#${i})`);
      expectOutput(r, f.value!, O.hmac(Alg.SHA_256, r.keyBytes, s.data), `psa_mac_sign_finish(#${i}) MAC`);
      deactivate(s);
    },
    toString: () => `psa_mac_sign_finish(op=#${i})`,
  })),
  fc.tuple(slotArb, fc.boolean()).map(([i, right]): MacCmd => ({
    valid: (m) => m.s[i]!.state === 'active' && !m.s[i]!.sign,
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const mac = O.hmac(Alg.SHA_256, r.keyBytes, s.data);
      const st = await r.c.macVerifyFinish(handleOf(s), right ? mac : flipBit(mac, 9));
      if (s.state !== 'active' || s.sign) {
        expectStatus(r, st, PSA.ERROR_BAD_STATE, `psa_mac_verify_finish(#${i}) on a ${s.state === 'active' ? 'sign' : s.state} operation`);
        return errored(s);
      }
      if (right) {
        expectStatus(r, st, PSA.SUCCESS, `psa_mac_verify_finish(#${i}) with the right MAC`);
        deactivate(s);
      } else {
        expectStatus(r, st, PSA.ERROR_INVALID_SIGNATURE, `psa_mac_verify_finish(#${i}) with a wrong MAC`);
        errored(s);
      }
    },
    toString: () => `psa_mac_verify_finish(op=#${i}, ${right ? 'correct' : 'wrong'} MAC)`,
  })),
  slotArb.map((i): MacCmd => ({
    valid: (m) => m.s[i]!.state !== 'inactive',
    check: () => true,
    run: async (m, r) => {
      expectStatus(r, await r.c.macAbort(handleOf(m.s[i]!)), PSA.SUCCESS, `psa_mac_abort(#${i})`);
      deactivate(m.s[i]!);
    },
    toString: () => `psa_mac_abort(op=#${i})`,
  })),
];

// ---------------------------------------------------------------- cipher (AES-CBC, no padding)

interface CipherSlot extends SlotBase {
  encrypt: boolean;
  iv?: Uint8Array;
  input: Uint8Array;
  output: Uint8Array;
}
interface CipherModel {
  s: CipherSlot[];
}
type CipherCmd = Cmd<CipherModel>;
const CBC = Alg.CBC_NO_PADDING;

const cipherCommands: fc.Arbitrary<CipherCmd>[] = [
  fc.tuple(slotArb, fc.boolean()).map(([i, encrypt]): CipherCmd => ({
    valid: (m) => m.s[i]!.state === 'inactive',
    check: (m) => m.s[i]!.state === 'inactive',
    run: async (m, r) => {
      const x = await r.c.cipherSetup(r.key, CBC, encrypt);
      expectStatus(r, x.status, PSA.SUCCESS, `psa_cipher_${encrypt ? 'encrypt' : 'decrypt'}_setup(#${i})`);
      adopt(m.s, i, x.value!);
      Object.assign(m.s[i]!, { encrypt, iv: undefined, input: new Uint8Array(0), output: new Uint8Array(0) });
    },
    toString: () => `psa_cipher_${encrypt ? 'encrypt' : 'decrypt'}_setup(op=#${i}, CBC_NO_PADDING)`,
  })),
  slotArb.map((i): CipherCmd => ({
    valid: (m) => m.s[i]!.state === 'active' && m.s[i]!.encrypt && !m.s[i]!.iv,
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const g = await r.c.cipherGenerateIv(handleOf(s));
      if (s.state !== 'active' || !s.encrypt || s.iv) {
        expectStatus(r, g.status, PSA.ERROR_BAD_STATE, `psa_cipher_generate_iv(#${i}) (${s.state !== 'active' ? s.state : !s.encrypt ? 'decryption' : 'IV already set'})`);
        return errored(s);
      }
      expectStatus(r, g.status, PSA.SUCCESS, `psa_cipher_generate_iv(#${i})`);
      if (g.value!.length !== 16) r.t.fail(`psa_cipher_generate_iv returned ${g.value!.length} bytes`, { expected: '16', actual: String(g.value!.length) });
      s.iv = g.value!;
    },
    toString: () => `psa_cipher_generate_iv(op=#${i})`,
  })),
  fc.tuple(slotArb, fc.uint8Array({ minLength: 16, maxLength: 16 })).map(([i, iv]): CipherCmd => ({
    valid: (m) => m.s[i]!.state === 'active' && !m.s[i]!.iv,
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const st = await r.c.cipherSetIv(handleOf(s), iv);
      if (s.state !== 'active' || s.iv) {
        expectStatus(r, st, PSA.ERROR_BAD_STATE, `psa_cipher_set_iv(#${i}) (${s.state !== 'active' ? s.state : 'IV already set'})`);
        return errored(s);
      }
      expectStatus(r, st, PSA.SUCCESS, `psa_cipher_set_iv(#${i})`);
      s.iv = iv;
    },
    toString: () => `psa_cipher_set_iv(op=#${i}, iv=${hex(iv, 4)})`,
  })),
  fc.tuple(slotArb, fc.nat({ max: 3 })).map(([i, blocks]): CipherCmd => ({
    valid: (m) => m.s[i]!.state === 'active' && !!m.s[i]!.iv,
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const d = pattern(blocks * 16, 300 + s.input.length);
      const u = await r.c.cipherUpdate(handleOf(s), d);
      if (s.state !== 'active' || !s.iv) {
        expectStatus(r, u.status, PSA.ERROR_BAD_STATE, `psa_cipher_update(#${i}) (${s.state !== 'active' ? s.state : 'no IV'})`);
        return errored(s);
      }
      expectStatus(r, u.status, PSA.SUCCESS, `psa_cipher_update(#${i})`);
      s.input = concat(s.input, d);
      s.output = concat(s.output, u.value!);
    },
    toString: () => `psa_cipher_update(op=#${i}, input_length=${blocks * 16})`,
  })),
  slotArb.map((i): CipherCmd => ({
    valid: (m) => m.s[i]!.state === 'active' && !!m.s[i]!.iv,
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const f = await r.c.cipherFinish(handleOf(s));
      if (s.state !== 'active' || !s.iv) {
        expectStatus(r, f.status, PSA.ERROR_BAD_STATE, `psa_cipher_finish(#${i}) (${s.state !== 'active' ? s.state : 'no IV'})`);
        return errored(s);
      }
      expectStatus(r, f.status, PSA.SUCCESS, `psa_cipher_finish(#${i})`);
      expectOutput(r, concat(s.output, f.value!), O.cipher(CBC, r.keyBytes, s.iv, s.input, s.encrypt), `CBC ${s.encrypt ? 'ciphertext' : 'plaintext'} of #${i}`);
      deactivate(s);
    },
    toString: () => `psa_cipher_finish(op=#${i})`,
  })),
  slotArb.map((i): CipherCmd => ({
    valid: (m) => m.s[i]!.state !== 'inactive',
    check: () => true,
    run: async (m, r) => {
      expectStatus(r, await r.c.cipherAbort(handleOf(m.s[i]!)), PSA.SUCCESS, `psa_cipher_abort(#${i})`);
      deactivate(m.s[i]!);
    },
    toString: () => `psa_cipher_abort(op=#${i})`,
  })),
];

// ---------------------------------------------------------------- AEAD (AES-GCM)

interface AeadSlot extends SlotBase {
  encrypt: boolean;
  nonce?: Uint8Array;
  lengths?: { ad: number; pt: number };
  ad: Uint8Array;
  input: Uint8Array;
  output: Uint8Array;
  /** psa_aead_update was called (additional data is then closed). */
  started: boolean;
}
interface AeadModel {
  s: AeadSlot[];
}
type AeadCmd = Cmd<AeadModel>;
const GCM = Alg.GCM;

/** The plaintext and tag a decryption of `ct` must see: P = CTR(ct), T = tag of ct. */
function gcmExpected(r: Real, s: AeadSlot): { plaintext: Uint8Array; tag: Uint8Array } {
  const plaintext = O.aeadEncrypt(GCM, r.keyBytes, s.nonce!, s.ad, s.input, 16).ciphertext;
  return { plaintext, tag: O.aeadEncrypt(GCM, r.keyBytes, s.nonce!, s.ad, plaintext, 16).tag };
}

const aeadReady = (s: AeadSlot) => s.state === 'active' && !!s.nonce;
const aeadComplete = (s: AeadSlot) => !s.lengths || (s.ad.length === s.lengths.ad && s.input.length === s.lengths.pt);

const aeadCommands: fc.Arbitrary<AeadCmd>[] = [
  fc.tuple(slotArb, fc.boolean()).map(([i, encrypt]): AeadCmd => ({
    valid: (m) => m.s[i]!.state === 'inactive',
    check: (m) => m.s[i]!.state === 'inactive',
    run: async (m, r) => {
      const x = await r.c.aeadSetup(r.key, GCM, encrypt);
      expectStatus(r, x.status, PSA.SUCCESS, `psa_aead_${encrypt ? 'encrypt' : 'decrypt'}_setup(#${i})`);
      adopt(m.s, i, x.value!);
      Object.assign(m.s[i]!, { encrypt, nonce: undefined, lengths: undefined, ad: new Uint8Array(0), input: new Uint8Array(0), output: new Uint8Array(0), started: false });
    },
    toString: () => `psa_aead_${encrypt ? 'encrypt' : 'decrypt'}_setup(op=#${i}, GCM)`,
  })),
  fc.tuple(slotArb, fc.nat({ max: 20 }), fc.nat({ max: 30 })).map(([i, ad, pt]): AeadCmd => ({
    // setting the lengths twice is not specified; the model never does it
    valid: (m) => m.s[i]!.state === 'active' && !m.s[i]!.nonce,
    check: (m) => !m.s[i]!.lengths,
    run: async (m, r) => {
      const s = m.s[i]!;
      const st = await r.c.aeadSetLengths(handleOf(s), ad, pt);
      if (s.state !== 'active' || s.nonce) {
        expectStatus(r, st, PSA.ERROR_BAD_STATE, `psa_aead_set_lengths(#${i}) (${s.state !== 'active' ? s.state : 'after the nonce'})`);
        return errored(s);
      }
      expectStatus(r, st, PSA.SUCCESS, `psa_aead_set_lengths(#${i})`);
      s.lengths = { ad, pt };
    },
    toString: () => `psa_aead_set_lengths(op=#${i}, ad_length=${ad}, plaintext_length=${pt})`,
  })),
  fc.tuple(slotArb, fc.uint8Array({ minLength: 12, maxLength: 12 })).map(([i, nonce]): AeadCmd => ({
    valid: (m) => m.s[i]!.state === 'active' && !m.s[i]!.nonce,
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const st = await r.c.aeadSetNonce(handleOf(s), nonce);
      if (s.state !== 'active' || s.nonce) {
        expectStatus(r, st, PSA.ERROR_BAD_STATE, `psa_aead_set_nonce(#${i}) (${s.state !== 'active' ? s.state : 'nonce already set'})`);
        return errored(s);
      }
      expectStatus(r, st, PSA.SUCCESS, `psa_aead_set_nonce(#${i})`);
      s.nonce = nonce;
    },
    toString: () => `psa_aead_set_nonce(op=#${i}, nonce=${hex(nonce, 4)})`,
  })),
  slotArb.map((i): AeadCmd => ({
    valid: (m) => m.s[i]!.state === 'active' && m.s[i]!.encrypt && !m.s[i]!.nonce,
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const g = await r.c.aeadGenerateNonce(handleOf(s));
      if (s.state !== 'active' || !s.encrypt || s.nonce) {
        expectStatus(r, g.status, PSA.ERROR_BAD_STATE, `psa_aead_generate_nonce(#${i}) (${s.state !== 'active' ? s.state : !s.encrypt ? 'decryption' : 'nonce already set'})`);
        return errored(s);
      }
      expectStatus(r, g.status, PSA.SUCCESS, `psa_aead_generate_nonce(#${i})`);
      s.nonce = g.value!;
    },
    toString: () => `psa_aead_generate_nonce(op=#${i})`,
  })),
  fc.tuple(slotArb, fc.nat({ max: 12 })).map(([i, n]): AeadCmd => ({
    valid: (m) => aeadReady(m.s[i]!) && !m.s[i]!.started && (!m.s[i]!.lengths || m.s[i]!.ad.length + n <= m.s[i]!.lengths!.ad),
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const d = pattern(n, 400 + s.ad.length);
      const st = await r.c.aeadUpdateAd(handleOf(s), d);
      if (s.state !== 'active' || !s.nonce || s.started) {
        expectStatus(r, st, PSA.ERROR_BAD_STATE, `psa_aead_update_ad(#${i}) (${s.state !== 'active' ? s.state : !s.nonce ? 'no nonce' : 'after psa_aead_update'})`);
        return errored(s);
      }
      if (s.lengths && s.ad.length + n > s.lengths.ad) {
        expectStatus(r, st, PSA.ERROR_INVALID_ARGUMENT, `psa_aead_update_ad(#${i}) beyond the declared ${s.lengths.ad} bytes`);
        return errored(s);
      }
      expectStatus(r, st, PSA.SUCCESS, `psa_aead_update_ad(#${i})`);
      s.ad = concat(s.ad, d);
    },
    toString: () => `psa_aead_update_ad(op=#${i}, input_length=${n})`,
  })),
  // at least one byte: whether an empty psa_aead_update closes the additional data is not specified
  fc.tuple(slotArb, fc.integer({ min: 1, max: 20 })).map(([i, n]): AeadCmd => ({
    valid: (m) => aeadReady(m.s[i]!) && (!m.s[i]!.lengths || (m.s[i]!.ad.length === m.s[i]!.lengths!.ad && m.s[i]!.input.length + n <= m.s[i]!.lengths!.pt)),
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const d = pattern(n, 500 + s.input.length);
      const u = await r.c.aeadUpdate(handleOf(s), d);
      if (s.state !== 'active' || !s.nonce) {
        expectStatus(r, u.status, PSA.ERROR_BAD_STATE, `psa_aead_update(#${i}) (${s.state !== 'active' ? s.state : 'no nonce'})`);
        return errored(s);
      }
      if (s.lengths && (s.ad.length < s.lengths.ad || s.input.length + n > s.lengths.pt)) {
        expectStatus(r, u.status, PSA.ERROR_INVALID_ARGUMENT, `psa_aead_update(#${i}) (${s.ad.length < s.lengths.ad ? 'additional data incomplete' : 'more input than declared'})`);
        return errored(s);
      }
      expectStatus(r, u.status, PSA.SUCCESS, `psa_aead_update(#${i})`);
      s.started = true;
      s.input = concat(s.input, d);
      s.output = concat(s.output, u.value!);
    },
    toString: () => `psa_aead_update(op=#${i}, input_length=${n})`,
  })),
  slotArb.map((i): AeadCmd => ({
    valid: (m) => aeadReady(m.s[i]!) && m.s[i]!.encrypt && aeadComplete(m.s[i]!),
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const f = await r.c.aeadFinish(handleOf(s));
      if (s.state !== 'active' || !s.encrypt || !s.nonce) {
        expectStatus(r, f.status, PSA.ERROR_BAD_STATE, `psa_aead_finish(#${i}) (${s.state !== 'active' ? s.state : !s.encrypt ? 'decryption' : 'no nonce'})`);
        return errored(s);
      }
      if (s.lengths && (s.ad.length < s.lengths.ad || s.input.length < s.lengths.pt)) {
        expectStatus(r, f.status, PSA.ERROR_INVALID_ARGUMENT, `psa_aead_finish(#${i}) with less input than declared`);
        return errored(s);
      }
      expectStatus(r, f.status, PSA.SUCCESS, `psa_aead_finish(#${i})`);
      const ct = concat(s.output, f.value!.ciphertext);
      const back = O.aeadDecrypt(GCM, r.keyBytes, s.nonce, s.ad, ct, f.value!.tag);
      if (!back || hex(back) !== hex(s.input)) r.t.fail(`node:crypto does not authenticate the ciphertext and tag of #${i}`, { expected: 'an authentic GCM message', actual: `tag ${hex(f.value!.tag)}` });
      deactivate(s);
    },
    toString: () => `psa_aead_finish(op=#${i})`,
  })),
  fc.tuple(slotArb, fc.boolean()).map(([i, right]): AeadCmd => ({
    valid: (m) => aeadReady(m.s[i]!) && !m.s[i]!.encrypt && aeadComplete(m.s[i]!),
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const exp = s.nonce ? gcmExpected(r, s) : { plaintext: new Uint8Array(0), tag: new Uint8Array(16) };
      const v = await r.c.aeadVerify(handleOf(s), right ? exp.tag : flipBit(exp.tag, 3));
      if (s.state !== 'active' || s.encrypt || !s.nonce) {
        expectStatus(r, v.status, PSA.ERROR_BAD_STATE, `psa_aead_verify(#${i}) (${s.state !== 'active' ? s.state : s.encrypt ? 'encryption' : 'no nonce'})`);
        return errored(s);
      }
      if (s.lengths && (s.ad.length < s.lengths.ad || s.input.length < s.lengths.pt)) {
        expectStatus(r, v.status, PSA.ERROR_INVALID_ARGUMENT, `psa_aead_verify(#${i}) with less input than declared`);
        return errored(s);
      }
      if (!right) {
        expectStatus(r, v.status, PSA.ERROR_INVALID_SIGNATURE, `psa_aead_verify(#${i}) with a wrong tag`);
        return errored(s);
      }
      expectStatus(r, v.status, PSA.SUCCESS, `psa_aead_verify(#${i})`);
      expectOutput(r, concat(s.output, v.value!), exp.plaintext, `plaintext of #${i}`);
      deactivate(s);
    },
    toString: () => `psa_aead_verify(op=#${i}, ${right ? 'correct' : 'wrong'} tag)`,
  })),
  slotArb.map((i): AeadCmd => ({
    valid: (m) => m.s[i]!.state !== 'inactive',
    check: () => true,
    run: async (m, r) => {
      expectStatus(r, await r.c.aeadAbort(handleOf(m.s[i]!)), PSA.SUCCESS, `psa_aead_abort(#${i})`);
      deactivate(m.s[i]!);
    },
    toString: () => `psa_aead_abort(op=#${i})`,
  })),
];

// ---------------------------------------------------------------- key derivation (HKDF-SHA-256)

interface KdfSlot extends SlotBase {
  salt?: Uint8Array;
  secret?: Uint8Array;
  info?: Uint8Array;
  capacity: number;
  consumed: number;
}
interface KdfModel {
  s: KdfSlot[];
}
type KdfCmd = Cmd<KdfModel>;
const HKDF = C.hkdf(Alg.SHA_256);

function kdfInput(step: number, name: 'salt' | 'secret' | 'info'): fc.Arbitrary<KdfCmd> {
  return fc.tuple(slotArb, fc.uint8Array({ minLength: 1, maxLength: 20 })).map(([i, d]): KdfCmd => ({
    valid: (m) => { const s = m.s[i]!; return s.state === 'active' && !(s.consumed > 0 || s[name] !== undefined || (name === 'salt' && s.secret !== undefined)); },
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const st = await r.c.kdfInputBytes(handleOf(s), step, d);
      const outOfOrder = s.consumed > 0 || s[name] !== undefined || (name === 'salt' && s.secret !== undefined);
      if (s.state !== 'active' || outOfOrder) {
        expectStatus(r, st, PSA.ERROR_BAD_STATE, `input_bytes(#${i}, ${name}) (${s.state !== 'active' ? s.state : 'out of order or repeated'})`);
        return errored(s);
      }
      expectStatus(r, st, PSA.SUCCESS, `psa_key_derivation_input_bytes(#${i}, ${name})`);
      s[name] = d;
    },
    toString: () => `psa_key_derivation_input_bytes(op=#${i}, ${name.toUpperCase()}, ${d.length} bytes)`,
  }));
}

const kdfCommands: fc.Arbitrary<KdfCmd>[] = [
  slotArb.map((i): KdfCmd => ({
    valid: (m) => m.s[i]!.state === 'inactive',
    check: (m) => m.s[i]!.state === 'inactive',
    run: async (m, r) => {
      const x = await r.c.kdfSetup(HKDF);
      expectStatus(r, x.status, PSA.SUCCESS, `psa_key_derivation_setup(#${i})`);
      adopt(m.s, i, x.value!);
      const cap = await r.c.kdfGetCapacity(x.value!);
      expectStatus(r, cap.status, PSA.SUCCESS, `psa_key_derivation_get_capacity(#${i}) after setup`);
      Object.assign(m.s[i]!, { salt: undefined, secret: undefined, info: undefined, capacity: cap.value!, consumed: 0 });
    },
    toString: () => `psa_key_derivation_setup(op=#${i}, HKDF-SHA-256)`,
  })),
  kdfInput(KdfStep.SALT, 'salt'),
  kdfInput(KdfStep.SECRET, 'secret'),
  kdfInput(KdfStep.INFO, 'info'),
  fc.tuple(slotArb, fc.nat({ max: 40 })).map(([i, n]): KdfCmd => ({
    // not generated where the spec leaves the answer open: output with the secret but no
    // info, and a zero-length output from an empty capacity (SUCCESS or INSUFFICIENT_DATA)
    valid: (m) => m.s[i]!.state === 'active' && m.s[i]!.secret !== undefined,
    check: (m) => {
      const s = m.s[i]!;
      if (s.state !== 'active' || s.secret === undefined) return true;
      return s.info !== undefined && !(n === 0 && s.capacity === 0);
    },
    run: async (m, r) => {
      const s = m.s[i]!;
      const o = await r.c.kdfOutputBytes(handleOf(s), n);
      if (s.state !== 'active' || s.secret === undefined) {
        expectStatus(r, o.status, PSA.ERROR_BAD_STATE, `output_bytes(#${i}) (${s.state !== 'active' ? s.state : 'no secret'})`);
        return errored(s);
      }
      if (n > s.capacity) {
        expectStatus(r, o.status, PSA.ERROR_INSUFFICIENT_DATA, `output_bytes(#${i}, ${n}) with capacity ${s.capacity}`);
        s.capacity = 0;
        return;
      }
      expectStatus(r, o.status, PSA.SUCCESS, `psa_key_derivation_output_bytes(#${i}, ${n})`);
      const stream = O.hkdf(Alg.SHA_256, s.secret, s.salt ?? new Uint8Array(0), s.info!, s.consumed + n);
      expectOutput(r, o.value!, stream.subarray(s.consumed), `HKDF output bytes ${s.consumed}..${s.consumed + n} of #${i}`);
      s.consumed += n;
      s.capacity -= n;
    },
    toString: () => `psa_key_derivation_output_bytes(op=#${i}, ${n})`,
  })),
  fc.tuple(slotArb, fc.oneof({ arbitrary: fc.nat({ max: 48 }), weight: 3 }, { arbitrary: fc.nat({ max: 8200 }), weight: 1 })).map(([i, c]): KdfCmd => ({
    valid: (m) => m.s[i]!.state === 'active' && c <= m.s[i]!.capacity,
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const st = await r.c.kdfSetCapacity(handleOf(s), c);
      if (s.state !== 'active') {
        expectStatus(r, st, PSA.ERROR_BAD_STATE, `set_capacity(#${i}) on a ${s.state} operation`);
        return errored(s);
      }
      if (c > s.capacity) return expectStatus(r, st, PSA.ERROR_INVALID_ARGUMENT, `set_capacity(#${i}, ${c}) above the current ${s.capacity}`);
      expectStatus(r, st, PSA.SUCCESS, `psa_key_derivation_set_capacity(#${i}, ${c})`);
      s.capacity = c;
    },
    toString: () => `psa_key_derivation_set_capacity(op=#${i}, ${c})`,
  })),
  slotArb.map((i): KdfCmd => ({
    valid: (m) => m.s[i]!.state === 'active',
    check: () => true,
    run: async (m, r) => {
      const s = m.s[i]!;
      const g = await r.c.kdfGetCapacity(handleOf(s));
      if (s.state !== 'active') return expectStatus(r, g.status, PSA.ERROR_BAD_STATE, `get_capacity(#${i}) on a ${s.state} operation`);
      expectStatus(r, g.status, PSA.SUCCESS, `psa_key_derivation_get_capacity(#${i})`);
      if (g.value !== Math.min(s.capacity, 0xffffffff)) r.t.fail(`get_capacity(#${i}) reports ${g.value}`, { expected: String(s.capacity), actual: String(g.value) });
    },
    toString: () => `psa_key_derivation_get_capacity(op=#${i})`,
  })),
  slotArb.map((i): KdfCmd => ({
    valid: (m) => m.s[i]!.state !== 'inactive',
    check: () => true,
    run: async (m, r) => {
      expectStatus(r, await r.c.kdfAbort(handleOf(m.s[i]!)), PSA.SUCCESS, `psa_key_derivation_abort(#${i})`);
      deactivate(m.s[i]!);
    },
    toString: () => `psa_key_derivation_abort(op=#${i})`,
  })),
];

// ---------------------------------------------------------------- the checks

const CLAUSE = '3.3.2 Multi-part operations';
const BASE_REQ = 'Setup puts an inactive object into the active state; update keeps it active; a successful finish returns it to inactive; any error on an active object puts it in an error state that only abort clears; a call in the wrong state returns PSA_ERROR_BAD_STATE; abort on an inactive object has no effect; after abort the object can be set up again.';

async function importFor(t: CheckContext, type: number, alg: number, usage: number, keyBytes: Uint8Array, caps: string[]): Promise<number> {
  const r = await client(t).importKey({ type, usage, alg }, keyBytes);
  supported(t, r.status, caps, 'psa_import_key');
  expectPsa(t, r.status, PSA.SUCCESS, 'psa_import_key');
  t.defer(() => client(t).destroyKey(r.value!));
  return r.value!;
}

export default [
  checkModel<HashModel, Real>({
    id: 'psa-crypto.multipart.hash-model',
    title: 'random hash call sequences follow the multi-part state machine',
    spec: SPEC,
    clause: CLAUSE,
    level: 'MUST',
    requirement: `${BASE_REQ} For hash operations (setup, update, finish, verify with right and wrong hashes, abort, clone) on two objects; every hash matches node:crypto.`,
    services: ['crypto'],
    capabilities: [algCap(H)],
    numRuns: 40,
    maxCommands: 60,
    size: 'max',
    commands: () => favourValid(hashCommands),
    setup: async (t) => ({ model: { s: slots<HashSlot>(() => ({ data: new Uint8Array(0) })) }, real: { t, c: client(t), key: 0, keyBytes: new Uint8Array(0) } }),
    teardown: async (_t, r, m) => abortAll(r, m.s, (h) => r.c.hashAbort(h)),
  }),
  checkModel<MacModel, Real>({
    id: 'psa-crypto.multipart.mac-model',
    title: 'random MAC call sequences follow the multi-part state machine',
    spec: SPEC,
    clause: CLAUSE,
    level: 'MUST',
    requirement: `${BASE_REQ} For MAC operations (sign and verify setups, update, sign_finish, verify_finish with right and wrong MACs, abort); sign_finish on a verify operation and verify_finish on a sign operation return BAD_STATE; every MAC matches node:crypto.`,
    services: ['crypto'],
    capabilities: [algCap(HMAC), keyCap(KeyType.HMAC)],
    numRuns: 40,
    maxCommands: 60,
    size: 'max',
    commands: () => favourValid(macCommands),
    setup: async (t) => {
      const keyBytes = pattern(32, 600);
      const key = await importFor(t, KeyType.HMAC, HMAC, Usage.SIGN_MESSAGE | Usage.VERIFY_MESSAGE, keyBytes, [keyCap(KeyType.HMAC), algCap(HMAC)]);
      return { model: { s: slots<MacSlot>(() => ({ sign: true, data: new Uint8Array(0) })) }, real: { t, c: client(t), key, keyBytes } };
    },
    teardown: async (_t, r, m) => abortAll(r, m.s, (h) => r.c.macAbort(h)),
  }),
  checkModel<CipherModel, Real>({
    id: 'psa-crypto.multipart.cipher-model',
    title: 'random cipher call sequences follow the multi-part state machine',
    spec: SPEC,
    clause: CLAUSE,
    level: 'MUST',
    requirement: `${BASE_REQ} For AES-CBC cipher operations: generate_iv only on encryption and only once, set_iv only once, update and finish only with an IV; every output matches node:crypto.`,
    services: ['crypto'],
    capabilities: [algCap(CBC), keyCap(KeyType.AES)],
    numRuns: 40,
    maxCommands: 60,
    size: 'max',
    commands: () => favourValid(cipherCommands),
    setup: async (t) => {
      const keyBytes = pattern(16, 601);
      const key = await importFor(t, KeyType.AES, CBC, Usage.ENCRYPT | Usage.DECRYPT, keyBytes, [keyCap(KeyType.AES), algCap(CBC)]);
      return { model: { s: slots<CipherSlot>(() => ({ encrypt: true, input: new Uint8Array(0), output: new Uint8Array(0) })) }, real: { t, c: client(t), key, keyBytes } };
    },
    teardown: async (_t, r, m) => abortAll(r, m.s, (h) => r.c.cipherAbort(h)),
  }),
  checkModel<AeadModel, Real>({
    id: 'psa-crypto.multipart.aead-model',
    title: 'random AEAD call sequences follow the multi-part state machine',
    spec: SPEC,
    clause: CLAUSE,
    level: 'MUST',
    requirement: `${BASE_REQ} For AES-GCM operations: set_lengths only before the nonce, generate_nonce only on encryption, one nonce, additional data only before data and within the declared lengths, finish only on encryption and verify only on decryption; ciphertexts, tags and plaintexts match node:crypto.`,
    services: ['crypto'],
    capabilities: [algCap(GCM), keyCap(KeyType.AES)],
    numRuns: 40,
    maxCommands: 60,
    size: 'max',
    commands: () => favourValid(aeadCommands),
    setup: async (t) => {
      const keyBytes = pattern(16, 602);
      const key = await importFor(t, KeyType.AES, GCM, Usage.ENCRYPT | Usage.DECRYPT, keyBytes, [keyCap(KeyType.AES), algCap(GCM)]);
      return {
        model: { s: slots<AeadSlot>(() => ({ encrypt: true, ad: new Uint8Array(0), input: new Uint8Array(0), output: new Uint8Array(0), started: false })) },
        real: { t, c: client(t), key, keyBytes },
      };
    },
    teardown: async (_t, r, m) => abortAll(r, m.s, (h) => r.c.aeadAbort(h)),
  }),
  checkModel<KdfModel, Real>({
    id: 'psa-crypto.multipart.kdf-model',
    title: 'random key derivation call sequences follow the state machine',
    spec: SPEC,
    clause: '10.6.3 Key derivation functions',
    level: 'MUST',
    requirement: `${BASE_REQ} For HKDF-SHA-256: salt only before the secret, each input once, no input after output, output only with the inputs complete; INSUFFICIENT_DATA empties the capacity without an error state, set_capacity never raises it; every output byte matches node:crypto HKDF.`,
    services: ['crypto'],
    capabilities: [algCap(HKDF)],
    numRuns: 40,
    maxCommands: 60,
    size: 'max',
    commands: () => favourValid(kdfCommands),
    setup: async (t) => ({ model: { s: slots<KdfSlot>(() => ({ capacity: 0, consumed: 0 })) }, real: { t, c: client(t), key: 0, keyBytes: new Uint8Array(0) } }),
    teardown: async (_t, r, m) => abortAll(r, m.s, (h) => r.c.kdfAbort(h)),
  }),
];
