// Loopback ports for test clusters. The test runner starts several test
// files at once, and a member restarted after a crash must get its port
// back, so a port must not be handed to anyone else while a test holds it:
//  - ports come from below the kernel's ephemeral range (32768 and up on
//    Linux), so no outgoing connection's local port can take one;
//  - each port is reserved across processes by a file created exclusively
//    in the temp directory, holding the owner's pid. A reservation whose
//    owner is dead is taken over; the process drops its own at exit;
//  - the port must also bind right now, which skips ports held by anything
//    that is not a Strata test.

import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOW = 20_000;
const HIGH = 32_000;
const DIR = join(tmpdir(), 'strata-test-ports');
const held = new Set<number>();
let exitHookInstalled = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

function reserve(port: number): boolean {
  const path = join(DIR, String(port));
  if (tryCreate(path)) return true;
  let owner = NaN;
  try {
    owner = Number(readFileSync(path, 'utf8'));
  } catch {
    // removed meanwhile, or half written: try again below
  }
  if (Number.isInteger(owner) && owner > 0 && alive(owner)) return false;
  try {
    unlinkSync(path);
  } catch {
    // another process took it over first
  }
  return tryCreate(path);
}

function release(port: number): void {
  held.delete(port);
  try {
    unlinkSync(join(DIR, String(port)));
  } catch {
    // already gone
  }
}

function canBind(port: number): Promise<boolean> {
  const srv = createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A loopback port reserved for this process until it exits (or releasePort). */
export async function freePort(): Promise<number> {
  mkdirSync(DIR, { recursive: true });
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const p of [...held]) release(p);
    });
  }
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (held.has(port) || !reserve(port)) continue;
    if (await canBind(port)) {
      held.add(port);
      return port;
    }
    release(port);
  }
  throw new Error(`no free loopback port in ${LOW}..${HIGH}`);
}

/** Gives a port from freePort back before the process exits. */
export function releasePort(port: number): void {
  if (held.has(port)) release(port);
}
