// An envelope link: fwsec envelope frames over any byte stream (TCP socket,
// serial port, telnet session). One request is outstanding at a time; a
// timeout or a dropped stream fails that call and the next call opens the
// stream again.
import {
  DEFAULT_MAX_BODY,
  EnvelopeError,
  FrameKind,
  FrameParser,
  decodeErrorBody,
  describeEvent,
  encodeFrame,
  envelopeErrorName,
  type ParserEvent,
} from '../protocol/envelope.js';
import { SERVICES, type ServiceName, type ServiceResponse } from '../protocol/services.js';
import { withDeadline } from './deadline.js';
import { TransportError, type CallOptions, type Channel, type Transport, type TransportEnv } from './types.js';

/** A duplex byte stream; `onClose` fires once, when the stream is gone. */
export interface ByteStream {
  write(bytes: Uint8Array): void;
  onData(cb: (chunk: Uint8Array) => void): void;
  onClose(cb: (err?: Error) => void): void;
  destroy(): void;
}

export type StreamOpener = (timeoutMs: number) => Promise<ByteStream>;

interface Pending {
  seq: number;
  service: number;
  /** The stream the request went out on: only its loss fails this call (and where a resend goes). */
  stream: ByteStream;
  /** The request as sent, for a resend after BAD_CRC. */
  frame: Uint8Array;
  resends: number;
  resolve(r: ServiceResponse): void;
  reject(e: Error): void;
}

export interface LinkOptions {
  maxBody?: number;
  log?: (line: string) => void;
  /** Sequence number of the first request (default 1; 0 is reserved for unsolicited frames). */
  firstSeq?: number;
  /**
   * Keep the stream open when a call times out (default: destroy it and
   * reopen for the next call). For serial lines, where closing and reopening
   * the port can toggle modem lines and reset a board; a late answer is then
   * discarded by its sequence number.
   */
  keepStreamOnTimeout?: boolean;
  /**
   * Resends of a request the far end reports as damaged in transit (error
   * frame BAD_CRC for its sequence number: the request was dropped, never
   * executed). Default 3; 0 turns it off.
   */
  maxResends?: number;
}

export class EnvelopeLink {
  private stream: ByteStream | undefined;
  private opening: Promise<ByteStream> | undefined;
  private parser: FrameParser;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private seq: number;
  private closed = false;
  /** Counters a run can report (noise skipped, stale frames, reconnects). */
  readonly stats = { calls: 0, connects: 0, garbageBytes: 0, staleFrames: 0, timeouts: 0, resends: 0 };

  constructor(
    readonly uri: string,
    private readonly opener: StreamOpener,
    private readonly opts: LinkOptions = {},
  ) {
    this.parser = new FrameParser(opts.maxBody ?? DEFAULT_MAX_BODY);
    this.seq = (opts.firstSeq ?? 1) >>> 0 || 1;
  }

  private log(line: string): void {
    this.opts.log?.(`${this.uri}: ${line}`);
  }

