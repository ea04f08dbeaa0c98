// Secure worlds for the syscall-boundary double (test/helpers/devdouble.ts):
// Trusted Services behind tstee serving ITS and PS from the reference stack,
// and OP-TEE's PTA_STMM and fTPM TA as byte-level doubles that check the
// exact parameters Linux and U-Boot send.
import { fromHex } from '../../protocol/bytes.js';
import { SERVICES } from '../../protocol/services.js';
import { TEEC, TEE_UUID } from '../../protocol/tee.js';
import type { ReferenceStack } from '../../reference/stack.js';
import type { Handlers, WireParam } from './devdouble.js';

export /** Trusted Services behind the tstee driver (impl id 3), serving ITS and PS from the reference stack. */
function tsWorld(stack: ReferenceStack): Handlers & { invokes: number } {
  const sessions = new Map<number, number>();
  let next = 1;
  const world = {
    invokes: 0,
    teeVersion: () => ({ implId: 3, implCaps: 0x8003, genCaps: 0 }),
    teeOpen: (uuid: string, _login: number, params: WireParam[]) => {
      const svc = uuid === TEE_UUID.TS_ITS ? SERVICES.its : uuid === TEE_UUID.TS_PS ? SERVICES.ps : undefined;
      if (svc === undefined) return { ret: 0, errno: 19 }; // tstee: SERVICE_INFO_GET fails -> -ENODEV
      if (params.length !== 0) return { ret: TEEC.ERROR_BAD_PARAMETERS, origin: 3 };
      sessions.set(next, svc);
      return { ret: 0, session: next++ };
    },
    teeInvoke: async (session: number, func: number, params: WireParam[], _c: number, shm?: Uint8Array) => {
      const svc = sessions.get(session);
      if (svc === undefined) return { ret: 0, errno: 22 };
      // libts: exactly one VALUE_INOUT {a = shm id, b = request length, c = 0}
      if (params.length !== 1 || params[0]!.attr !== 3 || params[0]!.c !== 0n || !shm) return { ret: 0, errno: 22 };
      world.invokes += 1;
      const r = (await stack.handle(svc, func, shm)) ?? { status: -134, body: new Uint8Array(0) };
      return { ret: r.status >>> 0, params: [{ a: BigInt(r.body.length) }], shm: r.body };
    },
    teeClose: (session: number) => (sessions.delete(session) ? 0 : 22),
    other: async (line: string) => {
      if (line === 'RESET') {
        await stack.reboot();
        return 'ok';
      }
      return 'errno=22';
    },
  };
  return world;
}

export /** OP-TEE (impl id 1) with PTA_STMM and the fTPM TA, as byte-level doubles that check the exact parameters. */
function opteeWorld(opts: { ftpmDelayMs?: number } = {}): Handlers & { cancels: number[] } {
  let next = 1;
  const sessions = new Map<number, string>();
  const world = {
    cancels: [] as number[],
    teeVersion: () => ({ implId: 1, implCaps: 1, genCaps: 5 }),
    teeOpen: (uuid: string, login: number, params: WireParam[]) => {
      if (uuid === '11111111-2222-3333-4444-555555555555') return { ret: TEEC.ERROR_BUSY, origin: 3 };
      if (uuid !== TEE_UUID.PTA_STMM && uuid !== TEE_UUID.FTPM_TA) return { ret: TEEC.ERROR_ITEM_NOT_FOUND, origin: 3 };
      // libteec sends 4 parameters, all NONE, login PUBLIC
      if (login !== 0 || params.length !== 4 || params.some((p) => p.attr !== 0)) return { ret: TEEC.ERROR_BAD_PARAMETERS, origin: 3 };
      sessions.set(next, uuid);
      return { ret: 0, session: next++ };
    },
    teeInvoke: async (session: number, func: number, params: WireParam[]) => {
      const ta = sessions.get(session);
      if (ta === TEE_UUID.PTA_STMM) {
        // optee_os stmm_enter_invoke_cmd: exactly [MEMREF_INOUT, VALUE_OUTPUT, NONE, NONE]
        if (func !== 0 || params.map((p) => p.attr).join() !== '7,2,0,0') return { ret: TEEC.ERROR_BAD_PARAMETERS, origin: 4 };
        const buf = params[0]!.mem!;
        if (buf.length > 16384) return { ret: TEEC.ERROR_EXCESS_DATA, origin: 4, params: [{ b: 16384n }] };
        const out = buf.slice();
        out[32] = 0x0e; // a recognisable change where SMM_VARIABLE_COMMUNICATE_HEADER.ReturnStatus sits
        return { ret: 0, params: [{ mem: out, b: BigInt(out.length) }, { a: 0xfffffffen }] };
      }
      if (ta === TEE_UUID.FTPM_TA) {
        // Linux tpm_ftpm_tee: [MEMREF_INPUT @0 len, MEMREF_INOUT @4096 size 4096, NONE, NONE] in one shm
        const [p0, p1] = params;
        if (func !== 0 || params.map((p) => p.attr).join() !== '5,7,0,0' || p0!.a !== 0n || p1!.a !== 4096n || p1!.b !== 4096n || p0!.c !== p1!.c) {
          return { ret: TEEC.ERROR_BAD_PARAMETERS, origin: 4 };
        }
        if (opts.ftpmDelayMs) await new Promise((r) => setTimeout(r, opts.ftpmDelayMs));
        const cmd = p0!.mem!;
        // GetRandom(n) -> n bytes 0xa5; anything else -> TPM_RC_COMMAND_CODE
        const cc = ((cmd[6]! << 24) | (cmd[7]! << 16) | (cmd[8]! << 8) | cmd[9]!) >>> 0;
        const rsp = cc === 0x17b ? fromHex(`80010000000e000000000002a5a5`) : fromHex('80010000000a00000143');
        return { ret: 0, params: [undefined, { mem: rsp, b: BigInt(rsp.length) }] };
      }
      return { ret: 0, errno: 22 };
    },
    teeCancel: (cancelId: number) => {
      world.cancels.push(cancelId);
    },
  };
  return world;
}
