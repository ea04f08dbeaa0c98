// Fault-injected targets: the reference stack with one behaviour broken at
// the byte interface, registered as `inproc:NAME`. A fault sees every
// request and may answer itself, alter the request, or alter the answer.
import { DecodeError } from '../../protocol/bytes.js';
import type { ServiceResponse } from '../../protocol/services.js';
import { registerInprocTarget, bootReference } from '../../transports/inproc.js';
import { ReferenceStack } from '../../reference/stack.js';
import { SERVICES } from '../../protocol/services.js';
import { ControlOpcode } from '../../protocol/control.js';

export type Next = (opcode: number, body: Uint8Array) => Promise<ServiceResponse | undefined>;

export interface Fault {
  /** Service id the fault applies to (others pass through). */
  service: number;
  handle(opcode: number, body: Uint8Array, next: Next, stack: ReferenceStack): Promise<ServiceResponse | undefined>;
}

/** Registers `inproc:NAME`: a fresh reference stack per run, with `fault` in front of it. */
export function registerFault(name: string, fault: Fault): string {
  registerInprocTarget(name, async (env, uri) => {
    const stack = await bootReference(env, uri);
    return {
      handle: async (service, opcode, body) => {
        if (service !== fault.service) return stack.handle(service, opcode, body);
        const next: Next = (op, b) => stack.handle(service, op, b);
        try {
          return await fault.handle(opcode, body, next, stack);
        } catch (e) {
          // a malformed request the fault cannot parse goes to the reference untouched
          if (e instanceof DecodeError) return next(opcode, body);
          throw e;
        }
      },
    };
  });
  return `inproc:${name}`;
}

/**
 * Registers `inproc:NAME`: a reference stack that forgets everything at a
 * control RESET (its medium is RAM and a reset boots a fresh one), like a
 * port whose storage was never wired to non-volatile memory.
 */
export function registerVolatileTarget(name: string): string {
  registerInprocTarget(name, async (env) => {
    let stack = await ReferenceStack.boot({ config: env.referenceConfig });
    return {
      handle: async (svc, op, body) => {
        if (svc === SERVICES.control && op === ControlOpcode.RESET) {
          stack = await ReferenceStack.boot({ config: env.referenceConfig });
          return { status: 0, body: new Uint8Array(0) };
        }
        return stack.handle(svc, op, body);
      },
    };
  });
  return `inproc:${name}`;
}
