// The envelope control service: who is there, reset, echo.
import { ControlOpcode, ControlStatus, controlStatusName, decodeHello, type Hello } from '../protocol/control.js';
import { TransportError, type Channel } from '../transports/types.js';
import { decodeAnswer } from './common.js';

export class ControlClient {
  constructor(readonly channel: Channel) {}

  async hello(timeoutMs?: number): Promise<Hello> {
    const r = await this.channel.call(ControlOpcode.HELLO, new Uint8Array(0), { label: 'control HELLO', timeoutMs });
    if (r.status !== ControlStatus.OK) {
      throw new TransportError('protocol', `HELLO answered ${controlStatusName(r.status)}`);
    }
    return decodeAnswer('control HELLO', () => decodeHello(r.body));
  }

  /** Asks the target to reboot; resolves once it answered. */
  async reset(timeoutMs?: number): Promise<void> {
    const r = await this.channel.call(ControlOpcode.RESET, new Uint8Array(0), { label: 'control RESET', timeoutMs });
    if (r.status !== ControlStatus.OK) {
      throw new TransportError('unsupported', `RESET answered ${controlStatusName(r.status)}`);
    }
  }

  async echo(body: Uint8Array, timeoutMs?: number): Promise<Uint8Array> {
    const r = await this.channel.call(ControlOpcode.ECHO, body, { label: `control ECHO(${body.length} bytes)`, timeoutMs });
    if (r.status !== ControlStatus.OK) throw new TransportError('protocol', `ECHO answered ${controlStatusName(r.status)}`);
    return r.body;
  }
}
