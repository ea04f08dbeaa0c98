// Cryptographic primitives of the reference crypto service, built on
// @noble/hashes, @noble/ciphers and @noble/curves. noble's block cipher,
// hashes, HMAC, CMAC, GHASH, Poly1305 and ChaCha20 are used as they are;
// what noble does not offer is composed here from them: the streaming
// (multi-part) forms of the cipher modes, and GCM, CCM and
// ChaCha20-Poly1305 as streams, because PSA multi-part operations must
// release output as input arrives (psa_cipher_update / psa_aead_update).
import { md5, ripemd160, sha1 } from '@noble/hashes/legacy.js';
import { sha224, sha256, sha384, sha512, sha512_224, sha512_256 } from '@noble/hashes/sha2.js';
import { sha3_224, sha3_256, sha3_384, sha3_512 } from '@noble/hashes/sha3.js';
import { hmac } from '@noble/hashes/hmac.js';
import type { CHash } from '@noble/hashes/utils.js';
import { cmac, unsafe } from '@noble/ciphers/aes.js';
import { ghash } from '@noble/ciphers/_polyval.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { chacha20, chacha20orig } from '@noble/ciphers/chacha.js';
import { PSA } from '../../protocol/psa/status.js';
import { Alg, KeyType } from '../../protocol/psa/crypto/constants.js';
import { algName } from '../../protocol/psa/crypto/names.js';
import { concat } from '../../protocol/bytes.js';
import { fail } from './errors.js';

// ---------------------------------------------------------------- hashes

export const HASHES: Record<number, CHash> = {
  [Alg.MD5]: md5 as CHash,
  [Alg.RIPEMD160]: ripemd160 as CHash,
  [Alg.SHA_1]: sha1 as CHash,
  [Alg.SHA_224]: sha224 as CHash,
  [Alg.SHA_256]: sha256 as CHash,
  [Alg.SHA_384]: sha384 as CHash,
  [Alg.SHA_512]: sha512 as CHash,
  [Alg.SHA_512_224]: sha512_224 as CHash,
  [Alg.SHA_512_256]: sha512_256 as CHash,
  [Alg.SHA3_224]: sha3_224 as CHash,
  [Alg.SHA3_256]: sha3_256 as CHash,
  [Alg.SHA3_384]: sha3_384 as CHash,
  [Alg.SHA3_512]: sha3_512 as CHash,
};

/** The noble hash for a PSA hash algorithm, or NOT_SUPPORTED. */
export function hashFn(h: number): CHash {
  const f = HASHES[h];
  if (!f) fail(PSA.ERROR_NOT_SUPPORTED, `hash ${algName(h)} is not implemented`);
  return f;
}

export interface Incremental {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
}

export const hashOnce = (h: number, data: Uint8Array): Uint8Array => hashFn(h)(data);
export const hmacOnce = (h: number, key: Uint8Array, data: Uint8Array): Uint8Array => hmac(hashFn(h), key, data);
export const hmacCreate = (h: number, key: Uint8Array): Incremental => hmac.create(hashFn(h), key);
export const cmacCreate = (key: Uint8Array): Incremental => cmac.create(key);

// ---------------------------------------------------------------- AES block

export class AesBlock {
  private readonly enc: Uint32Array;
  private dec?: Uint32Array;
  constructor(private readonly key: Uint8Array) {
    if (![16, 24, 32].includes(key.length)) fail(PSA.ERROR_INVALID_ARGUMENT, `AES key of ${key.length} bytes`);
    this.enc = unsafe.expandKeyLE(key);
  }
  encrypt(block: Uint8Array): Uint8Array {
    return unsafe.encryptBlock(this.enc, block.slice());
  }
  decrypt(block: Uint8Array): Uint8Array {
    this.dec ??= unsafe.expandKeyDecLE(this.key);
    return unsafe.decryptBlock(this.dec, block.slice());
  }
}

const xor = (a: Uint8Array, b: Uint8Array, n = a.length): Uint8Array => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = a[i]! ^ b[i]!;
  return out;
};

/** Adds 1 to a big-endian counter held in the last `width` bytes of `block` (wrapping within them). */
function incrementBE(block: Uint8Array, width: number): void {
  for (let i = block.length - 1; i >= block.length - width; i--) {
    block[i] = (block[i]! + 1) & 0xff;
    if (block[i] !== 0) return;
  }
}

