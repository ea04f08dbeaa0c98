// The reference PSA Crypto service behind the Trusted Services packed-c
// crypto protocol: decodes a request with protocol/psa/crypto/codec,
// applies PSA Certified Crypto API 1.2.1 semantics, encodes the answer.
// Malformed bodies answer PSA_ERROR_INVALID_ARGUMENT (as the storage
// service does); unknown opcodes PSA_ERROR_NOT_SUPPORTED. Multi-part
// operations are addressed by the u32 op_handle that setup returns, as in
// the TS provider: an unknown or finished handle answers BAD_STATE, abort of
// an unknown handle succeeds.
import { randomBytes, randomInt } from 'node:crypto';
import { DecodeError } from '../../protocol/bytes.js';
import { PSA } from '../../protocol/psa/status.js';
import * as C from '../../protocol/psa/crypto/constants.js';
import { decodeRequest, encodeResponse, type KeyAttributes, type RequestOpcode, type Response } from '../../protocol/psa/crypto/codec.js';
import { algName, keyIdName, keyTypeName, stepName, usageName } from '../../protocol/psa/crypto/names.js';
import type { ServiceResponse } from '../../protocol/services.js';
import type { StackEnv } from '../stack.js';
import { mergeConfig } from '../config.js';
import { ecdh, ecdsaSign, ecdsaVerify, eddsaSign, eddsaVerify, rsaDecrypt, rsaEncrypt, rsaSign, rsaVerify } from './asym.js';
import { fail, failKeepingState, PsaError } from './errors.js';
import { KdfInputs, kdfOutput, kdfSpec, TLS12_PSK_MAX } from './kdf.js';
import { deriveMaterial, generateMaterial, importMaterial, type KeyMaterial } from './keys.js';
import { KeyStore, type Key } from './keystore.js';
import { algPermits, effectiveUsage, intersectAlg } from './policy.js';
import {
  aeadStream,
  cipherStream,
  cmacCreate,
  ctEqual,
  hashFn,
  hashOnce,
  hmacCreate,
  type AeadStream,
  type CipherStream,
  type Incremental,
} from './primitives.js';

const { Alg, KeyType, Usage, KdfStep, CryptoOpcode: Op } = C;
const EMPTY = new Uint8Array(0);

export interface CryptoConfig {
  /** Multi-part operations open at once; more answer PSA_ERROR_INSUFFICIENT_MEMORY at setup. */
  maxOperations: number;
  maxVolatileKeys: number;
  /** Largest psa_generate_random request. */
  maxRandomBytes: number;
  /** Largest PBKDF2 iteration count the reference computes (larger: NOT_SUPPORTED). */
  maxPbkdf2Cost: number;
  /** Limits of the ITS partition "crypto" that holds persistent keys. */
  storage: { maxAssetSize: number; capacity: number; maxAssets: number };
}

export function defaultCryptoConfig(): CryptoConfig {
  return {
    maxOperations: 64,
    maxVolatileKeys: 1024,
    maxRandomBytes: 16384,
    maxPbkdf2Cost: 1_000_000,
    storage: { maxAssetSize: 8192, capacity: 1 << 20, maxAssets: 512 },
  };
}

export function cryptoConfig(env: StackEnv): CryptoConfig {
  const cfg = mergeConfig(defaultCryptoConfig(), env.config.crypto);
  for (const k of ['maxOperations', 'maxVolatileKeys', 'maxRandomBytes', 'maxPbkdf2Cost'] as const) {
    if (!Number.isSafeInteger(cfg[k]) || cfg[k] < 1) throw new Error(`reference config: crypto.${k} must be a positive integer, got ${JSON.stringify(cfg[k])}`);
  }
  return cfg;
}

// ---------------------------------------------------------------- operations

interface OpBase {
  errored: boolean;
}
interface HashOp extends OpBase {
  kind: 'hash';
  alg: number;
  h: ReturnType<ReturnType<typeof hashFn>['create']>;
}
interface MacOp extends OpBase {
  kind: 'mac';
  alg: number;
  sign: boolean;
  length: number;
  inst: Incremental;
}
interface CipherOp extends OpBase {
  kind: 'cipher';
  alg: number;
  encrypt: boolean;
  key: KeyMaterial;
  ivLength: number;
  stream?: CipherStream;
}
interface AeadOp extends OpBase {
  kind: 'aead';
  alg: number;
  base: number;
  tagLength: number;
  encrypt: boolean;
  key: KeyMaterial;
  lengths?: { ad: number; plaintext: number };
  stream?: AeadStream;
  adSoFar: number;
  dataSoFar: number;
  dataStarted: boolean;
}
interface KdfOp extends OpBase {
  kind: 'kdf';
  alg: number;
  /** The standalone key agreement when set up with KEY_AGREEMENT(ka, kdf). */
  ka: number;
  inputs: KdfInputs;
  capacity: number;
  consumed: number;
  outputStarted: boolean;
  /** Inputs so far allow output_key / output_bytes (PSA_KEY_USAGE_DERIVE rules). */
  secretFromKey: boolean;
  allDerive: boolean;
}
type Operation = HashOp | MacOp | CipherOp | AeadOp | KdfOp;

const GCM_TAGS = new Set([4, 8, 12, 13, 14, 15, 16]);
const CCM_TAGS = new Set([4, 6, 8, 10, 12, 14, 16]);
const MIN_MAC_LENGTH = 4;
/** Output bytes one derivation produces in total (one answer carries at most a 64 KiB TLV record). */
const MAX_KDF_OUTPUT = 65535;

export class CryptoService {
  private readonly ops = new Map<number, Operation>();
  private nextHandle = randomInt(1, 0x10000);

  constructor(
    private readonly keys: KeyStore,
    private readonly cfg: CryptoConfig,
  ) {}

  // ---------------------------------------------------------- helpers

  private async keyFor(id: number, usage: number, alg: number, what: string): Promise<Key> {
    const k = await this.keys.get(id);
    if ((k.attrs.usage & usage) !== usage) {
      fail(PSA.ERROR_NOT_PERMITTED, `${what}: key ${keyIdName(id)} has usage ${usageName(k.attrs.usage)}, lacking ${usageName(usage)}`);
    }
    if (!algPermits(k.attrs.alg, alg)) {
      fail(PSA.ERROR_NOT_PERMITTED, `${what}: key ${keyIdName(id)} permits ${algName(k.attrs.alg)}, not ${algName(alg)}`);
    }
    return k;
  }

  private newOp(op: Operation): number {
    if (this.ops.size >= this.cfg.maxOperations) fail(PSA.ERROR_INSUFFICIENT_MEMORY, `${this.ops.size} operations are already active`);
    const h = this.nextHandle;
    this.nextHandle = this.nextHandle >= 0xffffffff ? 1 : this.nextHandle + 1;
    this.ops.set(h, op);
    return h;
  }

