// Command and response framing (Part 1, 18.2-18.10; Part 3, 5): header,
// handle area, authorization area, parameters; responses with handles,
// parameterSize and the response authorization area.
import { DecodeError } from '../bytes.js';
import { ST, ccName } from './constants.js';
import { RC, rcName } from './rc.js';
import { TpmReader, TpmWriter } from './marshal.js';

export const HEADER_SIZE = 10;

export interface CommandSession {
  handle: number;
  nonce: Uint8Array;
  attributes: number;
  /** HMAC, or the password for TPM_RS_PW. */
  hmac: Uint8Array;
}

export interface ResponseSession {
  nonce: Uint8Array;
  attributes: number;
  hmac: Uint8Array;
}

export interface CommandSpec {
  /** Defaults to TPM_ST_SESSIONS when sessions are given, else TPM_ST_NO_SESSIONS. */
  tag?: number;
  cc: number;
  handles?: readonly number[];
  sessions?: readonly CommandSession[];
  params?: Uint8Array;
  /** Override the commandSize field (malformed-command checks). */
  sizeOverride?: number;
  /** Override the authorizationSize field. */
  authSizeOverride?: number;
}

export function writeCommandSession(w: TpmWriter, s: CommandSession): void {
  w.u32(s.handle).tpm2b(s.nonce).u8(s.attributes).tpm2b(s.hmac);
}

export function encodeAuthArea(sessions: readonly CommandSession[]): Uint8Array {
  const w = new TpmWriter();
  for (const s of sessions) writeCommandSession(w, s);
  return w.finish();
}

export function encodeCommand(c: CommandSpec): Uint8Array {
  const sessions = c.sessions ?? [];
  const tag = c.tag ?? (sessions.length ? ST.SESSIONS : ST.NO_SESSIONS);
  const body = new TpmWriter(256);
  for (const h of c.handles ?? []) body.u32(h);
  if (sessions.length || c.authSizeOverride !== undefined) {
    const auth = encodeAuthArea(sessions);
    body.u32(c.authSizeOverride ?? auth.length).bytes(auth);
  }
  body.bytes(c.params ?? new Uint8Array(0));
  const b = body.finish();
  const w = new TpmWriter(HEADER_SIZE + b.length);
  w.u16(tag).u32(c.sizeOverride ?? HEADER_SIZE + b.length).u32(c.cc).bytes(b);
  return w.finish();
}

export interface Header {
  tag: number;
  size: number;
  /** Command code (commands) or response code (responses). */
  code: number;
}

/** The 10-byte header; throws DecodeError when fewer than 10 bytes. */
export function decodeHeader(bytes: Uint8Array): Header {
  if (bytes.length < HEADER_SIZE) throw new DecodeError(`TPM header needs 10 bytes, got ${bytes.length}`);
  const r = new TpmReader(bytes, 'header');
  return { tag: r.u16(), size: r.u32(), code: r.u32() };
}

export interface DecodedResponse {
  tag: number;
  size: number;
  rc: number;
  handles: number[];
  parameters: Uint8Array;
  sessions: ResponseSession[];
  raw: Uint8Array;
}

/**
 * Decodes a response to a command with `handleCount` response handles and
 * `sessionCount` sessions. Throws DecodeError when the bytes are not a valid
 * response (size field wrong, wrong tag for the command, session area
 * inconsistent): the target answered garbage.
 */
export function decodeResponse(bytes: Uint8Array, cc: number, handleCount: number, sessionCount: number): DecodedResponse {
  const h = decodeHeader(bytes);
  const what = `response to ${ccName(cc)}`;
  if (h.size !== bytes.length) throw new DecodeError(`${what}: responseSize ${h.size} but ${bytes.length} bytes arrived`);
  const base = { tag: h.tag, size: h.size, rc: h.code, raw: bytes };
  if (h.code !== RC.SUCCESS) {
    return { ...base, handles: [], parameters: new Uint8Array(0), sessions: [] };
  }
  const r = new TpmReader(bytes, what);
  r.offset = HEADER_SIZE;
  const wantTag = sessionCount > 0 ? ST.SESSIONS : ST.NO_SESSIONS;
  if (h.tag !== wantTag) throw new DecodeError(`${what}: tag 0x${h.tag.toString(16)} on a successful response (expected 0x${wantTag.toString(16)})`);
  try {
    const handles: number[] = [];
    for (let i = 0; i < handleCount; i++) handles.push(r.u32(`handle ${i + 1}`));
    let parameters: Uint8Array;
    const sessions: ResponseSession[] = [];
    if (sessionCount > 0) {
      const psize = r.u32('parameterSize');
      parameters = r.bytes(psize, 'parameters');
      for (let i = 0; i < sessionCount; i++) {
        sessions.push({ nonce: r.tpm2b(`session ${i + 1} nonceTPM`), attributes: r.u8(`session ${i + 1} attributes`), hmac: r.tpm2b(`session ${i + 1} hmac`) });
      }
      if (r.remaining) throw new DecodeError(`${what}: ${r.remaining} byte(s) after the authorization area`);
    } else {
      parameters = r.rest();
    }
    return { ...base, handles, parameters, sessions };
  } catch (e) {
    if (e instanceof DecodeError) throw new DecodeError(`${e.message}`);
    throw e;
  }
}

/** A 10-byte error response (Part 1, 18.4: error responses carry TPM_ST_NO_SESSIONS and no body). */
export function errorResponse(rc: number): Uint8Array {
  return new TpmWriter(10).u16(ST.NO_SESSIONS).u32(10).u32(rc).finish();
}

export function describeResponse(bytes: Uint8Array): string {
  if (bytes.length < HEADER_SIZE) return `${bytes.length}-byte answer (shorter than a TPM header)`;
  const h = decodeHeader(bytes);
  return `${rcName(h.code)}, tag 0x${h.tag.toString(16)}, ${h.size} bytes`;
}
