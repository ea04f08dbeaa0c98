// The control service (service id 0) of the fwsec envelope: identify an
// agent, reset the target, echo bytes. Layouts in docs/wire-protocol.md.
import { DecodeError, Reader, Writer, fromUtf8, utf8 } from './bytes.js';
import { serviceName, type ServiceName } from './services.js';

export const ControlOpcode = { HELLO: 1, RESET: 2, ECHO: 3 } as const;

export const ControlStatus = { OK: 0, NOT_SUPPORTED: 1, FAILED: 2 } as const;

const STATUS_NAMES = new Map<number, string>(Object.entries(ControlStatus).map(([k, v]) => [v, k]));
export function controlStatusName(code: number): string {
  return `CONTROL_${STATUS_NAMES.get(code) ?? `STATUS_${code}`}`;
}

export interface Hello {
  protocolVersion: number;
  maxBody: number;
  services: number[];
  agent: string;
}

export function encodeHello(h: Hello): Uint8Array {
  const w = new Writer();
  w.u16be(h.protocolVersion).u32be(h.maxBody).u16be(h.services.length);
  for (const s of h.services) w.u16be(s);
  return w.bytes(utf8(h.agent)).finish();
}

export function decodeHello(body: Uint8Array): Hello {
  const r = new Reader(body, 'HELLO response');
  const protocolVersion = r.u16be('protocol version');
  const maxBody = r.u32be('max body');
  const n = r.u16be('service count');
  const services: number[] = [];
  for (let i = 0; i < n; i++) services.push(r.u16be('service id'));
  const agent = fromUtf8(r.rest());
  if (maxBody === 0) throw new DecodeError('HELLO announces a max body of 0');
  return { protocolVersion, maxBody, services, agent };
}

export function helloServiceNames(h: Hello): (ServiceName | `unknown-${number}`)[] {
  return h.services.map((id) => serviceName(id) ?? (`unknown-${id}` as const));
}