/** CTR keystream over a block cipher; `counterBytes` of the block count (16 = the whole block, 4 = GCM inc32). */
class CtrStream {
  private ks: Uint8Array = new Uint8Array(0);
  private pos = 0;
  constructor(
    private readonly aes: AesBlock,
    private readonly counter: Uint8Array,
    private readonly counterBytes: number,
  ) {}
  xor(data: Uint8Array): Uint8Array {
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      if (this.pos === this.ks.length) {
        this.ks = this.aes.encrypt(this.counter);
        incrementBE(this.counter, this.counterBytes);
        this.pos = 0;
      }
      out[i] = data[i]! ^ this.ks[this.pos++]!;
    }
    return out;
  }
}

// ---------------------------------------------------------------- unauthenticated cipher streams

export interface CipherStream {
  update(input: Uint8Array): Uint8Array;
  /** Final output; throws PsaError (INVALID_ARGUMENT, INVALID_PADDING). */
  finish(): Uint8Array;
}

/** Block modes: input buffered to whole blocks; `holdLast` keeps the last full block for unpadding. */
class BlockModeStream implements CipherStream {
  private buf: Uint8Array = new Uint8Array(0);
  private prev: Uint8Array;
  constructor(
    private readonly aes: AesBlock,
    private readonly mode: 'ecb' | 'cbc',
    private readonly encrypt: boolean,
    private readonly pkcs7: boolean,
    iv: Uint8Array,
  ) {
    this.prev = iv.slice();
  }
  private block(b: Uint8Array): Uint8Array {
    if (this.mode === 'ecb') return this.encrypt ? this.aes.encrypt(b) : this.aes.decrypt(b);
    if (this.encrypt) {
      const c = this.aes.encrypt(xor(b, this.prev));
      this.prev = c;
      return c;
    }
    const p = xor(this.aes.decrypt(b), this.prev);
    this.prev = b.slice();
    return p;
  }
  update(input: Uint8Array): Uint8Array {
    this.buf = concat(this.buf, input);
    const hold = !this.encrypt && this.pkcs7 ? 1 : 0;
    let n = Math.floor(this.buf.length / 16);
    if (hold && n * 16 === this.buf.length) n -= 1;
    if (n <= 0) return new Uint8Array(0);
    const out = new Uint8Array(n * 16);
    for (let i = 0; i < n; i++) out.set(this.block(this.buf.subarray(i * 16, i * 16 + 16)), i * 16);
    this.buf = this.buf.slice(n * 16);
    return out;
  }
  finish(): Uint8Array {
    if (this.encrypt && this.pkcs7) {
      const pad = 16 - this.buf.length;
      const last = concat(this.buf, new Uint8Array(pad).fill(pad));
      this.buf = new Uint8Array(0);
      return this.block(last);
    }
    if (!this.encrypt && this.pkcs7) {
      if (this.buf.length !== 16) fail(PSA.ERROR_INVALID_ARGUMENT, 'PKCS#7 ciphertext is not a positive whole number of blocks');
      const p = this.block(this.buf);
      const pad = p[15]!;
      let bad = pad === 0 || pad > 16 ? 1 : 0;
      for (let i = 16 - Math.min(Math.max(pad, 1), 16); i < 16; i++) bad |= p[i]! ^ pad ? 1 : 0;
      if (bad) fail(PSA.ERROR_INVALID_PADDING, 'invalid PKCS#7 padding');
      return p.slice(0, 16 - pad);
    }
    if (this.buf.length !== 0) fail(PSA.ERROR_INVALID_ARGUMENT, `input is not a whole number of 16-byte blocks (${this.buf.length} byte(s) left over)`);
    return new Uint8Array(0);
  }
}

class CtrModeStream implements CipherStream {
  private readonly ctr: CtrStream;
  constructor(aes: AesBlock, iv: Uint8Array) {
    const counter = new Uint8Array(16);
    counter.set(iv);
    this.ctr = new CtrStream(aes, counter, 16);
  }
  update(input: Uint8Array): Uint8Array {
    return this.ctr.xor(input);
  }
  finish(): Uint8Array {
    return new Uint8Array(0);
  }
}