  private withOp<K extends Operation['kind'], T>(handle: number, kind: K, fn: (op: Extract<Operation, { kind: K }>) => T): T {
    const op = this.ops.get(handle);
    if (!op || op.kind !== kind) fail(PSA.ERROR_BAD_STATE, `no active ${kind} operation with handle ${handle}`);
    if (op.errored) fail(PSA.ERROR_BAD_STATE, `the ${kind} operation is in an error state; abort it`);
    try {
      return fn(op as Extract<Operation, { kind: K }>);
    } catch (e) {
      if (e instanceof PsaError && !e.keepsState) op.errored = true;
      throw e;
    }
  }

  private async withOpAsync<K extends Operation['kind'], T>(handle: number, kind: K, fn: (op: Extract<Operation, { kind: K }>) => Promise<T>): Promise<T> {
    const op = this.ops.get(handle);
    if (!op || op.kind !== kind) fail(PSA.ERROR_BAD_STATE, `no active ${kind} operation with handle ${handle}`);
    if (op.errored) fail(PSA.ERROR_BAD_STATE, `the ${kind} operation is in an error state; abort it`);
    try {
      return await fn(op as Extract<Operation, { kind: K }>);
    } catch (e) {
      if (e instanceof PsaError && !e.keepsState) op.errored = true;
      throw e;
    }
  }

  private abort(handle: number, kind: Operation['kind']): void {
    const op = this.ops.get(handle);
    if (op && op.kind === kind) this.ops.delete(handle);
  }

  get activeOperations(): number {
    return this.ops.size;
  }

  // ---------------------------------------------------------- key management (9.6)

  private async createKey(attrs: KeyAttributes, material: KeyMaterial): Promise<number> {
    return this.keys.create(attrs, material);
  }

  async importKey(attrs: KeyAttributes, data: Uint8Array): Promise<number> {
    if (attrs.type === KeyType.NONE) fail(PSA.ERROR_INVALID_ARGUMENT, 'key type PSA_KEY_TYPE_NONE');
    KeyStore.checkLocation(attrs);
    return this.createKey(attrs, importMaterial(attrs.type, attrs.bits, data));
  }

  async generateKey(attrs: KeyAttributes): Promise<number> {
    if (attrs.type === KeyType.NONE) fail(PSA.ERROR_INVALID_ARGUMENT, 'key type PSA_KEY_TYPE_NONE');
    KeyStore.checkLocation(attrs);
    return this.createKey(attrs, generateMaterial(attrs.type, attrs.bits));
  }

  async copyKey(source: number, attrs: KeyAttributes): Promise<number> {
    const k = await this.keys.get(source);
    if (!(k.attrs.usage & Usage.COPY)) fail(PSA.ERROR_NOT_PERMITTED, `key ${keyIdName(source)} lacks PSA_KEY_USAGE_COPY`);
    if (attrs.type !== 0 && attrs.type !== k.attrs.type) fail(PSA.ERROR_INVALID_ARGUMENT, `type ${keyTypeName(attrs.type)} differs from the source's ${keyTypeName(k.attrs.type)}`);
    if (attrs.bits !== 0 && attrs.bits !== k.attrs.bits) fail(PSA.ERROR_INVALID_ARGUMENT, `${attrs.bits} bits differ from the source's ${k.attrs.bits}`);
    const alg = intersectAlg(k.attrs.alg, attrs.alg);
    if (alg === undefined) fail(PSA.ERROR_INVALID_ARGUMENT, `policies ${algName(k.attrs.alg)} and ${algName(attrs.alg)} have no algorithm in common`);
    KeyStore.checkLocation(attrs);
    const usage = effectiveUsage(k.attrs.usage) & effectiveUsage(attrs.usage);
    return this.createKey({ ...attrs, type: k.attrs.type, bits: k.attrs.bits, usage, alg }, k.material);
  }

  async exportKey(id: number): Promise<Uint8Array> {
    const k = await this.keys.get(id);
    if (!C.isPublicKeyType(k.attrs.type) && !(k.attrs.usage & Usage.EXPORT)) {
      fail(PSA.ERROR_NOT_PERMITTED, `key ${keyIdName(id)} lacks PSA_KEY_USAGE_EXPORT`);
    }
    return k.material.data;
  }

  async exportPublicKey(id: number): Promise<Uint8Array> {
    const k = await this.keys.get(id);
    if (!C.isAsymmetricType(k.attrs.type)) fail(PSA.ERROR_INVALID_ARGUMENT, `${keyTypeName(k.attrs.type)} has no public part`);
    return k.material.publicData!;
  }

  // ---------------------------------------------------------- signatures (10.7)

