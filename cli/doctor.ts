// fwsec doctor: before a run, is the target there, and what is it? For each
// transport of the profile: the agent's HELLO (protocol version, frame limit,
// services served). For each service: one harmless request, and what the
// answer says (versions and capabilities where the service can tell).
// Unreachable (cannot connect, no answer in time) is told apart from
// failing (connected, but refused or answered garbage).
//
// Exit status: 0 every service answers, 1 a service is reachable but failing,
// 2 something is unreachable, or a usage error.
import { RpmbOp } from '../protocol/rpmb/service.js';
import { ControlClient } from '../clients/control.js';
import { Writer, hex } from '../protocol/bytes.js';
import { helloServiceNames, type Hello } from '../protocol/control.js';
import { MM_COMMUNICATE_OPCODE, SmmVariableFunction, buildCommBuffer, decodeCommBuffer } from '../protocol/smm-variable/buffer.js';
import { GET_PAYLOAD_SIZE_SIZE } from '../protocol/smm-variable/payloads.js';
import { efiStatusName } from '../protocol/smm-variable/status.js';
import type { ServiceName } from '../protocol/services.js';
import { loadProfile, overrideTarget, UsageError } from '../suites/harness/profile.js';
import { statusNameFor } from '../suites/harness/status-names.js';
import { Target } from '../suites/harness/target.js';
import type { ServiceKey } from '../suites/harness/types.js';
import { parseTransportUri, TransportError, type Channel } from '../transports/index.js';
import { parse } from './args.js';

export const DOCTOR_HELP = `usage: fwsec doctor [--profile NAME|FILE] [--target URI] [--json]

Checks that each service of the profile answers and reports what the target
says about itself (agent, protocol version, frame limit, services, versions
and capabilities it can read), without changing any state.

  --profile NAME|FILE   target profile (default: reference)
  --target URI          send every service of the profile to this transport URI
  --timeout MS          per-request deadline (default: the profile's, at most 5000)
  --json                machine-readable output

exit status: 0 every service answers, 1 a service is reachable but failing, 2 unreachable or usage`;

export type Health = 'ok' | 'failing' | 'unreachable';

export interface ServiceReport {
  service: string;
  uri: string;
  health: Health;
  /** What the probe asked, in spec terms. */
  probe: string;
  detail: string;
  info?: Record<string, unknown>;
}

export interface TransportReport {
  uri: string;
  health: Health;
  hello?: { agent: string; protocolVersion: number; maxBody: number; services: string[] };
  detail: string;
}

export interface DoctorReport {
  profile: string;
  health: Health;
  transports: TransportReport[];
  services: ServiceReport[];
}

/** unreachable: the path to the target failed; failing: the target is there but refused or answered garbage. */
export function classify(e: unknown): Health {
  if (e instanceof TransportError) {
    return e.kind === 'connect' || e.kind === 'timeout' || e.kind === 'disconnected' || e.kind === 'closed' ? 'unreachable' : 'failing';
  }
  return 'failing';
}

interface Probe {
  what: string;
  opcode: number;
  body: Uint8Array;
  read(status: number, body: Uint8Array): { detail: string; info?: Record<string, unknown> };
}

