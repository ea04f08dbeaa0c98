// Platform signals of a PC Client TPM: the locality of TPM2_Startup, the
// locality-3 start-up marker in PCR 0, DRTM (_TPM_Hash_Start/Data/End after
// start-up: PCR 17) and H-CRTM (before start-up: PCR 0), and the
// tpmEstablishment flag. They need a transport that carries these signals
// (fwsec envelope opcodes, swtpm control channel, mssim platform port).
import { RC } from '../../protocol/tpm2/rc.js';
import { hash, hashSize } from '../../protocol/tpm2/crypto.js';
import { SU } from '../../protocol/tpm2/constants.js';
import { P3, PTP, algName, tpmCheck, utf8, type Tx } from './common.js';

const STARTUP = '9.3 TPM2_Startup';
const PCR_VALUES = 'PCR Initial and Reset Values';
const ESTABLISHED = 'TPM_ACCESS_x (tpmEstablishment)';
const EMPTY = new Uint8Array(0);

/** A zero digest whose last octet is `last` (the PTP locality markers). */
function marker(alg: number, last: number): Uint8Array {
  const d = new Uint8Array(hashSize(alg));
  d[d.length - 1] = last;
  return d;
}

/** Power cycle and TPM2_Startup(CLEAR) at `locality`; the locality is set back to 0 afterwards. */
async function startupAt(x: Tx, locality: number): Promise<number> {
  x.need('tpm2.power-cycle', 'the check power-cycles the TPM (_TPM_Init)');
  await x.c.init();
  await x.locality(locality);
  const rc = (await x.c.startup(SU.CLEAR)).rc;
  await x.c.setLocality(0);
  return rc;
}

/** Runs a DRTM sequence (_TPM_Hash_Start, _TPM_Hash_Data per chunk, _TPM_Hash_End). */
async function drtm(x: Tx, chunks: Uint8Array[]): Promise<void> {
  x.need('tpm2.drtm', 'the check sends _TPM_Hash_Start/Data/End');
  await x.c.hashStart();
  for (const c of chunks) await x.c.hashData(c);
  await x.c.hashEnd();
}