  private signCompat(k: Key, alg: number, needPair: boolean): void {
    const t = k.attrs.type;
    if (needPair && !C.isKeyPairType(t)) fail(PSA.ERROR_INVALID_ARGUMENT, `${keyTypeName(t)} is not a key pair`);
    if (!C.isAsymmetricType(t)) fail(PSA.ERROR_INVALID_ARGUMENT, `${keyTypeName(t)} is not an asymmetric key`);
    const curve = k.material.curve;
    if (C.isEcdsa(alg) && !(C.isEccType(t) && curve?.kind === 'weierstrass')) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} needs a Weierstrass curve key, not ${keyTypeName(t)}`);
    if (alg === Alg.PURE_EDDSA && !(C.isEccType(t) && curve?.kind === 'edwards')) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} needs an Edwards curve key`);
    if ((C.isRsaPkcs1v15Sign(alg) || C.isRsaPss(alg)) && !C.isRsaType(t)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} needs an RSA key`);
    if (C.isHashEddsa(alg)) fail(PSA.ERROR_NOT_SUPPORTED, `${algName(alg)} is not implemented`);
  }

  private checkHashInput(alg: number, hash: Uint8Array): void {
    const h = C.hashOf(alg);
    if (h === 0 || alg === Alg.PURE_EDDSA) return; // RAW, ECDSA_ANY
    if (h === Alg.ANY_HASH) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is a wildcard policy, not an algorithm`);
    hashFn(h);
    if (hash.length !== C.hashLength(h)) fail(PSA.ERROR_INVALID_ARGUMENT, `hash of ${hash.length} bytes for ${algName(alg)} (${C.hashLength(h)} expected)`);
  }

  private signWith(k: Key, alg: number, input: Uint8Array): Uint8Array {
    if (C.isEcdsa(alg)) {
      if (alg === Alg.ECDSA_ANY && input.length === 0) fail(PSA.ERROR_INVALID_ARGUMENT, 'empty hash');
      return ecdsaSign(k.material, alg, input);
    }
    if (alg === Alg.PURE_EDDSA) return eddsaSign(k.material, input);
    return rsaSign(k.material, alg, input);
  }

  private verifyWith(k: Key, alg: number, input: Uint8Array, sig: Uint8Array): boolean {
    if (C.isEcdsa(alg)) return ecdsaVerify(k.material, alg, input, sig);
    if (alg === Alg.PURE_EDDSA) return eddsaVerify(k.material, input, sig);
    return rsaVerify(k.material, alg, input, sig);
  }

  async signHash(id: number, alg: number, hash: Uint8Array): Promise<Uint8Array> {
    if (!C.isSignHash(alg)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is not a hash signature algorithm`);
    const k = await this.keyFor(id, Usage.SIGN_HASH, alg, 'psa_sign_hash');
    this.signCompat(k, alg, true);
    this.checkHashInput(alg, hash);
    return this.signWith(k, alg, hash);
  }

  async verifyHash(id: number, alg: number, hash: Uint8Array, sig: Uint8Array): Promise<void> {
    if (!C.isSignHash(alg)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is not a hash signature algorithm`);
    const k = await this.keyFor(id, Usage.VERIFY_HASH, alg, 'psa_verify_hash');
    this.signCompat(k, alg, false);
    this.checkHashInput(alg, hash);
    if (!this.verifyWith(k, alg, hash, sig)) fail(PSA.ERROR_INVALID_SIGNATURE, 'the signature does not verify');
  }

  private messageInput(alg: number, message: Uint8Array): Uint8Array {
    return alg === Alg.PURE_EDDSA ? message : hashOnce(C.hashOf(alg), message);
  }

  async signMessage(id: number, alg: number, message: Uint8Array): Promise<Uint8Array> {
    if (!C.isSignMessage(alg)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is not a message signature algorithm`);
    const k = await this.keyFor(id, Usage.SIGN_MESSAGE, alg, 'psa_sign_message');
    this.signCompat(k, alg, true);
    return this.signWith(k, alg, this.messageInput(alg, message));
  }

  async verifyMessage(id: number, alg: number, message: Uint8Array, sig: Uint8Array): Promise<void> {
    if (!C.isSignMessage(alg)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is not a message signature algorithm`);
    const k = await this.keyFor(id, Usage.VERIFY_MESSAGE, alg, 'psa_verify_message');
    this.signCompat(k, alg, false);
    if (!this.verifyWith(k, alg, this.messageInput(alg, message), sig)) fail(PSA.ERROR_INVALID_SIGNATURE, 'the signature does not verify');
  }

  // ---------------------------------------------------------- asymmetric encryption (10.8)

  private pkeCompat(k: Key, alg: number, needPair: boolean): void {
    if (!C.isAsymmetricEncryption(alg)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is not an asymmetric encryption algorithm`);
    if (!C.isRsaType(k.attrs.type)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} needs an RSA key, not ${keyTypeName(k.attrs.type)}`);
    if (needPair && !C.isKeyPairType(k.attrs.type)) fail(PSA.ERROR_INVALID_ARGUMENT, 'decryption needs the key pair');
  }

  async asymmetricEncrypt(id: number, alg: number, input: Uint8Array, salt: Uint8Array): Promise<Uint8Array> {
    if (!C.isAsymmetricEncryption(alg)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is not an asymmetric encryption algorithm`);
    const k = await this.keyFor(id, Usage.ENCRYPT, alg, 'psa_asymmetric_encrypt');
    this.pkeCompat(k, alg, false);
    return rsaEncrypt(k.material, alg, input, salt);
  }

  async asymmetricDecrypt(id: number, alg: number, input: Uint8Array, salt: Uint8Array): Promise<Uint8Array> {
    if (!C.isAsymmetricEncryption(alg)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is not an asymmetric encryption algorithm`);
    const k = await this.keyFor(id, Usage.DECRYPT, alg, 'psa_asymmetric_decrypt');
    this.pkeCompat(k, alg, true);
    return rsaDecrypt(k.material, alg, input, salt);
  }

  // ---------------------------------------------------------- random (10.10)

  generateRandom(size: number): Uint8Array {
    if (size > this.cfg.maxRandomBytes) fail(PSA.ERROR_INSUFFICIENT_MEMORY, `${size} random bytes exceed the ${this.cfg.maxRandomBytes} one call returns`);
    return new Uint8Array(randomBytes(size));
  }

  // ---------------------------------------------------------- hash (10.2)

  hashSetup(alg: number): number {
    if (!C.isHash(alg)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is not a hash algorithm`);
    if (alg === Alg.ANY_HASH) fail(PSA.ERROR_INVALID_ARGUMENT, 'PSA_ALG_ANY_HASH is a wildcard, not a hash algorithm');
    const h = hashFn(alg).create();
    return this.newOp({ kind: 'hash', alg, h, errored: false });
  }

  hashUpdate(handle: number, data: Uint8Array): void {
    this.withOp(handle, 'hash', (op) => op.h.update(data));
  }

  hashFinish(handle: number): Uint8Array {
    const out = this.withOp(handle, 'hash', (op) => op.h.digest());
    this.ops.delete(handle);
    return out;
  }

  hashVerify(handle: number, expected: Uint8Array): void {
    this.withOp(handle, 'hash', (op) => {
      if (!ctEqual(op.h.digest(), expected)) fail(PSA.ERROR_INVALID_SIGNATURE, 'the hash differs from the expected value');
    });
    this.ops.delete(handle);
  }

  hashClone(handle: number): number {
    const copy = this.withOp(handle, 'hash', (op) => op.h.clone());
    const op = this.ops.get(handle) as HashOp;
    return this.newOp({ kind: 'hash', alg: op.alg, h: copy, errored: false });
  }

  // ---------------------------------------------------------- MAC (10.3)

  async macSetup(id: number, alg: number, sign: boolean): Promise<number> {
    if (!C.isMac(alg)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is not a MAC algorithm`);
    const fn = sign ? 'psa_mac_sign_setup' : 'psa_mac_verify_setup';
    const k = await this.keyFor(id, sign ? Usage.SIGN_MESSAGE : Usage.VERIFY_MESSAGE, alg, fn);
    return this.newOp({ kind: 'mac', alg, sign, errored: false, ...this.macInstance(k, alg) });
  }

  private macInstance(k: Key, alg: number): { length: number; inst: Incremental } {
    if (C.hasAtLeastFlag(alg)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is a wildcard policy, not an algorithm`);
    const t = k.attrs.type;
    let full: number;
    let inst: Incremental;
    if (C.isHmac(alg)) {
      if (t !== KeyType.HMAC) fail(PSA.ERROR_INVALID_ARGUMENT, `HMAC needs a PSA_KEY_TYPE_HMAC key, not ${keyTypeName(t)}`);
      const h = C.hashOf(alg);
      if (h === Alg.ANY_HASH) fail(PSA.ERROR_INVALID_ARGUMENT, 'HMAC with PSA_ALG_ANY_HASH');
      inst = hmacCreate(h, k.material.data);
      full = C.hashLength(h);
    } else if (C.macBaseOf(alg) === Alg.CMAC) {
      if (t !== KeyType.AES) fail(t === KeyType.DES || t === KeyType.ARIA || t === KeyType.CAMELLIA || t === KeyType.SM4 ? PSA.ERROR_NOT_SUPPORTED : PSA.ERROR_INVALID_ARGUMENT, `CMAC with ${keyTypeName(t)}`);
      inst = cmacCreate(k.material.data);
      full = 16;
    } else if (C.macBaseOf(alg) === Alg.CBC_MAC) {
      return fail(PSA.ERROR_NOT_SUPPORTED, 'CBC-MAC is not implemented (insecure; CMAC is)');
    } else {
      return fail(PSA.ERROR_NOT_SUPPORTED, `MAC ${algName(alg)} is not implemented`);
    }
    const trunc = C.macTruncationOf(alg);
    if (trunc && (trunc > full || trunc < MIN_MAC_LENGTH)) fail(PSA.ERROR_INVALID_ARGUMENT, `MAC truncated to ${trunc} bytes (${MIN_MAC_LENGTH}..${full})`);
    return { length: trunc || full, inst };
  }

  macUpdate(handle: number, data: Uint8Array): void {
    this.withOp(handle, 'mac', (op) => op.inst.update(data));
  }

  macSignFinish(handle: number): Uint8Array {
    const out = this.withOp(handle, 'mac', (op) => {
      if (!op.sign) fail(PSA.ERROR_BAD_STATE, 'psa_mac_sign_finish on a verify operation');
      return op.inst.digest().slice(0, op.length);
    });
    this.ops.delete(handle);
    return out;
  }

  macVerifyFinish(handle: number, mac: Uint8Array): void {
    this.withOp(handle, 'mac', (op) => {
      if (op.sign) fail(PSA.ERROR_BAD_STATE, 'psa_mac_verify_finish on a sign operation');
      if (!ctEqual(op.inst.digest().slice(0, op.length), mac)) fail(PSA.ERROR_INVALID_SIGNATURE, 'the MAC does not match');
    });
    this.ops.delete(handle);
  }

  // ---------------------------------------------------------- cipher (10.4)

  async cipherSetup(id: number, alg: number, encrypt: boolean): Promise<number> {
    if (!C.isCipher(alg)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is not a cipher algorithm`);
    const fn = encrypt ? 'psa_cipher_encrypt_setup' : 'psa_cipher_decrypt_setup';
    const k = await this.keyFor(id, encrypt ? Usage.ENCRYPT : Usage.DECRYPT, alg, fn);
    const t = k.attrs.type;
    if (alg === Alg.CCM_STAR_ANY_TAG) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is a wildcard policy, not an algorithm`);
    if (alg === Alg.XTS || alg === Alg.CCM_STAR_NO_TAG) fail(PSA.ERROR_NOT_SUPPORTED, `${algName(alg)} is not implemented`);
    if (alg === Alg.STREAM_CIPHER) {
      if (t !== KeyType.CHACHA20) fail(t === KeyType.ARC4 || t === KeyType.XCHACHA20 ? PSA.ERROR_NOT_SUPPORTED : PSA.ERROR_INVALID_ARGUMENT, `stream cipher with ${keyTypeName(t)}`);
    } else if ([Alg.ECB_NO_PADDING, Alg.CBC_NO_PADDING, Alg.CBC_PKCS7, Alg.CTR, Alg.CFB, Alg.OFB].includes(alg as never)) {
      if (t !== KeyType.AES) {
        fail(C.blockSizeOfType(t) > 1 ? PSA.ERROR_NOT_SUPPORTED : PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} with ${keyTypeName(t)}`);
      }
    } else {
      fail(PSA.ERROR_NOT_SUPPORTED, `cipher ${algName(alg)} is not implemented`);
    }
    const ivLength = C.cipherIvLength(t, alg);
    const op: CipherOp = { kind: 'cipher', alg, encrypt, key: k.material, ivLength, errored: false };
    if (ivLength === 0) op.stream = cipherStream(t, k.material.data, alg, encrypt, EMPTY);
    return this.newOp(op);
  }

  cipherGenerateIv(handle: number): Uint8Array {
    return this.withOp(handle, 'cipher', (op) => {
      if (op.ivLength === 0) fail(PSA.ERROR_BAD_STATE, `${algName(op.alg)} uses no IV`);
      if (!op.encrypt) fail(PSA.ERROR_BAD_STATE, 'psa_cipher_generate_iv on a decryption operation');
      if (op.stream) fail(PSA.ERROR_BAD_STATE, 'the IV is already set');
      const iv = new Uint8Array(randomBytes(op.ivLength));
      op.stream = cipherStream(op.key.type, op.key.data, op.alg, true, iv);
      return iv;
    });
  }

  cipherSetIv(handle: number, iv: Uint8Array): void {
    this.withOp(handle, 'cipher', (op) => {
      if (op.ivLength === 0) fail(PSA.ERROR_BAD_STATE, `${algName(op.alg)} uses no IV`);
      if (op.stream) fail(PSA.ERROR_BAD_STATE, 'the IV is already set');
      const ok = op.alg === Alg.CTR ? iv.length >= 1 && iv.length <= 16 : op.alg === Alg.STREAM_CIPHER ? [12, 16, 8].includes(iv.length) : iv.length === op.ivLength;
      if (!ok) fail(PSA.ERROR_INVALID_ARGUMENT, `IV of ${iv.length} bytes for ${algName(op.alg)}`);
      op.stream = cipherStream(op.key.type, op.key.data, op.alg, op.encrypt, iv);
    });
  }

  cipherUpdate(handle: number, data: Uint8Array): Uint8Array {
    return this.withOp(handle, 'cipher', (op) => {
      if (!op.stream) fail(PSA.ERROR_BAD_STATE, 'the IV is not set');
      return op.stream.update(data);
    });
  }

  cipherFinish(handle: number): Uint8Array {
    const out = this.withOp(handle, 'cipher', (op) => {
      if (!op.stream) fail(PSA.ERROR_BAD_STATE, 'the IV is not set');
      return op.stream.finish();
    });
    this.ops.delete(handle);
    return out;
  }

  // ---------------------------------------------------------- AEAD (10.5)

  async aeadSetup(id: number, alg: number, encrypt: boolean): Promise<number> {
    if (!C.isAead(alg)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is not an AEAD algorithm`);
    const fn = encrypt ? 'psa_aead_encrypt_setup' : 'psa_aead_decrypt_setup';
    const k = await this.keyFor(id, encrypt ? Usage.ENCRYPT : Usage.DECRYPT, alg, fn);
    if (C.hasAtLeastFlag(alg)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is a wildcard policy, not an algorithm`);
    const base = C.aeadWithDefaultLengthTag(alg);
    const tagLength = C.aeadTagLengthOf(alg);
    const t = k.attrs.type;
    if (base === Alg.GCM || base === Alg.CCM) {
      if (t !== KeyType.AES) fail(C.blockSizeOfType(t) === 16 ? PSA.ERROR_NOT_SUPPORTED : PSA.ERROR_INVALID_ARGUMENT, `${algName(base)} with ${keyTypeName(t)}`);
      const valid = base === Alg.GCM ? GCM_TAGS : CCM_TAGS;
      if (!valid.has(tagLength)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(base)} tag of ${tagLength} bytes`);
    } else if (base === Alg.CHACHA20_POLY1305) {
      if (t !== KeyType.CHACHA20) fail(PSA.ERROR_INVALID_ARGUMENT, `ChaCha20-Poly1305 with ${keyTypeName(t)}`);
      if (tagLength !== 16) fail(PSA.ERROR_NOT_SUPPORTED, 'ChaCha20-Poly1305 with a truncated tag');
    } else {
      fail(PSA.ERROR_NOT_SUPPORTED, `AEAD ${algName(alg)} is not implemented`);
    }
    return this.newOp({ kind: 'aead', alg, base, tagLength, encrypt, key: k.material, errored: false, adSoFar: 0, dataSoFar: 0, dataStarted: false });
  }

  aeadSetLengths(handle: number, ad: number, plaintext: number): void {
    this.withOp(handle, 'aead', (op) => {
      if (op.stream) fail(PSA.ERROR_BAD_STATE, 'psa_aead_set_lengths after the nonce was set');
      if (op.lengths) fail(PSA.ERROR_BAD_STATE, 'the lengths are already set');
      op.lengths = { ad, plaintext };
    });
  }

  private startAead(op: AeadOp, nonce: Uint8Array): void {
    if (op.base === Alg.CCM) {
      const q = 15 - nonce.length;
      if (op.lengths!.plaintext >= 2 ** (8 * q)) fail(PSA.ERROR_INVALID_ARGUMENT, `plaintext length ${op.lengths!.plaintext} does not fit a CCM nonce of ${nonce.length} bytes`);
    }
    op.stream = aeadStream(op.key.data, {
      base: op.base,
      tagLength: op.tagLength,
      nonce,
      encrypt: op.encrypt,
      adLength: op.lengths?.ad,
      plaintextLength: op.lengths?.plaintext,
    });
  }

  aeadGenerateNonce(handle: number): Uint8Array {
    return this.withOp(handle, 'aead', (op) => {
      if (!op.encrypt) fail(PSA.ERROR_BAD_STATE, 'psa_aead_generate_nonce on a decryption operation');
      if (op.stream) fail(PSA.ERROR_BAD_STATE, 'the nonce is already set');
      if (op.base === Alg.CCM && !op.lengths) fail(PSA.ERROR_BAD_STATE, 'CCM needs psa_aead_set_lengths before the nonce');
      let len = C.aeadNonceLength(op.base);
      if (op.base === Alg.CCM) {
        let l = 2;
        while (op.lengths!.plaintext >= 2 ** (8 * l)) l += 1;
        len = 15 - l;
      }
      const nonce = new Uint8Array(randomBytes(len));
      this.startAead(op, nonce);
      return nonce;
    });
  }

  aeadSetNonce(handle: number, nonce: Uint8Array): void {
    this.withOp(handle, 'aead', (op) => {
      if (op.stream) fail(PSA.ERROR_BAD_STATE, 'the nonce is already set');
      if (op.base === Alg.CCM && !op.lengths) fail(PSA.ERROR_BAD_STATE, 'CCM needs psa_aead_set_lengths before the nonce');
      const n = nonce.length;
      if (op.base === Alg.GCM && (n < 1 || n > 128)) fail(n === 0 ? PSA.ERROR_INVALID_ARGUMENT : PSA.ERROR_NOT_SUPPORTED, `GCM nonce of ${n} bytes`);
      if (op.base === Alg.CCM && (n < 7 || n > 13)) fail(PSA.ERROR_INVALID_ARGUMENT, `CCM nonce of ${n} bytes (7..13)`);
      if (op.base === Alg.CHACHA20_POLY1305 && n !== 12) fail(n === 8 ? PSA.ERROR_NOT_SUPPORTED : PSA.ERROR_INVALID_ARGUMENT, `ChaCha20-Poly1305 nonce of ${n} bytes`);
      this.startAead(op, nonce);
    });
  }

  aeadUpdateAd(handle: number, data: Uint8Array): void {
    this.withOp(handle, 'aead', (op) => {
      if (!op.stream) fail(PSA.ERROR_BAD_STATE, 'no nonce set');
      if (op.dataStarted) fail(PSA.ERROR_BAD_STATE, 'psa_aead_update_ad after psa_aead_update');
      if (op.lengths && op.adSoFar + data.length > op.lengths.ad) fail(PSA.ERROR_INVALID_ARGUMENT, `additional data exceeds the ${op.lengths.ad} bytes declared`);
      op.stream.updateAd(data);
      op.adSoFar += data.length;
    });
  }

  aeadUpdate(handle: number, data: Uint8Array): Uint8Array {
    return this.withOp(handle, 'aead', (op) => {
      if (!op.stream) fail(PSA.ERROR_BAD_STATE, 'no nonce set');
      if (op.lengths) {
        if (op.adSoFar < op.lengths.ad) fail(PSA.ERROR_INVALID_ARGUMENT, `additional data incomplete (${op.adSoFar} of ${op.lengths.ad} bytes)`);
        if (op.dataSoFar + data.length > op.lengths.plaintext) fail(PSA.ERROR_INVALID_ARGUMENT, `input exceeds the ${op.lengths.plaintext} bytes declared`);
      }
      op.dataStarted = true;
      op.dataSoFar += data.length;
      return op.stream.update(data);
    });
  }

  private checkComplete(op: AeadOp): void {
    if (!op.lengths) return;
    if (op.adSoFar < op.lengths.ad) fail(PSA.ERROR_INVALID_ARGUMENT, `additional data incomplete (${op.adSoFar} of ${op.lengths.ad} bytes)`);
    if (op.dataSoFar < op.lengths.plaintext) fail(PSA.ERROR_INVALID_ARGUMENT, `input incomplete (${op.dataSoFar} of ${op.lengths.plaintext} bytes)`);
  }

  aeadFinish(handle: number): { ciphertext: Uint8Array; tag: Uint8Array } {
    const out = this.withOp(handle, 'aead', (op) => {
      if (!op.encrypt) fail(PSA.ERROR_BAD_STATE, 'psa_aead_finish on a decryption operation');
      if (!op.stream) fail(PSA.ERROR_BAD_STATE, 'no nonce set');
      this.checkComplete(op);
      const f = op.stream.finish();
      return { ciphertext: f.output, tag: f.tag };
    });
    this.ops.delete(handle);
    return out;
  }

  aeadVerify(handle: number, tag: Uint8Array): Uint8Array {
    this.withOp(handle, 'aead', (op) => {
      if (op.encrypt) fail(PSA.ERROR_BAD_STATE, 'psa_aead_verify on an encryption operation');
      if (!op.stream) fail(PSA.ERROR_BAD_STATE, 'no nonce set');
      this.checkComplete(op);
      if (!ctEqual(op.stream.computeTag(), tag)) fail(PSA.ERROR_INVALID_SIGNATURE, 'the tag does not match');
    });
    this.ops.delete(handle);
    return EMPTY;
  }

  // ---------------------------------------------------------- key derivation (10.6) and agreement (10.9)

  kdfSetup(alg: number): number {
    let ka = 0;
    let kdf = alg;
    if (C.isKeyAgreement(alg)) {
      if (C.isStandaloneKeyAgreement(alg)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is a standalone key agreement, not a key derivation`);
      ka = C.kaBaseOf(alg);
      kdf = C.kdfOf(alg);
      if (ka !== Alg.ECDH) fail(PSA.ERROR_NOT_SUPPORTED, `key agreement ${algName(ka)} is not implemented`);
    } else if (!C.isKeyDerivation(alg)) {
      fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is not a key derivation algorithm`);
    }
    const spec = kdfSpec(kdf);
    return this.newOp({
      kind: 'kdf',
      alg,
      ka,
      inputs: new KdfInputs(spec),
      capacity: spec.capacity,
      consumed: 0,
      outputStarted: false,
      secretFromKey: false,
      allDerive: true,
      errored: false,
    });
  }

  kdfGetCapacity(handle: number): number {
    return this.withOp(handle, 'kdf', (op) => op.capacity);
  }

  kdfSetCapacity(handle: number, capacity: number): void {
    this.withOp(handle, 'kdf', (op) => {
      if (capacity > op.capacity) failKeepingState(PSA.ERROR_INVALID_ARGUMENT, `capacity ${capacity} exceeds the current ${op.capacity}`);
      op.capacity = capacity;
    });
  }

  private checkInputAllowed(op: KdfOp, step: number, kind: 'bytes' | 'key' | 'integer' | 'agreement'): void {
    if (op.outputStarted) fail(PSA.ERROR_BAD_STATE, 'inputs after output has been produced');
    const secretStep = step === KdfStep.SECRET || (step === KdfStep.OTHER_SECRET && C.isTls12PskToMs(op.inputs.spec.alg));
    if (op.ka && kind !== 'agreement' && step === KdfStep.SECRET) fail(PSA.ERROR_INVALID_ARGUMENT, `with ${algName(op.alg)} the secret comes from psa_key_derivation_key_agreement`);
    if (kind === 'agreement') {
      if (!op.ka) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(op.alg)} is not a key agreement algorithm`);
      if (!secretStep) fail(PSA.ERROR_INVALID_ARGUMENT, `${stepName(step)} does not take a key agreement result`);
    }
    op.inputs.accept(step, kind === 'agreement' ? 'key' : kind);
  }

  private setInput(op: KdfOp, step: number, value: Uint8Array): void {
    if (step === KdfStep.SECRET && C.isTls12PskToMs(op.inputs.spec.alg) && value.length > TLS12_PSK_MAX) {
      fail(PSA.ERROR_INVALID_ARGUMENT, `PSK of ${value.length} bytes exceeds ${TLS12_PSK_MAX}`);
    }
    op.inputs.set(step, value);
  }

  kdfInputBytes(handle: number, step: number, data: Uint8Array): void {
    this.withOp(handle, 'kdf', (op) => {
      this.checkInputAllowed(op, step, 'bytes');
      this.setInput(op, step, data);
    });
  }

  kdfInputInteger(handle: number, step: number, value: bigint): void {
    this.withOp(handle, 'kdf', (op) => {
      this.checkInputAllowed(op, step, 'integer');
      if (value === 0n) fail(PSA.ERROR_INVALID_ARGUMENT, 'PBKDF2 iteration count 0');
      if (value > BigInt(this.cfg.maxPbkdf2Cost)) fail(PSA.ERROR_NOT_SUPPORTED, `iteration count ${value} exceeds ${this.cfg.maxPbkdf2Cost}`);
      op.inputs.cost = value;
    });
  }

  private static readonly STEP_KEY_TYPES: Record<number, number[]> = {
    [KdfStep.SECRET]: [KeyType.DERIVE],
    [KdfStep.PASSWORD]: [KeyType.DERIVE, KeyType.PASSWORD],
    [KdfStep.OTHER_SECRET]: [KeyType.DERIVE],
    [KdfStep.SALT]: [KeyType.RAW_DATA, KeyType.PEPPER],
    [KdfStep.INFO]: [KeyType.RAW_DATA],
    [KdfStep.LABEL]: [KeyType.RAW_DATA],
    [KdfStep.SEED]: [KeyType.RAW_DATA],
    [KdfStep.CONTEXT]: [KeyType.RAW_DATA],
  };

  async kdfInputKey(handle: number, step: number, id: number): Promise<void> {
    await this.withOpAsync(handle, 'kdf', async (op) => {
      const k = await this.keys.get(id);
      const derive = (k.attrs.usage & Usage.DERIVE) !== 0;
      if (!derive && !(k.attrs.usage & Usage.VERIFY_DERIVATION)) fail(PSA.ERROR_NOT_PERMITTED, `key ${keyIdName(id)} has neither DERIVE nor VERIFY_DERIVATION`);
      if (!algPermits(k.attrs.alg, op.alg)) fail(PSA.ERROR_NOT_PERMITTED, `key ${keyIdName(id)} permits ${algName(k.attrs.alg)}, not ${algName(op.alg)}`);
      const allowed = CryptoService.STEP_KEY_TYPES[step] ?? [];
      this.checkInputAllowed(op, step, 'key');
      if (!allowed.includes(k.attrs.type)) fail(PSA.ERROR_INVALID_ARGUMENT, `${stepName(step)} does not take a ${keyTypeName(k.attrs.type)} key`);
      this.setInput(op, step, k.material.data);
      if (op.inputs.spec.secretSteps.includes(step)) op.secretFromKey = true;
      op.allDerive &&= derive;
    });
  }

  async kdfKeyAgreement(handle: number, step: number, id: number, peer: Uint8Array): Promise<void> {
    await this.withOpAsync(handle, 'kdf', async (op) => {
      if (!op.ka) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(op.alg)} is not a key agreement algorithm`);
      const k = await this.keyFor(id, Usage.DERIVE, op.alg, 'psa_key_derivation_key_agreement');
      this.checkInputAllowed(op, step, 'agreement');
      this.setInput(op, step, this.agree(k, op.ka, peer));
      if (op.inputs.spec.secretSteps.includes(step)) op.secretFromKey = true;
    });
  }

  private agree(k: Key, ka: number, peer: Uint8Array): Uint8Array {
    if (ka !== Alg.ECDH) fail(PSA.ERROR_NOT_SUPPORTED, `key agreement ${algName(ka)} is not implemented`);
    if (!(C.isEccType(k.attrs.type) && C.isKeyPairType(k.attrs.type)) || k.material.curve?.kind === 'edwards') {
      fail(PSA.ERROR_INVALID_ARGUMENT, `ECDH needs a Weierstrass or Montgomery key pair, not ${keyTypeName(k.attrs.type)}`);
    }
    return ecdh(k.material, peer);
  }

  async rawKeyAgreement(alg: number, id: number, peer: Uint8Array): Promise<Uint8Array> {
    if (!C.isKeyAgreement(alg) || !C.isStandaloneKeyAgreement(alg)) fail(PSA.ERROR_INVALID_ARGUMENT, `${algName(alg)} is not a standalone key agreement`);
    const k = await this.keyFor(id, Usage.DERIVE, alg, 'psa_raw_key_agreement');
    return this.agree(k, alg, peer);
  }

  private take(op: KdfOp, n: number): Uint8Array {
    if (n > op.capacity) {
      op.capacity = 0;
      failKeepingState(PSA.ERROR_INSUFFICIENT_DATA, `${n} bytes requested, the capacity is lower`);
    }
    if (op.consumed + n > MAX_KDF_OUTPUT) fail(PSA.ERROR_INSUFFICIENT_MEMORY, `the reference produces at most ${MAX_KDF_OUTPUT} bytes per derivation`);
    op.outputStarted = true;
    const all = kdfOutput(op.inputs, op.consumed + n);
    const out = all.slice(op.consumed, op.consumed + n);
    op.consumed += n;
    op.capacity -= n;
    return out;
  }

  private checkOutputReady(op: KdfOp): void {
    if (!op.inputs.complete) fail(PSA.ERROR_BAD_STATE, 'the required inputs are not complete');
    if (!op.allDerive) fail(PSA.ERROR_NOT_PERMITTED, 'an input key lacks PSA_KEY_USAGE_DERIVE');
  }

  kdfOutputBytes(handle: number, length: number): Uint8Array {
    return this.withOp(handle, 'kdf', (op) => {
      this.checkOutputReady(op);
      return this.take(op, length);
    });
  }

  async kdfOutputKey(handle: number, attrs: KeyAttributes): Promise<number> {
    return this.withOpAsync(handle, 'kdf', async (op) => {
      this.checkOutputReady(op);
      if (!op.secretFromKey) fail(PSA.ERROR_NOT_PERMITTED, 'the secret input was not a key: psa_key_derivation_output_key is not permitted');
      if (attrs.type === KeyType.PASSWORD_HASH && attrs.alg !== op.alg) fail(PSA.ERROR_INVALID_ARGUMENT, 'a PASSWORD_HASH key must permit the derivation algorithm');
      if (attrs.type === KeyType.NONE) fail(PSA.ERROR_INVALID_ARGUMENT, 'key type PSA_KEY_TYPE_NONE');
      KeyStore.checkLocation(attrs);
      const material = deriveMaterial(attrs.type, attrs.bits, (n) => this.take(op, n));
      return this.createKey(attrs, material);
    });
  }

  // ---------------------------------------------------------- dispatch

  async handle(opcode: number, body: Uint8Array): Promise<ServiceResponse> {
    const ok = <O extends RequestOpcode>(o: O, v: Response<O>): ServiceResponse => ({ status: PSA.SUCCESS, body: encodeResponse(o, v) });
    const done = { status: PSA.SUCCESS, body: EMPTY };
    const req = <O extends RequestOpcode>(o: O) => decodeRequest(o, body);
    switch (opcode) {
      case Op.GENERATE_KEY:
        return ok(Op.GENERATE_KEY, { id: await this.generateKey(req(Op.GENERATE_KEY).attributes) });
      case Op.DESTROY_KEY:
        await this.keys.destroy(req(Op.DESTROY_KEY).id);
        return done;
      case Op.EXPORT_KEY:
        return ok(Op.EXPORT_KEY, { data: await this.exportKey(req(Op.EXPORT_KEY).id) });
      case Op.EXPORT_PUBLIC_KEY:
        return ok(Op.EXPORT_PUBLIC_KEY, { data: await this.exportPublicKey(req(Op.EXPORT_PUBLIC_KEY).id) });
      case Op.IMPORT_KEY: {
        const r = req(Op.IMPORT_KEY);
        return ok(Op.IMPORT_KEY, { id: await this.importKey(r.attributes, r.data) });
      }
      case Op.SIGN_HASH: {
        const r = req(Op.SIGN_HASH);
        return ok(Op.SIGN_HASH, { signature: await this.signHash(r.id, r.alg, r.hash) });
      }
      case Op.VERIFY_HASH: {
        const r = req(Op.VERIFY_HASH);
        await this.verifyHash(r.id, r.alg, r.hash, r.signature);
        return done;
      }
      case Op.SIGN_MESSAGE: {
        const r = req(Op.SIGN_MESSAGE);
        return ok(Op.SIGN_MESSAGE, { signature: await this.signMessage(r.id, r.alg, r.hash) });
      }
      case Op.VERIFY_MESSAGE: {
        const r = req(Op.VERIFY_MESSAGE);
        await this.verifyMessage(r.id, r.alg, r.hash, r.signature);
        return done;
      }
      case Op.ASYMMETRIC_ENCRYPT: {
        const r = req(Op.ASYMMETRIC_ENCRYPT);
        return ok(Op.ASYMMETRIC_ENCRYPT, { output: await this.asymmetricEncrypt(r.id, r.alg, r.input, r.salt) });
      }
      case Op.ASYMMETRIC_DECRYPT: {
        const r = req(Op.ASYMMETRIC_DECRYPT);
        return ok(Op.ASYMMETRIC_DECRYPT, { output: await this.asymmetricDecrypt(r.id, r.alg, r.input, r.salt) });
      }
      case Op.GENERATE_RANDOM:
        return ok(Op.GENERATE_RANDOM, { data: this.generateRandom(req(Op.GENERATE_RANDOM).size) });
      case Op.COPY_KEY: {
        const r = req(Op.COPY_KEY);
        return ok(Op.COPY_KEY, { id: await this.copyKey(r.source, r.attributes) });
      }
      case Op.PURGE_KEY:
        await this.keys.purge(req(Op.PURGE_KEY).id);
        return done;
      case Op.GET_KEY_ATTRIBUTES:
        return ok(Op.GET_KEY_ATTRIBUTES, { attributes: (await this.keys.get(req(Op.GET_KEY_ATTRIBUTES).id)).attrs });
      case Op.VERIFY_PKCS7_SIGNATURE:
      case Op.GET_UEFI_PRIV_AUTH_VAR_FINGERPRINT:
        return { status: PSA.ERROR_NOT_SUPPORTED, body: EMPTY };
      case Op.HASH_SETUP:
        return ok(Op.HASH_SETUP, { op: this.hashSetup(req(Op.HASH_SETUP).alg) });
      case Op.HASH_UPDATE: {
        const r = req(Op.HASH_UPDATE);
        this.hashUpdate(r.op, r.data);
        return done;
      }
      case Op.HASH_FINISH:
        return ok(Op.HASH_FINISH, { hash: this.hashFinish(req(Op.HASH_FINISH).op) });
      case Op.HASH_ABORT:
        this.abort(req(Op.HASH_ABORT).op, 'hash');
        return done;
      case Op.HASH_VERIFY: {
        const r = req(Op.HASH_VERIFY);
        this.hashVerify(r.op, r.hash);
        return done;
      }
      case Op.HASH_CLONE:
        return ok(Op.HASH_CLONE, { op: this.hashClone(req(Op.HASH_CLONE).op) });
      case Op.MAC_SIGN_SETUP:
      case Op.MAC_VERIFY_SETUP: {
        const r = req(Op.MAC_SIGN_SETUP);
        return ok(Op.MAC_SIGN_SETUP, { op: await this.macSetup(r.id, r.alg, opcode === Op.MAC_SIGN_SETUP) });
      }
      case Op.MAC_UPDATE: {
        const r = req(Op.MAC_UPDATE);
        this.macUpdate(r.op, r.data);
        return done;
      }
      case Op.MAC_SIGN_FINISH:
        return ok(Op.MAC_SIGN_FINISH, { mac: this.macSignFinish(req(Op.MAC_SIGN_FINISH).op) });
      case Op.MAC_VERIFY_FINISH: {
        const r = req(Op.MAC_VERIFY_FINISH);
        this.macVerifyFinish(r.op, r.mac);
        return done;
      }
      case Op.MAC_ABORT:
        this.abort(req(Op.MAC_ABORT).op, 'mac');
        return done;
      case Op.CIPHER_ENCRYPT_SETUP:
      case Op.CIPHER_DECRYPT_SETUP: {
        const r = req(Op.CIPHER_ENCRYPT_SETUP);
        return ok(Op.CIPHER_ENCRYPT_SETUP, { op: await this.cipherSetup(r.id, r.alg, opcode === Op.CIPHER_ENCRYPT_SETUP) });
      }
      case Op.CIPHER_GENERATE_IV:
        return ok(Op.CIPHER_GENERATE_IV, { iv: this.cipherGenerateIv(req(Op.CIPHER_GENERATE_IV).op) });
      case Op.CIPHER_SET_IV: {
        const r = req(Op.CIPHER_SET_IV);
        this.cipherSetIv(r.op, r.iv);
        return done;
      }
      case Op.CIPHER_UPDATE: {
        const r = req(Op.CIPHER_UPDATE);
        return ok(Op.CIPHER_UPDATE, { data: this.cipherUpdate(r.op, r.data) });
      }
      case Op.CIPHER_FINISH:
        return ok(Op.CIPHER_FINISH, { data: this.cipherFinish(req(Op.CIPHER_FINISH).op) });
      case Op.CIPHER_ABORT:
        this.abort(req(Op.CIPHER_ABORT).op, 'cipher');
        return done;
      case Op.AEAD_ENCRYPT_SETUP:
      case Op.AEAD_DECRYPT_SETUP: {
        const r = req(Op.AEAD_ENCRYPT_SETUP);
        return ok(Op.AEAD_ENCRYPT_SETUP, { op: await this.aeadSetup(r.id, r.alg, opcode === Op.AEAD_ENCRYPT_SETUP) });
      }
      case Op.AEAD_GENERATE_NONCE:
        return ok(Op.AEAD_GENERATE_NONCE, { nonce: this.aeadGenerateNonce(req(Op.AEAD_GENERATE_NONCE).op) });
      case Op.AEAD_SET_NONCE: {
        const r = req(Op.AEAD_SET_NONCE);
        this.aeadSetNonce(r.op, r.nonce);
        return done;
      }
      case Op.AEAD_SET_LENGTHS: {
        const r = req(Op.AEAD_SET_LENGTHS);
        this.aeadSetLengths(r.op, r.adLength, r.plaintextLength);
        return done;
      }
      case Op.AEAD_UPDATE_AD: {
        const r = req(Op.AEAD_UPDATE_AD);
        this.aeadUpdateAd(r.op, r.data);
        return done;
      }
      case Op.AEAD_UPDATE: {
        const r = req(Op.AEAD_UPDATE);
        return ok(Op.AEAD_UPDATE, { data: this.aeadUpdate(r.op, r.data) });
      }
      case Op.AEAD_FINISH:
        return ok(Op.AEAD_FINISH, this.aeadFinish(req(Op.AEAD_FINISH).op));
      case Op.AEAD_VERIFY: {
        const r = req(Op.AEAD_VERIFY);
        return ok(Op.AEAD_VERIFY, { plaintext: this.aeadVerify(r.op, r.tag) });
      }
      case Op.AEAD_ABORT:
        this.abort(req(Op.AEAD_ABORT).op, 'aead');
        return done;
      case Op.KEY_DERIVATION_SETUP:
        return ok(Op.KEY_DERIVATION_SETUP, { op: this.kdfSetup(req(Op.KEY_DERIVATION_SETUP).alg) });
      case Op.KEY_DERIVATION_GET_CAPACITY:
        return ok(Op.KEY_DERIVATION_GET_CAPACITY, { capacity: Math.min(0xffffffff, this.kdfGetCapacity(req(Op.KEY_DERIVATION_GET_CAPACITY).op)) });
      case Op.KEY_DERIVATION_SET_CAPACITY: {
        const r = req(Op.KEY_DERIVATION_SET_CAPACITY);
        this.kdfSetCapacity(r.op, r.capacity);
        return done;
      }
      case Op.KEY_DERIVATION_INPUT_BYTES: {
        const r = req(Op.KEY_DERIVATION_INPUT_BYTES);
        this.kdfInputBytes(r.op, r.step, r.data);
        return done;
      }
      case Op.KEY_DERIVATION_INPUT_INTEGER: {
        const r = req(Op.KEY_DERIVATION_INPUT_INTEGER);
        this.kdfInputInteger(r.op, r.step, r.value);
        return done;
      }
      case Op.KEY_DERIVATION_INPUT_KEY: {
        const r = req(Op.KEY_DERIVATION_INPUT_KEY);
        await this.kdfInputKey(r.op, r.step, r.id);
        return done;
      }
      case Op.KEY_DERIVATION_OUTPUT_BYTES: {
        const r = req(Op.KEY_DERIVATION_OUTPUT_BYTES);
        return ok(Op.KEY_DERIVATION_OUTPUT_BYTES, { data: this.kdfOutputBytes(r.op, r.length) });
      }
      case Op.KEY_DERIVATION_OUTPUT_KEY: {
        const r = req(Op.KEY_DERIVATION_OUTPUT_KEY);
        return ok(Op.KEY_DERIVATION_OUTPUT_KEY, { id: await this.kdfOutputKey(r.op, r.attributes) });
      }
      case Op.KEY_DERIVATION_ABORT:
        this.abort(req(Op.KEY_DERIVATION_ABORT).op, 'kdf');
        return done;
      case Op.KEY_DERIVATION_KEY_AGREEMENT: {
        const r = req(Op.KEY_DERIVATION_KEY_AGREEMENT);
        await this.kdfKeyAgreement(r.op, r.step, r.id, r.peer);
        return done;
      }
      case Op.KEY_DERIVATION_RAW_KEY_AGREEMENT: {
        const r = req(Op.KEY_DERIVATION_RAW_KEY_AGREEMENT);
        return ok(Op.KEY_DERIVATION_RAW_KEY_AGREEMENT, { output: await this.rawKeyAgreement(r.alg, r.id, r.peer) });
      }
    }
    return { status: PSA.ERROR_NOT_SUPPORTED, body: EMPTY };
  }
}

/** The service handler registered in reference/services.ts. */
export async function cryptoHandler(env: StackEnv): Promise<{ handle: (opcode: number, body: Uint8Array) => Promise<ServiceResponse>; service: CryptoService }> {
  const cfg = cryptoConfig(env);
  const its = await env.its('crypto', cfg.storage);
  const service = new CryptoService(new KeyStore(its, { maxVolatileKeys: cfg.maxVolatileKeys }), cfg);
  const handle = async (opcode: number, body: Uint8Array): Promise<ServiceResponse> => {
    try {
      return await service.handle(opcode, body);
    } catch (e) {
      if (e instanceof PsaError) return { status: e.status, body: EMPTY };
      if (e instanceof DecodeError) return { status: PSA.ERROR_INVALID_ARGUMENT, body: EMPTY };
      // an output longer than one TLV record (64 KiB) cannot be carried: the caller's buffer is too small
      if (e instanceof RangeError && /TLV record/.test(e.message)) return { status: PSA.ERROR_BUFFER_TOO_SMALL, body: EMPTY };
      throw e;
    }
  };
  return { handle, service };
}