const u32be = (b: Uint8Array, o: number) => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const ascii = (v: number) =>
  String.fromCharCode((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff).replace(/[^\x20-\x7e]/g, '');

/** TPM2_GetCapability(TPM_CAP_TPM_PROPERTIES, TPM_PT_FIXED, 16): family, revision, manufacturer, vendor strings, firmware. */
const TPM_GETCAP_FIXED = new Writer().u16be(0x8001).u32be(22).u32be(0x17a).u32be(6).u32be(0x100).u32be(16).finish();

function tpmProbe(): Probe {
  return {
    what: 'TPM2_GetCapability(TPM_CAP_TPM_PROPERTIES, TPM_PT_FIXED, 16)',
    opcode: 0,
    body: TPM_GETCAP_FIXED,
    read: (_status, rsp) => {
      if (rsp.length < 10) return { detail: `short response ${hex(rsp)}` };
      const rc = u32be(rsp, 6);
      if (rc !== 0) {
        const name = rc === 0x100 ? 'TPM_RC_INITIALIZE: not started (send TPM2_Startup)' : `response code 0x${rc.toString(16)}`;
        return { detail: name, info: { responseCode: rc } };
      }
      const props = new Map<number, number>();
      // moreData u8, cap u32, count u32, {prop u32, value u32}...
      const count = rsp.length >= 19 ? u32be(rsp, 15) : 0;
      for (let i = 0; i < count && 19 + i * 8 + 8 <= rsp.length; i++) props.set(u32be(rsp, 19 + i * 8), u32be(rsp, 23 + i * 8));
      const vendor = [0x106, 0x107, 0x108, 0x109].map((p) => ascii(props.get(p) ?? 0)).join('').trim();
      const fw1 = props.get(0x10b);
      const fw2 = props.get(0x10c);
      const info: Record<string, unknown> = {
        family: ascii(props.get(0x100) ?? 0).trim(),
        revision: props.has(0x102) ? (props.get(0x102)! / 100).toFixed(2) : undefined,
        manufacturer: ascii(props.get(0x105) ?? 0).trim(),
        vendor,
        firmware: fw1 !== undefined ? `${fw1 >>> 16}.${fw1 & 0xffff}${fw2 !== undefined ? `.${fw2 >>> 16}.${fw2 & 0xffff}` : ''}` : undefined,
      };
      return { detail: `TPM ${info.family} rev ${info.revision ?? '?'}, ${info.manufacturer} ${vendor}, firmware ${info.firmware ?? '?'}`, info };
    },
  };
}

function probeFor(service: ServiceName): Probe {
  switch (service) {
    case 'its':
    case 'ps':
      // uid 0 is never valid (PSA Storage 1.0: INVALID_ARGUMENT); nothing is created or changed
      return {
        what: `psa_${service}_get_info(uid=0)`,
        opcode: 0x102,
        body: new Writer().u64le(0n).finish(),
        read: (status) => ({ detail: `answered ${statusNameFor(service, status)}` }),
      };
    case 'crypto':
      return {
        what: 'psa_generate_random(8)',
        opcode: 0x10c,
        body: new Writer().u64le(8n).finish(),
        read: (status) => ({ detail: `answered ${statusNameFor(service, status)}` }),
      };
    case 'tpm2':
      return tpmProbe();
    case 'smm-variable':
      // SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE: a read-only query (docs/smm-variable.md, Envelope bodies)
      return {
        what: 'MM COMMUNICATE SMM_VARIABLE_FUNCTION_GET_PAYLOAD_SIZE',
        opcode: MM_COMMUNICATE_OPCODE,
        body: buildCommBuffer(SmmVariableFunction.GET_PAYLOAD_SIZE, new Uint8Array(GET_PAYLOAD_SIZE_SIZE)),
        read: (status, body) => {
          const mm = statusNameFor(service, status);
          let a: ReturnType<typeof decodeCommBuffer>;
          try {
            a = decodeCommBuffer(body);
          } catch (e) {
            return { detail: `${mm}; the buffer came back undecodable: ${(e as Error).message}` };
          }
          const size = a.payload.length >= 8 ? new DataView(a.payload.buffer, a.payload.byteOffset).getBigUint64(0, true) : undefined;
          return {
            detail: `${mm}, ${efiStatusName(a.returnStatus)}, variable payload size ${size ?? '?'}`,
            info: { mmReturn: status, returnStatus: efiStatusName(a.returnStatus), variablePayloadSize: size === undefined ? undefined : Number(size) },
          };
        },
      };
    case 'rpmb':
      // OP-TEE's RPC to the supplicant: rpmb_req {cmd 1 GET_DEV_INFO, dev_id 0, block_count 0}
      return {
        what: 'RPMB GET_DEV_INFO',
        opcode: RpmbOp.OPTEE_RPMB,
        body: new Writer().u16le(1).u16le(0).u16le(0).finish(),
        read: (status, body) => {
          if (body.length !== 19) return { detail: `status ${status}, ${body.length}-byte answer` };
          return {
            detail: `CID ${hex(body.subarray(0, 16))}, RPMB ${body[16]! * 128} KiB, reliable write ${body[17]} sector(s)`,
            info: { cid: hex(body.subarray(0, 16)), rpmbSizeKiB: body[16]! * 128, relWrSecC: body[17], retCode: body[18] },
          };
        },
      };
    default:
      return { what: 'ping', opcode: 0, body: new Uint8Array(0), read: (s) => ({ detail: `status ${s}` }) };
  }
}

async function probeService(service: ServiceName, channel: Channel, timeoutMs: number): Promise<ServiceReport> {
  const p = probeFor(service);
  try {
    const r = await channel.call(p.opcode, p.body, { timeoutMs, label: `doctor ${p.what}` });
    const { detail, info } = p.read(r.status, r.body);
    if (service === 'ps') {
      // psa_ps_get_support(): which optional functions the PS implements
      const s = await channel.call(0x106, new Uint8Array(0), { timeoutMs, label: 'doctor psa_ps_get_support()' });
      const flags = s.status === 0 && s.body.length >= 4 ? new DataView(s.body.buffer, s.body.byteOffset).getUint32(0, true) : undefined;
      const ext = flags === undefined ? `get_support answered ${statusNameFor(service, s.status)}` : `get_support 0x${flags.toString(16)}${flags & 1 ? ' (SET_EXTENDED: psa_ps_create, psa_ps_set_extended)' : ''}`;
      return { service, uri: channel.uri, health: 'ok', probe: `${p.what}, psa_ps_get_support()`, detail: `${detail}; ${ext}`, info: { ...info, supportFlags: flags } };
    }
    return { service, uri: channel.uri, health: 'ok', probe: p.what, detail, info };
  } catch (e) {
    return { service, uri: channel.uri, health: classify(e), probe: p.what, detail: (e as Error).message };
  }
}

function worst(hs: Health[]): Health {
  return hs.includes('unreachable') ? 'unreachable' : hs.includes('failing') ? 'failing' : 'ok';
}

export async function diagnose(target: Target, timeoutMs: number): Promise<Omit<DoctorReport, 'profile'>> {
  const transports: TransportReport[] = [];
  const hellos = new Map<string, Hello | undefined>();
  const uris = target.serviceUris;
  const byUri = new Map<string, ServiceKey[]>();
  for (const [svc, uri] of Object.entries(uris) as [ServiceKey, string][]) byUri.set(uri, [...(byUri.get(uri) ?? []), svc]);
  for (const [uri, svcs] of byUri) {
    try {
      const h = await new ControlClient(target.channel('control', svcs[0])).hello(timeoutMs);
      hellos.set(uri, h);
      const served = helloServiceNames(h);
      const missing = svcs.filter((s) => !served.includes(s));
      transports.push({
        uri,
        health: missing.length ? 'failing' : 'ok',
        hello: { agent: h.agent, protocolVersion: h.protocolVersion, maxBody: h.maxBody, services: served },
        detail: missing.length ? `the agent does not serve ${missing.join(', ')}, which the profile maps here` : `agent "${h.agent}", envelope v${h.protocolVersion}, frames up to ${h.maxBody} bytes`,
      });
    } catch (e) {
      if (e instanceof TransportError && e.kind === 'unsupported') {
        hellos.set(uri, undefined);
        transports.push({ uri, health: 'ok', detail: `no fwsec control service on this transport (${e.message.replace(/^[^:]*: /, '')})` });
      } else {
        transports.push({ uri, health: classify(e), detail: (e as Error).message });
      }
    }
  }
  const services: ServiceReport[] = [];
  for (const [svc, uri] of Object.entries(uris) as [ServiceKey, string][]) {
    const t = transports.find((x) => x.uri === uri)!;
    if (t.health === 'unreachable') {
      services.push({ service: svc, uri, health: 'unreachable', probe: '-', detail: 'transport unreachable (see above)' });
      continue;
    }
    services.push(await probeService(svc, target.channel(svc), timeoutMs));
  }
  return { health: worst([...transports.map((t) => t.health), ...services.map((s) => s.health)]), transports, services };
}

const MARK: Record<Health, string> = { ok: 'ok  ', failing: 'FAIL', unreachable: 'DOWN' };

export function printDoctor(r: DoctorReport, out: (line: string) => void): void {
  out(`fwsec doctor: profile ${r.profile}`);
  out('');
  out('transports');
  for (const t of r.transports) {
    out(`  ${MARK[t.health]}  ${t.uri}`);
    out(`        ${t.detail}`);
    if (t.hello) out(`        serves: ${t.hello.services.join(', ')}`);
  }
  out('');
  out('services');
  for (const s of r.services) {
    out(`  ${MARK[s.health]}  ${s.service.padEnd(12)} ${s.probe}`);
    out(`        ${s.detail}`);
  }
  out('');
  const verdict =
    r.health === 'ok'
      ? 'every service answers'
      : r.health === 'failing'
        ? 'the target is reachable, but something refuses or answers garbage (FAIL above)'
        : 'the target (or part of it) is unreachable: check cabling, power, the URI, or that the agent runs (DOWN above)';
  out(`result: ${r.health.toUpperCase()}: ${verdict}`);
}

export async function cmdDoctor(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, {
    profile: { type: 'string' },
    target: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(DOCTOR_HELP);
    return 0;
  }
  let profile = loadProfile(v.profile ?? 'reference');
  if (v.target) {
    parseTransportUri(v.target);
    profile = overrideTarget(profile, v.target);
  }
  const timeoutMs = v.timeout !== undefined ? Number(v.timeout) : Math.min(profile.timeouts.callMs, 5000);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout expects a positive integer (ms), got ${JSON.stringify(v.timeout)}`);
  let target: Target;
  try {
    target = await Target.open(profile, { log: () => undefined });
  } catch (e) {
    const report: DoctorReport = {
      profile: profile.name,
      health: 'unreachable',
      transports: [{ uri: Object.values(profile.services).join(', '), health: 'unreachable', detail: `could not open the target: ${(e as Error).message}` }],
      services: [],
    };
    if (v.json) console.log(JSON.stringify(report, null, 2));
    else printDoctor(report, (l) => console.log(l));
    return 2;
  }
  try {
    const report: DoctorReport = { profile: profile.name, ...(await diagnose(target, timeoutMs)) };
    if (v.json) console.log(JSON.stringify(report, null, 2));
    else printDoctor(report, (l) => console.log(l));
    return report.health === 'ok' ? 0 : report.health === 'failing' ? 1 : 2;
  } finally {
    await target.close();
  }
}
