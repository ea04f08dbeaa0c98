// Service identifiers carried in the fwsec envelope (docs/wire-protocol.md).
// Numbers are part of the wire protocol: never renumber, only append.

export const SERVICES = {
  control: 0,
  its: 1,
  ps: 2,
  crypto: 3,
  'smm-variable': 4,
  tpm2: 5,
  rpmb: 6,
} as const;

export type ServiceName = keyof typeof SERVICES;
export type ServiceId = (typeof SERVICES)[ServiceName];

/** Services a target profile can map to a transport (everything but control). */
export const TARGET_SERVICES = ['its', 'ps', 'crypto', 'smm-variable', 'tpm2', 'rpmb'] as const;
export type TargetService = (typeof TARGET_SERVICES)[number];

const BY_ID = new Map<number, ServiceName>(
  Object.entries(SERVICES).map(([name, id]) => [id, name as ServiceName]),
);

export function serviceName(id: number): ServiceName | undefined {
  return BY_ID.get(id);
}

export function serviceId(name: ServiceName): ServiceId {
  return SERVICES[name];
}

export function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(SERVICES, name);
}

/** What a service answers: its own status (0 = success for every service) and body bytes. */
export interface ServiceResponse {
  status: number;
  body: Uint8Array;
}