export default [
  tpmCheck({
    id: 'tpm2.platform.startup-locality',
    title: 'TPM2_Startup at locality 1, 2 or 4 answers TPM_RC_LOCALITY',
    spec: P3,
    clause: STARTUP,
    level: 'MUST',
    requirement: 'TPM2_Startup fails with TPM_RC_LOCALITY (0x907) when the locality of the command is not 0 or 3 (the PC Client start-up localities); the TPM then still accepts TPM2_Startup at locality 0.',
    capabilities: ['tpm2.power-cycle', 'tpm2.locality'],
    destructive: true,
    run: async (x) => {
      for (const l of [1, 2, 4]) x.rc(await startupAt(x, l), RC.LOCALITY, `TPM2_Startup(CLEAR) at locality ${l} after _TPM_Init`);
      x.rc((await x.c.startup(SU.CLEAR)).rc, RC.SUCCESS, 'TPM2_Startup(CLEAR) at locality 0');
    },
  }),
  tpmCheck({
    id: 'tpm2.platform.startup-locality3-pcr0',
    title: 'a locality-3 TPM2_Startup leaves 0...03 in PCR 0',
    spec: PTP,
    clause: PCR_VALUES,
    level: 'MUST',
    requirement: 'When TPM2_Startup(CLEAR) is sent at locality 3 (and no H-CRTM event occurred), PCR 0 of every bank starts at 0...03 instead of all zeros; after a locality-0 start-up it is all zeros.',
    capabilities: ['tpm2.power-cycle', 'tpm2.locality'],
    destructive: true,
    run: async (x) => {
      x.rc(await startupAt(x, 3), RC.SUCCESS, 'TPM2_Startup(CLEAR) at locality 3 after _TPM_Init');
      for (const a of await x.banks()) x.bytes(await x.pcr(a, 0), marker(a, 3), `${algName(a)} PCR 0 after a locality-3 start-up`);
      x.rc(await startupAt(x, 0), RC.SUCCESS, 'TPM2_Startup(CLEAR) at locality 0 after _TPM_Init');
      for (const a of await x.banks()) x.bytes(await x.pcr(a, 0), marker(a, 0), `${algName(a)} PCR 0 after a locality-0 start-up`);
    },
  }),
  tpmCheck({
    id: 'tpm2.platform.hcrtm-pcr0',
    title: 'an H-CRTM sequence before TPM2_Startup sets PCR 0 to H(0...04 || H(data))',
    spec: PTP,
    clause: PCR_VALUES,
    level: 'MUST',
    requirement: 'A _TPM_Hash_Start/_TPM_Hash_Data/_TPM_Hash_End sequence after _TPM_Init and before TPM2_Startup is an H-CRTM event: after TPM2_Startup(CLEAR), PCR 0 of every bank is H(0...04 || H(data)) (initialised with the locality-4 marker, then extended with the digest of the data).',
    capabilities: ['tpm2.power-cycle', 'tpm2.drtm'],
    destructive: true,
    run: async (x) => {
      const data = utf8('fwsec H-CRTM image');
      await x.c.init();
      await drtm(x, [data]);
      x.rc((await x.c.startup(SU.CLEAR)).rc, RC.SUCCESS, 'TPM2_Startup(CLEAR) after the H-CRTM sequence');
      for (const a of await x.banks()) x.bytes(await x.pcr(a, 0), hash(a, marker(a, 4), hash(a, data)), `${algName(a)} PCR 0 after the H-CRTM sequence`);
      x.rc(await x.reboot(), RC.SUCCESS, 'TPM2_Startup(CLEAR) after _TPM_Init (no H-CRTM)');
      for (const a of await x.banks()) x.bytes(await x.pcr(a, 0), marker(a, 0), `${algName(a)} PCR 0 after a start-up without H-CRTM`);
    },
  }),
  tpmCheck({
    id: 'tpm2.platform.drtm-pcr17',
    title: 'a DRTM sequence sets PCR 17 to H(0 || H(data)) and resets PCRs 18-22',
    spec: PTP,
    clause: PCR_VALUES,
    level: 'MUST',
    requirement: '_TPM_Hash_Start after TPM2_Startup resets the dynamic PCRs 17-22 to zero; _TPM_Hash_End extends the digest of the _TPM_Hash_Data bytes into PCR 17: in every bank PCR 17 = H(0...0 || H(data)) and PCRs 18-22 are all zeros.',
    capabilities: ['tpm2.drtm'],
    destructive: true,
    run: async (x) => {
      const chunks = [utf8('fwsec DRTM '), utf8('launch '), new Uint8Array(300).fill(0x5a)];
      await drtm(x, chunks);
      const data = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let o = 0;
      for (const c of chunks) data.set(c, (o += c.length) - c.length);
      for (const a of await x.banks()) {
        x.bytes(await x.pcr(a, 17), hash(a, new Uint8Array(hashSize(a)), hash(a, data)), `${algName(a)} PCR 17 after DRTM`);
        for (let p = 18; p <= 22; p++) x.bytes(await x.pcr(a, p), new Uint8Array(hashSize(a)), `${algName(a)} PCR ${p} after DRTM`);
      }
    },
  }),
  tpmCheck({
    id: 'tpm2.platform.drtm-empty',
    title: 'a DRTM sequence without data extends H of the empty string',
    spec: PTP,
    clause: PCR_VALUES,
    level: 'MUST',
    requirement: '_TPM_Hash_Start immediately followed by _TPM_Hash_End extends the digest of zero bytes: PCR 17 = H(0...0 || H("")) in every bank.',
    capabilities: ['tpm2.drtm'],
    destructive: true,
    run: async (x) => {
      await drtm(x, []);
      for (const a of await x.banks()) x.bytes(await x.pcr(a, 17), hash(a, new Uint8Array(hashSize(a)), hash(a, EMPTY)), `${algName(a)} PCR 17 after an empty DRTM sequence`);
    },
  }),
  tpmCheck({
    id: 'tpm2.platform.drtm-established',
    title: 'DRTM sets tpmEstablishment; only locality 3 or 4 resets it',
    spec: PTP,
    clause: ESTABLISHED,
    level: 'MUST',
    requirement: '_TPM_Hash_Start sets TPM_ACCESS_x.tpmEstablishment; a reset of the flag from locality 0 is refused and leaves it SET, a reset from locality 3 clears it.',
    capabilities: ['tpm2.drtm', 'tpm2.established'],
    destructive: true,
    run: async (x) => {
      await drtm(x, [utf8('established')]);
      x.t.expectEqual(await x.c.getEstablished(), true, 'tpmEstablishment after DRTM', String);
      x.t.expectEqual(await x.c.resetEstablished(0), false, 'reset of tpmEstablishment from locality 0 accepted', String);
      x.t.expectEqual(await x.c.getEstablished(), true, 'tpmEstablishment after the refused reset', String);
      x.t.expectEqual(await x.c.resetEstablished(3), true, 'reset of tpmEstablishment from locality 3 accepted', String);
      x.t.expectEqual(await x.c.getEstablished(), false, 'tpmEstablishment after the reset from locality 3', String);
    },
  }),
  tpmCheck({
    id: 'tpm2.platform.drtm-survives-commands',
    title: 'PCR 17 from DRTM is kept until the next DRTM or TPM Reset',
    spec: PTP,
    clause: PCR_VALUES,
    level: 'MUST',
    requirement: 'PCR 17 cannot be reset by TPM2_PCR_Reset from locality 0 (TPM_RC_LOCALITY, 0x907) and returns to all ones after TPM Reset without DRTM.',
    capabilities: ['tpm2.drtm', 'tpm2.power-cycle'],
    destructive: true,
    run: async (x) => {
      await drtm(x, [utf8('kept')]);
      const a = (await x.banks())[0]!;
      const v = await x.pcr(a, 17);
      x.rc((await x.c.pcrReset(17)).rc, RC.LOCALITY, 'TPM2_PCR_Reset(17) at locality 0');
      x.bytes(await x.pcr(a, 17), v, `${algName(a)} PCR 17 after the refused reset`);
      x.ok(await x.c.shutdown(SU.CLEAR), 'TPM2_Shutdown(CLEAR)');
      x.rc(await x.reboot(), RC.SUCCESS, 'TPM2_Startup(CLEAR) after _TPM_Init');
      x.bytes(await x.pcr(a, 17), new Uint8Array(hashSize(a)).fill(0xff), `${algName(a)} PCR 17 after TPM Reset`);
    },
  }),
];