/** CFB with a segment of one block (CFB-128), partial final block allowed. */
class CfbStream implements CipherStream {
  private reg: Uint8Array;
  private next: Uint8Array = new Uint8Array(16);
  private ks: Uint8Array = new Uint8Array(16);
  private pos = 16;
  constructor(
    private readonly aes: AesBlock,
    iv: Uint8Array,
    private readonly encrypt: boolean,
  ) {
    this.reg = iv.slice();
  }
  update(input: Uint8Array): Uint8Array {
    const out = new Uint8Array(input.length);
    for (let i = 0; i < input.length; i++) {
      if (this.pos === 16) {
        // a new segment: the register holds the previous ciphertext block (or the IV)
        this.ks = this.aes.encrypt(this.reg);
        this.pos = 0;
      }
      const c = this.encrypt ? input[i]! ^ this.ks[this.pos]! : input[i]!;
      out[i] = input[i]! ^ this.ks[this.pos]!;
      this.next[this.pos] = c;
      this.pos += 1;
      if (this.pos === 16) this.reg = this.next.slice();
    }
    return out;
  }
  finish(): Uint8Array {
    return new Uint8Array(0);
  }
}

class OfbStream implements CipherStream {
  private reg: Uint8Array;
  private pos = 16;
  constructor(
    private readonly aes: AesBlock,
    iv: Uint8Array,
  ) {
    this.reg = iv.slice();
  }
  update(input: Uint8Array): Uint8Array {
    const out = new Uint8Array(input.length);
    for (let i = 0; i < input.length; i++) {
      if (this.pos === 16) {
        this.reg = this.aes.encrypt(this.reg);
        this.pos = 0;
      }
      out[i] = input[i]! ^ this.reg[this.pos++]!;
    }
    return out;
  }
  finish(): Uint8Array {
    return new Uint8Array(0);
  }
}

/** ChaCha20 keystream (RFC 8439: 12-byte nonce, 32-bit counter; original: 8-byte nonce). */
class ChachaStream implements CipherStream {
  private ks: Uint8Array = new Uint8Array(0);
  private pos = 0;
  constructor(
    private readonly key: Uint8Array,
    private readonly nonce: Uint8Array,
    private counter: number,
  ) {}
  private refill(): void {
    const f = this.nonce.length === 8 ? chacha20orig : chacha20;
    if (this.counter > 0xffffffff) fail(PSA.ERROR_INVALID_ARGUMENT, 'ChaCha20 block counter exhausted');
    this.ks = f(this.key, this.nonce, new Uint8Array(64), undefined, this.counter);
    this.counter += 1;
    this.pos = 0;
  }
  update(input: Uint8Array): Uint8Array {
    const out = new Uint8Array(input.length);
    for (let i = 0; i < input.length; i++) {
      if (this.pos === this.ks.length) this.refill();
      out[i] = input[i]! ^ this.ks[this.pos++]!;
    }
    return out;
  }
  finish(): Uint8Array {
    return new Uint8Array(0);
  }
}

/**
 * A cipher stream for `alg` with `key` of `keyType`, once the IV is known.
 * The caller has already checked that the algorithm and key type match.
 */
export function cipherStream(keyType: number, key: Uint8Array, alg: number, encrypt: boolean, iv: Uint8Array): CipherStream {
  if (keyType === KeyType.CHACHA20 && alg === Alg.STREAM_CIPHER) {
    if (iv.length === 12) return new ChachaStream(key, iv, 0);
    if (iv.length === 16) {
      const counter = new DataView(iv.buffer, iv.byteOffset, 4).getUint32(0, true);
      return new ChachaStream(key, iv.slice(4), counter);
    }
    if (iv.length === 8) return new ChachaStream(key, iv, 0);
    fail(PSA.ERROR_INVALID_ARGUMENT, `ChaCha20 IV of ${iv.length} bytes (12, 16 or 8 are valid)`);
  }
  const aes = new AesBlock(key);
  switch (alg) {
    case Alg.ECB_NO_PADDING:
      return new BlockModeStream(aes, 'ecb', encrypt, false, new Uint8Array(16));
    case Alg.CBC_NO_PADDING:
      return new BlockModeStream(aes, 'cbc', encrypt, false, iv);
    case Alg.CBC_PKCS7:
      return new BlockModeStream(aes, 'cbc', encrypt, true, iv);
    case Alg.CTR:
      return new CtrModeStream(aes, iv);
    case Alg.CFB:
      return new CfbStream(aes, iv, encrypt);
    case Alg.OFB:
      return new OfbStream(aes, iv);
  }
  return fail(PSA.ERROR_NOT_SUPPORTED, `cipher ${algName(alg)} is not implemented`);
}

