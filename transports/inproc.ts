// inproc: the reference stack in this process. The only place where a
// reference service is wired to a channel. Bytes are copied both ways, so
// neither side can alias the other's buffers.
//
//   inproc:                 a fresh reference stack (in-memory medium)
//   inproc:?state=DIR       a reference stack persisted under DIR
//   inproc:NAME             a target registered with registerInprocTarget()
//                           (fault-injected targets in test/)
import { ReferenceStack } from '../reference/stack.js';
import { FileMedium } from '../reference/medium.js';
import { SERVICES, type ServiceName, type ServiceResponse } from '../protocol/services.js';
import { withDeadline } from './deadline.js';
import { TransportError, type CallOptions, type Channel, type Transport, type TransportEnv } from './types.js';

export interface InprocTarget {
  /** Answers a request, or undefined when the service is not served. */
  handle(service: number, opcode: number, body: Uint8Array): Promise<ServiceResponse | undefined>;
  close?(): Promise<void>;
}

export type InprocTargetFactory = (env: TransportEnv, uri: URL) => Promise<InprocTarget>;

const TARGETS = new Map<string, InprocTargetFactory>();

export function registerInprocTarget(name: string, factory: InprocTargetFactory): void {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) throw new Error(`invalid inproc target name ${name}`);
  TARGETS.set(name, factory);
}

export function inprocTargetNames(): string[] {
  return [...TARGETS.keys()].sort();
}

export async function bootReference(env: TransportEnv, uri: URL): Promise<ReferenceStack> {
  const state = uri.searchParams.get('state');
  return ReferenceStack.boot({
    config: env.referenceConfig,
    medium: state ? new FileMedium(state) : undefined,
    log: env.log,
  });
}

class InprocChannel implements Channel {
  constructor(
    readonly uri: string,
    readonly service: ServiceName,
    private readonly target: InprocTarget,
    private readonly env: TransportEnv,
  ) {}

  async call(opcode: number, body: Uint8Array, opts: CallOptions = {}): Promise<ServiceResponse> {
    const work = this.target.handle(SERVICES[this.service], opcode, body.slice()).catch((e: unknown) => {
      // an in-process target that throws has crashed, as far as the caller can tell
      if (e instanceof TransportError) throw e;
      throw new TransportError('remote', `${this.uri} ${this.service}: the in-process target failed: ${(e as Error)?.message ?? e}`);
    });
    const res = await withDeadline(work, opts.timeoutMs ?? this.env.callTimeoutMs, `${this.uri} ${this.service}`);
    if (!res) throw new TransportError('unsupported', `${this.uri} does not serve ${this.service}`);
    return { status: res.status, body: res.body.slice() };
  }
}

export async function openInproc(uri: URL, env: TransportEnv): Promise<Transport> {
  const name = uri.pathname;
  let target: InprocTarget;
  if (name === '') target = await bootReference(env, uri);
  else {
    const factory = TARGETS.get(name);
    if (!factory) {
      const known = inprocTargetNames();
      throw new TransportError(
        'connect',
        `no in-process target named "${name}"${known.length ? ` (registered: ${known.join(', ')})` : ''}`,
      );
    }
    target = await factory(env, uri);
  }
  const text = uri.href;
  return {
    uri: text,
    channel: (service) => new InprocChannel(text, service, target, env),
    close: async () => {
      await target.close?.();
    },
  };
}
