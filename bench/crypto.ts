// PSA Crypto through the fwsec envelope: ops/s and latency per family
// (hash, HMAC, AES-GCM, ECDSA P-256, Ed25519, RSA-2048, HKDF, key import,
// random) in-process and over TCP, the same primitives called directly in
// node:crypto for scale, and the wall time of a whole psa-crypto run.
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { CryptoClient } from '../clients/psa-crypto.js';
import { PSA } from '../protocol/psa/status.js';
import * as C from '../protocol/psa/crypto/constants.js';
import { Alg, KeyType, Usage } from '../protocol/psa/crypto/constants.js';
import { ReferenceStack } from '../reference/stack.js';
import { listenTcp } from '../reference/server/tcp.js';
import { openTransport } from '../transports/index.js';
import { FWSEC_BIN } from '../suites/harness/launchers.js';
import { RSA_2048_PRIVATE } from '../suites/psa-crypto/testkeys.js';
import { measure, table, type Stats } from './util.js';

const N = Number(process.env.BENCH_N ?? 2000);
const SLOW = Math.max(20, Math.floor(N / 20));

function must<T>(r: { status: number; value?: T }, what: string): T {
  if (r.status !== PSA.SUCCESS) throw new Error(`bench: ${what} failed with status ${r.status}`);
  return r.value as T;
}

async function cryptoOps(prefix: string, c: CryptoClient): Promise<Stats[]> {
  const all = Usage.SIGN_HASH | Usage.VERIFY_HASH | Usage.SIGN_MESSAGE | Usage.VERIFY_MESSAGE | Usage.ENCRYPT | Usage.DECRYPT | Usage.DERIVE | Usage.EXPORT;
  const aes = must(await c.importKey({ type: KeyType.AES, usage: all, alg: Alg.GCM }, new Uint8Array(16).fill(1)), 'import AES');
  const hmac = must(await c.importKey({ type: KeyType.HMAC, usage: all, alg: C.hmac(Alg.SHA_256) }, new Uint8Array(32).fill(2)), 'import HMAC');
  const p256 = must(await c.importKey({ type: C.eccKeyPair(C.EccFamily.SECP_R1), usage: all, alg: C.ecdsa(Alg.SHA_256) }, new Uint8Array(32).fill(3)), 'import P-256');
  const ed = must(await c.importKey({ type: C.eccKeyPair(C.EccFamily.TWISTED_EDWARDS), usage: all, alg: Alg.PURE_EDDSA }, new Uint8Array(32).fill(4)), 'import Ed25519');
  const rsa = must(await c.importKey({ type: KeyType.RSA_KEY_PAIR, usage: all, alg: C.rsaPkcs1v15Sign(Alg.SHA_256) }, RSA_2048_PRIVATE), 'import RSA');
  const derive = must(await c.importKey({ type: KeyType.DERIVE, usage: all, alg: C.hkdf(Alg.SHA_256) }, new Uint8Array(32).fill(5)), 'import DERIVE');

  const msg64 = new Uint8Array(64).fill(9);
  const msg4k = new Uint8Array(4096).fill(9);
  const hash = crypto.createHash('sha256').update(msg64).digest();
  const nonce = new Uint8Array(12).fill(6);
  const sig = must(await c.signHash(p256, C.ecdsa(Alg.SHA_256), hash), 'ECDSA sign');
  const rows: Stats[] = [];
  const ok = async (p: Promise<{ status: number }>, what: string) => must(await p, what);
  const okStatus = async (p: Promise<number>, what: string) => {
    const s = await p;
    if (s !== PSA.SUCCESS) throw new Error(`bench: ${what} failed with status ${s}`);
  };

  rows.push(await measure(`${prefix} hash SHA-256 64 B (setup+update+finish)`, () => ok(c.hashCompute(Alg.SHA_256, msg64), 'hash'), N));
  rows.push(await measure(`${prefix} hash SHA-256 4 KiB`, () => ok(c.hashCompute(Alg.SHA_256, msg4k), 'hash 4k'), N));
  rows.push(await measure(`${prefix} HMAC-SHA-256 64 B`, () => ok(c.macCompute(hmac, C.hmac(Alg.SHA_256), msg64), 'hmac'), N));
  rows.push(await measure(`${prefix} AES-128-GCM encrypt 64 B`, () => ok(c.aeadEncrypt(aes, Alg.GCM, nonce, msg64.subarray(0, 16), msg64), 'gcm'), N));
  rows.push(await measure(`${prefix} AES-128-GCM encrypt 4 KiB`, () => ok(c.aeadEncrypt(aes, Alg.GCM, nonce, msg64.subarray(0, 16), msg4k), 'gcm 4k'), N));
  rows.push(await measure(`${prefix} ECDSA P-256 sign_hash`, () => ok(c.signHash(p256, C.ecdsa(Alg.SHA_256), hash), 'ecdsa sign'), SLOW));
  rows.push(await measure(`${prefix} ECDSA P-256 verify_hash`, () => okStatus(c.verifyHash(p256, C.ecdsa(Alg.SHA_256), hash, sig), 'ecdsa verify'), SLOW));
  rows.push(await measure(`${prefix} Ed25519 sign_message 64 B`, () => ok(c.signMessage(ed, Alg.PURE_EDDSA, msg64), 'ed25519'), SLOW));
  rows.push(await measure(`${prefix} RSA-2048 PKCS#1 v1.5 sign_hash`, () => ok(c.signHash(rsa, C.rsaPkcs1v15Sign(Alg.SHA_256), hash), 'rsa sign'), SLOW));
  rows.push(
    await measure(`${prefix} HKDF-SHA-256 32 B (setup, 2 inputs, output, abort)`, async () => {
      const op = must(await c.kdfSetup(C.hkdf(Alg.SHA_256)), 'kdf setup');
      await okStatus(c.kdfInputKey(op, C.KdfStep.SECRET, derive), 'kdf secret');
      await okStatus(c.kdfInputBytes(op, C.KdfStep.INFO, msg64.subarray(0, 8)), 'kdf info');
      must(await c.kdfOutputBytes(op, 32), 'kdf output');
      await c.kdfAbort(op);
    }, N),
  );
  rows.push(
    await measure(`${prefix} import+destroy AES-128 key`, async () => {
      const k = must(await c.importKey({ type: KeyType.AES, usage: Usage.ENCRYPT, alg: Alg.CTR }, msg64.subarray(0, 16)), 'import');
      await okStatus(c.destroyKey(k), 'destroy');
    }, N),
  );
  rows.push(await measure(`${prefix} generate_random 32 B`, () => ok(c.generateRandom(32), 'random'), N));
  for (const k of [aes, hmac, p256, ed, rsa, derive]) await c.destroyKey(k);
  return rows;
}

