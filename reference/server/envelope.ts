// Serves the reference stack over the fwsec envelope on any byte stream.
// Malformed input never stops the server: an oversize, damaged or unknown
// frame is answered with an error frame and the stream keeps being served.
import {
  EnvelopeError,
  FrameKind,
  FrameParser,
  encodeFrame,
  errorFrame,
  type Frame,
  type ParserEvent,
} from '../../protocol/envelope.js';
import type { ServiceResponse } from '../../protocol/services.js';

export interface FrameHandler {
  handle(service: number, opcode: number, body: Uint8Array): Promise<ServiceResponse | undefined>;
}

export interface ServeStreamOptions {
  maxBody: number;
  log?: (line: string) => void;
}

/** Wires one connection: returns the function to feed received bytes into. */
export function serveStream(
  target: FrameHandler,
  write: (bytes: Uint8Array) => void,
  opts: ServeStreamOptions,
): (chunk: Uint8Array) => void {
  const parser = new FrameParser(opts.maxBody);
  let chain: Promise<void> = Promise.resolve();
  const log = opts.log ?? (() => {});
  const send = (f: Frame) => write(encodeFrame(f));

  const onEvent = (e: ParserEvent): void => {
    switch (e.type) {
      case 'garbage':
        log(`skipped ${e.bytes} byte(s) outside any frame`);
        send(errorFrame(0, 0, EnvelopeError.BAD_MAGIC, `skipped ${e.bytes} byte(s) outside any frame`));
        return;
      case 'bad-version':
        send(errorFrame(e.seq, e.service, EnvelopeError.UNSUPPORTED_VERSION, `envelope version ${e.version} not supported (speak 1)`));
        return;
      case 'too-large':
        send(errorFrame(e.seq, e.service, EnvelopeError.FRAME_TOO_LARGE, `body of ${e.length} bytes over the limit of ${opts.maxBody}`));
        return;
      case 'bad-crc':
        send(errorFrame(e.seq, e.service, EnvelopeError.BAD_CRC, 'body CRC-32 mismatch'));
        return;
      case 'frame': {
        const f = e.frame;
        if (f.kind !== FrameKind.REQUEST) {
          send(errorFrame(f.seq, f.service, EnvelopeError.BAD_KIND, `frame kind ${f.kind} is not a request`));
          return;
        }
        // answer in order, one request at a time
        chain = chain.then(async () => {
          let res: ServiceResponse | undefined;
          try {
            res = await target.handle(f.service, f.opcode, f.body);
          } catch (err) {
            log(`service failure: ${(err as Error).message}`);
            send(errorFrame(f.seq, f.service, EnvelopeError.SERVICE_FAILURE, (err as Error).message));
            return;
          }
          if (!res) {
            send(errorFrame(f.seq, f.service, EnvelopeError.UNKNOWN_SERVICE, `service ${f.service} is not served here`));
          } else if (res.body.length > opts.maxBody) {
            send(errorFrame(f.seq, f.service, EnvelopeError.FRAME_TOO_LARGE, `answer of ${res.body.length} bytes over the limit`));
          } else {
            send({ kind: FrameKind.RESPONSE, service: f.service, seq: f.seq, opcode: f.opcode, status: res.status, body: res.body });
          }
        });
      }
    }
  };
  return (chunk) => parser.push(chunk, onEvent);
}
