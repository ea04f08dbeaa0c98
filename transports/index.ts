// Transport URIs -> transports. Add a scheme by adding one entry.
import { openInproc } from './inproc.js';
import { openTcp } from './tcp.js';
import { openSerial } from './serial.js';
import { openTelnet } from './telnet.js';
import { openTee } from './tee.js';
import { openTpmDev } from './tpmdev.js';
import { openMmc } from './mmc.js';
import { TransportError, type Transport, type TransportEnv, type TransportFactory } from './types.js';

export * from './types.js';

const SCHEMES: Record<string, { factory: TransportFactory; example: string }> = {
  inproc: { factory: openInproc, example: 'inproc:' },
  tcp: { factory: openTcp, example: 'tcp://127.0.0.1:4433' },
  serial: { factory: openSerial, example: 'serial:///dev/ttyUSB0?baud=115200' },
  telnet: { factory: openTelnet, example: 'telnet://127.0.0.1:2000' },
  tee: { factory: openTee, example: 'tee:///dev/tee0' },
  tpm: { factory: openTpmDev, example: 'tpm:///dev/tpmrm0' },
  mmc: { factory: openMmc, example: 'mmc:///dev/mmcblk0rpmb' },
};

export function registerScheme(scheme: string, factory: TransportFactory, example: string): void {
  SCHEMES[scheme] = { factory, example };
}

export function knownSchemes(): string[] {
  return Object.values(SCHEMES).map((s) => s.example);
}

/** Parses a transport URI, or explains what is wrong with it. */
export function parseTransportUri(text: string): URL {
  let uri: URL;
  try {
    uri = new URL(text);
  } catch {
    throw new TransportError('connect', `not a transport URI: ${JSON.stringify(text)} (known: ${knownSchemes().join(', ')})`);
  }
  const scheme = uri.protocol.replace(/:$/, '');
  if (!SCHEMES[scheme]) {
    throw new TransportError('connect', `unknown transport scheme "${scheme}:" in ${text} (known: ${knownSchemes().join(', ')})`);
  }
  return uri;
}

export async function openTransport(text: string, env: TransportEnv): Promise<Transport> {
  const uri = parseTransportUri(text);
  return SCHEMES[uri.protocol.replace(/:$/, '')]!.factory(uri, env);
}
