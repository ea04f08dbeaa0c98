// Fault-injected targets: the reference stack with one behaviour broken at
// the byte interface, registered as `inproc:NAME`. A fault sees every
// request and may answer itself, alter the request, or alter the answer.
import { DecodeError } from '../../protocol/bytes.js';
import type { ServiceResponse } from '../../protocol/services.js';
import { registerInprocTarget, bootReference } from '../../transports/inproc.js';
import type { ReferenceStack } from '../../reference/stack.js';

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
