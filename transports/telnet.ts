// telnet://host:port — the fwsec envelope through a telnet server in front
// of a serial line: ser2net (labgrid's NetworkSerialPort, LAVA's
// LAVA_CONNECTION_COMMAND 'telnet host port'), or a QEMU chardev with
// telnet=on. Telnet commands (RFC 854) are taken out of what arrives,
// option offers are answered, and 0xff in what is sent is doubled.
//
//   telnet://host:port              RFC 854 both ways (ser2net, any telnetd)
//   telnet://host:port?peer=qemu    QEMU's chardev: it sends one opening
//                                   negotiation (IAC WILL ECHO, WILL SGA,
//                                   WILL BINARY, DO BINARY) and then writes
//                                   guest bytes as they are, 0xff NOT doubled
//                                   (chardev/char-socket.c tcp_chr_write); it
//                                   does undouble IAC IAC in what it receives.
//
// For a chardev without telnet=on use tcp://host:port (raw bytes).
// Options accepted: BINARY and SUPPRESS-GO-AHEAD both ways, ECHO from the
// server; everything else, including RFC 2217 COM-PORT-OPTION, is refused
// (ser2net already holds the line settings).
import { EnvelopeLink, envelopeTransport, type ByteStream } from './link.js';
import { openSocket, parseHostPort, socketStream } from './tcp.js';
import { TransportError, type Transport, type TransportEnv } from './types.js';

export const TELNET = {
  IAC: 255,
  DONT: 254,
  DO: 253,
  WONT: 252,
  WILL: 251,
  SB: 250,
  GA: 249,
  NOP: 241,
  SE: 240,
} as const;

export const TELNET_OPTION = { BINARY: 0, ECHO: 1, SGA: 3, COM_PORT: 44 } as const;

const VERB_NAMES: Record<number, string> = { 251: 'WILL', 252: 'WONT', 253: 'DO', 254: 'DONT' };
const OPTION_NAMES: Record<number, string> = { 0: 'BINARY', 1: 'ECHO', 3: 'SGA', 44: 'COM-PORT-OPTION' };

export type TelnetPeer = 'rfc854' | 'qemu';

/** What one chunk of received bytes held. */
export interface Decoded {
  data: Uint8Array;
  /** Bytes to send back (answers to option offers). */
  reply: Uint8Array;
  /** The commands seen, for logs: `WILL BINARY`, `SB 44 (6 bytes)`. */
  commands: string[];
}

const enum St {
  DATA,
  IAC,
  OPT,
  SB,
  SB_IAC,
}

/** Doubles every 0xff (IAC) in `data` (RFC 854: data byte 255 is sent as IAC IAC). */
export function telnetEscape(data: Uint8Array): Uint8Array {
  let n = 0;
  for (const b of data) if (b === TELNET.IAC) n++;
  if (n === 0) return data;
  const out = new Uint8Array(data.length + n);
  let j = 0;
  for (const b of data) {
    out[j++] = b;
    if (b === TELNET.IAC) out[j++] = TELNET.IAC;
  }
  return out;
}

/**
 * Incremental telnet receiver: commands may be split across chunks at any
 * byte. Never throws on input.
 */
export class TelnetDecoder {
  private st = St.DATA;
  private verb = 0;
  private sbLen = 0;
  private sbOpt = -1;
  private sawData = false;
  /** Options enabled on the server side (it WILL) and on ours (we WILL). */
  private readonly him = new Set<number>();
  private readonly us = new Set<number>();
  private readonly refusedHim = new Set<number>();
  private readonly refusedUs = new Set<number>();

  constructor(readonly peer: TelnetPeer = 'rfc854') {}

  decode(chunk: Uint8Array): Decoded {
    const data: number[] = [];
    const reply: number[] = [];
    const commands: string[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      switch (this.st) {
        case St.DATA:
          if (b === TELNET.IAC && !(this.peer === 'qemu' && this.sawData)) this.st = St.IAC;
          else {
            data.push(b);
            this.sawData = true;
          }
          break;
        case St.IAC:
          if (b === TELNET.IAC) {
            data.push(b);
            this.sawData = true;
            this.st = St.DATA;
          } else if (b >= TELNET.WILL && b <= TELNET.DONT) {
            this.verb = b;
            this.st = St.OPT;
          } else if (b === TELNET.SB) {
            this.st = St.SB;
            this.sbLen = 0;
            this.sbOpt = -1;
          } else {
            commands.push(`IAC ${b}`);
            this.st = St.DATA; // two-byte commands (NOP, GA, BRK, AYT, ...)
          }
          break;
        case St.OPT:
          commands.push(`${VERB_NAMES[this.verb]} ${OPTION_NAMES[b] ?? b}`);
          this.negotiate(this.verb, b, reply);
          this.st = St.DATA;
          break;
        case St.SB:
          if (b === TELNET.IAC) this.st = St.SB_IAC;
          else {
            if (this.sbOpt < 0) this.sbOpt = b;
            this.sbLen++;
          }
          break;
        case St.SB_IAC:
          if (b === TELNET.SE) {
            commands.push(`SB ${OPTION_NAMES[this.sbOpt] ?? this.sbOpt} (${this.sbLen} bytes)`);
            this.st = St.DATA;
          } else {
            this.sbLen++;
            this.st = St.SB;
          }
          break;
      }
    }
    return { data: Uint8Array.from(data), reply: Uint8Array.from(reply), commands };
  }

