// Channels move one service's requests and answers as bytes. A transport,
// named by a URI, hands out channels for the services it reaches. Nothing in
// transports/ knows a service's message layout.
import type { ServiceName, ServiceResponse } from '../protocol/services.js';

export type { ServiceResponse };

export interface CallOptions {
  /** Per-call deadline; on expiry the call rejects with TransportError('timeout'). */
  timeoutMs?: number;
  /** Human description of the call for wire logs, e.g. `psa_its_set(uid=0x1, len=3, NONE)`. */
  label?: string;
}

export interface Channel {
  readonly uri: string;
  readonly service: ServiceName;
  call(opcode: number, body: Uint8Array, opts?: CallOptions): Promise<ServiceResponse>;
  /**
   * False when this channel can never carry `opcode` (a device path that
   * has room for the service's commands only, not its platform signals);
   * absent when the transport cannot tell before trying.
   */
  carries?(opcode: number): boolean;
}

export interface Transport {
  readonly uri: string;
  channel(service: ServiceName): Channel;
  /** Services the far end says it serves, when it can tell (HELLO). */
  close(): Promise<void>;
}

export type TransportErrorKind =
  | 'connect' // could not reach the target
  | 'timeout' // no answer within the deadline
  | 'disconnected' // the link dropped while a call was outstanding
  | 'remote' // the far end answered with an envelope error frame
  | 'protocol' // the far end answered bytes that are not a valid answer
  | 'unsupported' // this transport cannot carry that service or operation
  | 'closed'; // the transport was closed by this side

/** Every failure of the path to the target: never a conformance finding (verdict ERROR). */
export class TransportError extends Error {
  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    readonly detail?: { code?: number; uri?: string },
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface TransportEnv {
  /** Configuration of an in-process reference (profile `reference` section). */
  referenceConfig?: unknown;
  /** Default per-call timeout. */
  callTimeoutMs: number;
  /** Diagnostic sink (discarded unless the run is verbose). */
  log?: (line: string) => void;
}

export type TransportFactory = (uri: URL, env: TransportEnv) => Promise<Transport>;
