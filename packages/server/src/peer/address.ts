// Peer addresses are `host:port` (IPv6 hosts in brackets, `[::1]:2380`). The
// listen address may use port 0 for "any free port". Checked once, where the
// caller hands them in, so a typo fails setPeer/start instead of every send.

import { InvalidArgument } from '@strata/engine';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function parseHostPort(addr: string, what: string): HostPort {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d{1,5})$/.exec(addr);
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || m[1] === undefined || port > 65535) throw new InvalidArgument(`${what} must be host:port, got ${JSON.stringify(addr)}`);
  return { host: m[1], port };
}