  /** Answers an offer once per change of state (RFC 1143: no negotiation loops). */
  private negotiate(verb: number, opt: number, out: number[]): void {
    const send = (v: number) => out.push(TELNET.IAC, v, opt);
    const acceptHim = opt === TELNET_OPTION.BINARY || opt === TELNET_OPTION.SGA || opt === TELNET_OPTION.ECHO;
    const acceptUs = opt === TELNET_OPTION.BINARY || opt === TELNET_OPTION.SGA;
    switch (verb) {
      case TELNET.WILL:
        if (acceptHim) {
          if (!this.him.has(opt)) {
            this.him.add(opt);
            send(TELNET.DO);
          }
        } else if (!this.refusedHim.has(opt)) {
          this.refusedHim.add(opt);
          send(TELNET.DONT);
        }
        break;
      case TELNET.WONT:
        if (this.him.delete(opt)) send(TELNET.DONT);
        break;
      case TELNET.DO:
        if (acceptUs) {
          if (!this.us.has(opt)) {
            this.us.add(opt);
            send(TELNET.WILL);
          }
        } else if (!this.refusedUs.has(opt)) {
          this.refusedUs.add(opt);
          send(TELNET.WONT);
        }
        break;
      case TELNET.DONT:
        if (this.us.delete(opt)) send(TELNET.WONT);
        break;
    }
  }

  /** Options in force, for diagnostics: `{server: ['BINARY', ...], client: [...]}`. */
  get options(): { server: string[]; client: string[] } {
    const name = (o: number) => OPTION_NAMES[o] ?? String(o);
    return { server: [...this.him].map(name), client: [...this.us].map(name) };
  }
}

/** Wraps a raw byte stream (a TCP socket) in the telnet layer. */
export function telnetStream(raw: ByteStream, peer: TelnetPeer, log?: (line: string) => void): ByteStream {
  const decoder = new TelnetDecoder(peer);
  const dataCbs: ((b: Uint8Array) => void)[] = [];
  raw.onData((chunk) => {
    const d = decoder.decode(chunk);
    if (d.commands.length) log?.(`telnet: ${d.commands.join(', ')}`);
    if (d.reply.length) raw.write(d.reply);
    if (d.data.length) for (const cb of dataCbs) cb(d.data);
  });
  return {
    write: (b) => raw.write(telnetEscape(b)),
    onData: (cb) => dataCbs.push(cb),
    onClose: (cb) => raw.onClose(cb),
    destroy: () => raw.destroy(),
  };
}

export function parseTelnetPeer(uri: URL): TelnetPeer {
  for (const k of uri.searchParams.keys()) {
    if (k !== 'peer' && k !== 'maxBody') throw new TransportError('connect', `${uri.href}: unknown option "${k}" (known: peer, maxBody)`);
  }
  const peer = uri.searchParams.get('peer') ?? 'rfc854';
  if (peer !== 'rfc854' && peer !== 'qemu') {
    throw new TransportError('connect', `${uri.href}: peer must be rfc854 (ser2net, telnetd) or qemu (QEMU chardev telnet=on)`);
  }
  return peer;
}

export async function openTelnet(uri: URL, env: TransportEnv): Promise<Transport> {
  const { host, port } = parseHostPort(uri);
  const peer = parseTelnetPeer(uri);
  const maxBody = Number(uri.searchParams.get('maxBody') ?? '') || undefined;
  const log = env.log ? (l: string) => env.log!(`${uri.href}: ${l}`) : undefined;
  const link = new EnvelopeLink(uri.href, async () => telnetStream(socketStream(await openSocket(host, port)), peer, log), {
    maxBody,
    log: env.log,
    // behind the telnet server is a serial line: the board keeps running when
    // a call times out, and a reconnect could kick another user off ser2net
    keepStreamOnTimeout: true,
  });
  return envelopeTransport(uri.href, link, env);
}
