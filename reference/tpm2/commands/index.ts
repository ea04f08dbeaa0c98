// Every command the reference TPM implements, by command code. TPM2_GetCapability
// (TPM_CAP_COMMANDS) lists exactly these, and nothing else is dispatched.
import type { CommandDef } from '../defs.js';
import { BASIC } from './basic.js';
import { NV } from './nv.js';
import { OBJECT } from './object.js';
import { PCR } from './pcr.js';
import { SESSION } from './session.js';

export const COMMANDS: Map<number, CommandDef> = new Map();
for (const d of [...BASIC, ...PCR, ...SESSION, ...OBJECT, ...NV]) {
  if (COMMANDS.has(d.cc)) throw new Error(`command 0x${d.cc.toString(16)} defined twice`);
  COMMANDS.set(d.cc, d);
}