// ---------------------------------------------------------------- AEAD streams

export interface AeadStream {
  updateAd(ad: Uint8Array): void;
  update(input: Uint8Array): Uint8Array;
  /** Encrypt: remaining ciphertext (always empty here) and the tag. */
  finish(): { output: Uint8Array; tag: Uint8Array };
  /** Decrypt: the computed tag, for the caller's constant-time comparison. */
  computeTag(): Uint8Array;
}

/** Feeds a MAC in whole 16-byte blocks; `pad()` zero-fills the partial block (GCM, CCM, Poly1305 framing). */
class Padded16 {
  private part: Uint8Array = new Uint8Array(0);
  constructor(private readonly sink: (block: Uint8Array) => void) {}
  push(data: Uint8Array): void {
    const buf = this.part.length ? concat(this.part, data) : data;
    const n = Math.floor(buf.length / 16) * 16;
    if (n) this.sink(buf.subarray(0, n));
    this.part = buf.slice(n);
  }
  pad(): void {
    if (this.part.length) {
      const b = new Uint8Array(16);
      b.set(this.part);
      this.sink(b);
      this.part = new Uint8Array(0);
    }
  }
}

const u64be = (n: number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), false);
  return b;
};
const u64le = (n: number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};

/**
 * GCM and ChaCha20-Poly1305 share their framing: the additional data, then
 * the ciphertext, each zero-padded to 16 bytes into a MAC, then a block of
 * the two lengths. Subclasses give the key stream and the final tag.
 */
abstract class PaddedMacStream implements AeadStream {
  protected abstract readonly feed: Padded16;
  private adLen = 0;
  private ctLen = 0;
  private inData = false;
  constructor(private readonly encrypt: boolean) {}
  protected abstract keystream(input: Uint8Array): Uint8Array;
  protected abstract tag(adLen: number, ctLen: number): Uint8Array;
  updateAd(ad: Uint8Array): void {
    this.feed.push(ad);
    this.adLen += ad.length;
  }
  update(input: Uint8Array): Uint8Array {
    if (!this.inData) {
      this.feed.pad();
      this.inData = true;
    }
    const out = this.keystream(input);
    this.feed.push(this.encrypt ? out : input);
    this.ctLen += input.length;
    return out;
  }
  computeTag(): Uint8Array {
    this.feed.pad();
    return this.tag(this.adLen, this.ctLen);
  }
  finish() {
    return { output: new Uint8Array(0), tag: this.computeTag() };
  }
}

/** GCM (SP 800-38D §7) as a stream: CTR with inc32 from inc32(J0), GHASH over AAD and ciphertext. */
class GcmStream extends PaddedMacStream {
  private readonly aes: AesBlock;
  private readonly ctr: CtrStream;
  private readonly ekj0: Uint8Array;
  private readonly gh: ReturnType<typeof ghash.create>;
  protected readonly feed: Padded16;
  constructor(
    key: Uint8Array,
    nonce: Uint8Array,
    encrypt: boolean,
    private readonly tagLength: number,
  ) {
    super(encrypt);
    this.aes = new AesBlock(key);
    const h = this.aes.encrypt(new Uint8Array(16));
    let j0: Uint8Array;
    if (nonce.length === 12) {
      j0 = new Uint8Array(16);
      j0.set(nonce);
      j0[15] = 1;
    } else {
      const g = ghash.create(h);
      const padded = new Uint8Array(Math.ceil(nonce.length / 16) * 16);
      padded.set(nonce);
      g.update(padded);
      g.update(concat(new Uint8Array(8), u64be(nonce.length * 8)));
      j0 = g.digest();
    }
    this.ekj0 = this.aes.encrypt(j0);
    const counter = j0.slice();
    incrementBE(counter, 4);
    this.ctr = new CtrStream(this.aes, counter, 4);
    this.gh = ghash.create(h);
    this.feed = new Padded16((b) => this.gh.update(b));
  }
  protected keystream(input: Uint8Array): Uint8Array {
    return this.ctr.xor(input);
  }
  protected tag(adLen: number, ctLen: number): Uint8Array {
    this.gh.update(concat(u64be(adLen * 8), u64be(ctLen * 8)));
    return xor(this.gh.digest(), this.ekj0).slice(0, this.tagLength);
  }
}