/** The same primitives in node:crypto (OpenSSL), no envelope: a floor for scale. */
async function nodeFloor(): Promise<Stats[]> {
  const msg64 = Buffer.alloc(64, 9);
  const key = Buffer.alloc(16, 1);
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rows: Stats[] = [];
  rows.push(await measure('node:crypto SHA-256 64 B', async () => crypto.createHash('sha256').update(msg64).digest(), N));
  rows.push(
    await measure('node:crypto AES-128-GCM 64 B', async () => {
      const c = crypto.createCipheriv('aes-128-gcm', key, Buffer.alloc(12, 6));
      c.update(msg64);
      c.final();
      c.getAuthTag();
    }, N),
  );
  rows.push(await measure('node:crypto ECDSA P-256 sign', async () => crypto.sign('sha256', msg64, ec.privateKey), SLOW));
  return rows;
}

export async function cryptoBench(): Promise<void> {
  const inproc = await openTransport('inproc:', { callTimeoutMs: 30_000 });
  const rows = await cryptoOps('inproc', new CryptoClient(inproc.channel('crypto')));

  const tcpStack = await ReferenceStack.boot();
  const listening = await listenTcp(tcpStack, '127.0.0.1', 0, { maxBody: tcpStack.config.maxBody });
  const tcp = await openTransport(listening.uri, { callTimeoutMs: 30_000 });
  rows.push(...(await cryptoOps('tcp', new CryptoClient(tcp.channel('crypto')))));
  rows.push(...(await nodeFloor()));
  table(rows);
  await tcp.close();
  await inproc.close();
  await listening.close();
  if (tcpStack.internalErrors) throw new Error(`bench: the reference counted ${tcpStack.internalErrors} internal errors`);

  for (const profile of ['reference', 'reference-tcp']) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [FWSEC_BIN, 'run', '--profile', profile, '--suite', 'psa-crypto', '--out', `/tmp/fwsec-bench-crypto-${profile}`], { encoding: 'utf8' });
    const s = (performance.now() - t0) / 1000;
    const last = r.stdout.split('\n').find((l) => /checks in/.test(l)) ?? r.stderr.slice(-200);
    console.log(`fwsec run --profile ${profile} --suite psa-crypto: ${s.toFixed(2)} s wall, exit ${r.status} (${last.trim()})`);
  }
}