  private nextSeq(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) >>> 0 || 1;
    return s;
  }

  private async ensureStream(timeoutMs: number): Promise<ByteStream> {
    if (this.closed) throw new TransportError('closed', `${this.uri}: link closed`);
    if (this.stream) return this.stream;
    if (!this.opening) {
      this.opening = withDeadline(this.opener(timeoutMs), timeoutMs, `${this.uri}: connect`)
        .then((s) => {
          this.stats.connects += 1;
          this.parser = new FrameParser(this.opts.maxBody ?? DEFAULT_MAX_BODY);
          s.onData((chunk) => this.parser.push(chunk, (e) => this.onEvent(e)));
          s.onClose((err) => {
            if (this.stream === s) this.stream = undefined;
            // a stream dropped after a timeout closes late: it must not fail a newer call
            if (this.pending?.stream !== s) return;
            this.failPending(
              new TransportError('disconnected', `${this.uri}: connection lost${err ? ` (${err.message})` : ''}`),
            );
          });
          this.stream = s;
          return s;
        })
        .catch((e: unknown) => {
          if (e instanceof TransportError) throw e;
          throw new TransportError('connect', `${this.uri}: cannot connect: ${(e as Error).message}`);
        })
        .finally(() => {
          this.opening = undefined;
        });
    }
    return this.opening;
  }

  private failPending(e: Error): void {
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
  }

  private onEvent(e: ParserEvent): void {
    const p = this.pending;
    if (e.type === 'garbage') {
      this.stats.garbageBytes += e.bytes;
      this.log(`skipped ${e.bytes} byte(s) outside any frame`);
      return;
    }
    if (e.type !== 'frame') {
      if (p && e.seq === p.seq) {
        this.failPending(new TransportError('protocol', `${this.uri}: answer rejected: ${describeEvent(e)}`));
      } else this.log(`ignored: ${describeEvent(e)}`);
      return;
    }
    const f = e.frame;
    if (f.kind === FrameKind.ERROR) {
      const { code, message } = decodeErrorBody(f.body);
      if (p && f.seq === p.seq && code === EnvelopeError.BAD_CRC && p.resends < (this.opts.maxResends ?? 3)) {
        // the request was damaged on the way and dropped unexecuted: send it again
        p.resends += 1;
        this.stats.resends += 1;
        this.log(`request seq ${p.seq} arrived damaged (${message}); resending (${p.resends})`);
        p.stream.write(p.frame);
        return;
      }
      if (p && f.seq === p.seq) {
        this.failPending(
          new TransportError('remote', `${this.uri}: target refused the frame: ${envelopeErrorName(code)}: ${message}`, {
            code,
          }),
        );
      } else this.log(`unsolicited error frame seq ${f.seq}: ${envelopeErrorName(code)}: ${message}`);
      return;
    }
    if (!p || f.seq !== p.seq || f.kind !== FrameKind.RESPONSE) {
      this.stats.staleFrames += 1;
      this.log(`ignored frame kind ${f.kind} seq ${f.seq} (waiting for ${p ? p.seq : 'nothing'})`);
      return;
    }
    if (f.service !== p.service) {
      this.failPending(
        new TransportError('protocol', `${this.uri}: answer for service ${f.service} to a request for service ${p.service}`),
      );
      return;
    }
    this.pending = undefined;
    p.resolve({ status: f.status, body: f.body });
  }

  /** Sends one request and waits for its answer. Calls are serialised. */
  call(service: number, opcode: number, body: Uint8Array, timeoutMs: number): Promise<ServiceResponse> {
    const run = () => this.callNow(service, opcode, body, timeoutMs);
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async callNow(service: number, opcode: number, body: Uint8Array, timeoutMs: number): Promise<ServiceResponse> {
    const max = this.opts.maxBody ?? DEFAULT_MAX_BODY;
    if (body.length > max) {
      throw new TransportError('unsupported', `${this.uri}: request body of ${body.length} bytes over the link limit ${max}`, {
        code: EnvelopeError.FRAME_TOO_LARGE,
      });
    }
    const started = Date.now();
    const stream = await this.ensureStream(timeoutMs);
    const seq = this.nextSeq();
    this.stats.calls += 1;
    const frame = encodeFrame({ kind: FrameKind.REQUEST, service, seq, opcode, status: 0, body });
    const answer = new Promise<ServiceResponse>((resolve, reject) => {
      this.pending = { seq, service, stream, frame, resends: 0, resolve, reject };
    });
    stream.write(frame);
    const left = Math.max(1, timeoutMs - (Date.now() - started));
    return withDeadline(answer, left, `${this.uri} service ${service} opcode 0x${opcode.toString(16)}`, () => {
      // a target that missed its deadline may answer late or never: start clean
      this.stats.timeouts += 1;
      this.pending = undefined;
      if (this.opts.keepStreamOnTimeout) return;
      if (this.stream === stream) this.stream = undefined;
      stream.destroy();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failPending(new TransportError('closed', `${this.uri}: link closed`));
    this.stream?.destroy();
    this.stream = undefined;
  }
}

/** A Transport whose channels share one envelope link. */
export function envelopeTransport(uri: string, link: EnvelopeLink, env: TransportEnv): Transport {
  const channel = (service: ServiceName): Channel => ({
    uri,
    service,
    call: (opcode: number, body: Uint8Array, opts: CallOptions = {}) =>
      link.call(SERVICES[service], opcode, body, opts.timeoutMs ?? env.callTimeoutMs),
  });
  return { uri, channel, close: () => link.close() };
}