/** CCM (SP 800-38C §6) as a stream; the lengths are known in advance (psa_aead_set_lengths). */
class CcmStream implements AeadStream {
  private readonly aes: AesBlock;
  private mac: Uint8Array = new Uint8Array(16);
  private readonly feed: Padded16;
  private readonly ctr: CtrStream;
  private readonly s0: Uint8Array;
  private inData = false;
  constructor(
    key: Uint8Array,
    nonce: Uint8Array,
    private readonly encrypt: boolean,
    private readonly tagLength: number,
    adLength: number,
    plaintextLength: number,
  ) {
    this.aes = new AesBlock(key);
    const q = 15 - nonce.length;
    const b0 = new Uint8Array(16);
    b0[0] = (adLength > 0 ? 0x40 : 0) | (((tagLength - 2) / 2) << 3) | (q - 1);
    b0.set(nonce, 1);
    let len = plaintextLength;
    for (let i = 15; i > 15 - q; i--) {
      b0[i] = len & 0xff;
      len = Math.floor(len / 256);
    }
    this.feed = new Padded16((blocks) => {
      for (let i = 0; i < blocks.length; i += 16) this.mac = this.aes.encrypt(xor(this.mac, blocks.subarray(i, i + 16)));
    });
    this.feed.push(b0);
    if (adLength > 0) {
      // a < 2^16 - 2^8: two bytes; otherwise 0xff 0xfe and four bytes (a < 2^32 here)
      this.feed.push(adLength < 0xff00 ? new Uint8Array([adLength >> 8, adLength & 0xff]) : concat(new Uint8Array([0xff, 0xfe]), u64be(adLength).subarray(4)));
    }
    const a0 = new Uint8Array(16);
    a0[0] = q - 1;
    a0.set(nonce, 1);
    this.s0 = this.aes.encrypt(a0);
    const a1 = a0.slice();
    a1[15] = 1;
    this.ctr = new CtrStream(this.aes, a1, q);
  }
  updateAd(ad: Uint8Array): void {
    this.feed.push(ad);
  }
  update(input: Uint8Array): Uint8Array {
    if (!this.inData) {
      this.feed.pad();
      this.inData = true;
    }
    const out = this.ctr.xor(input);
    this.feed.push(this.encrypt ? input : out);
    return out;
  }
  computeTag(): Uint8Array {
    this.feed.pad();
    return xor(this.mac, this.s0, this.tagLength);
  }
  finish() {
    return { output: new Uint8Array(0), tag: this.computeTag() };
  }
}

/** ChaCha20-Poly1305 (RFC 8439 §2.8) as a stream. */
class ChachaPolyStream extends PaddedMacStream {
  private readonly stream: ChachaStream;
  private readonly poly: ReturnType<typeof poly1305.create>;
  protected readonly feed: Padded16;
  constructor(key: Uint8Array, nonce: Uint8Array, encrypt: boolean) {
    super(encrypt);
    const polyKey = chacha20(key, nonce, new Uint8Array(32), undefined, 0);
    this.poly = poly1305.create(polyKey);
    this.stream = new ChachaStream(key, nonce, 1);
    this.feed = new Padded16((b) => this.poly.update(b));
  }
  protected keystream(input: Uint8Array): Uint8Array {
    return this.stream.update(input);
  }
  protected tag(adLen: number, ctLen: number): Uint8Array {
    this.poly.update(concat(u64le(adLen), u64le(ctLen)));
    return this.poly.digest();
  }
}

export interface AeadParams {
  base: number;
  tagLength: number;
  nonce: Uint8Array;
  encrypt: boolean;
  adLength?: number;
  plaintextLength?: number;
}

export function aeadStream(key: Uint8Array, p: AeadParams): AeadStream {
  if (p.base === Alg.GCM) return new GcmStream(key, p.nonce, p.encrypt, p.tagLength);
  if (p.base === Alg.CCM) return new CcmStream(key, p.nonce, p.encrypt, p.tagLength, p.adLength ?? 0, p.plaintextLength ?? 0);
  if (p.base === Alg.CHACHA20_POLY1305) return new ChachaPolyStream(key, p.nonce, p.encrypt);
  return fail(PSA.ERROR_NOT_SUPPORTED, `AEAD ${algName(p.base)} is not implemented`);
}

/** Constant-time equality of two byte strings (length leaks, content does not). */
export function ctEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
