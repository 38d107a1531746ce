// An exclusive lock as a PID file, the PostgreSQL postmaster.pid way, since
// Node has no flock(). The file holds "<pid> <hostname>". It is created
// atomically with its content (written to a temp file, then hard-linked into
// place, which fails if the name is taken). A lock file left by a process
// that is no longer alive on this host is stale and is taken over. Within
// one process a registry of held paths makes a second lock fail at once.
// Limit: two processes taking over the same stale lock at the same instant
// could both succeed; a stale lock only exists after a crash, so this needs
// two restarts racing on one data directory.

import { closeSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { LockHeld } from '../errors.js';
import type { FileLock } from '../file-system.js';
import { call, fromNodeError } from './errno.js';

const heldByThisProcess = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return typeof err === 'object' && err !== null && 'code' in err && err.code === 'EPERM';
  }
}

function readHolder(path: string): { pid: number; host: string } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT') return undefined;
    throw fromNodeError(err, 'lock', path);
  }
  const [pidText, host] = text.trim().split(' ');
  const pid = Number(pidText);
  return { pid: Number.isSafeInteger(pid) && pid > 0 ? pid : 0, host: host ?? '' };
}

export function lockFile(path: string): FileLock {
  const abs = resolve(path);
  if (heldByThisProcess.has(abs)) throw new LockHeld(path, `this process (pid ${process.pid})`);
  const me = `${process.pid} ${hostname()}\n`;
  const temp = `${abs}.${process.pid}.${Date.now()}.tmp`;
  call('lock', temp, () => {
    const fd = openSync(temp, 'wx');
    try {
      writeSync(fd, me);
    } finally {
      closeSync(fd);
    }
  });
  try {
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        linkSync(temp, abs);
        heldByThisProcess.add(abs);
        return new PidLock(path, abs, me);
      } catch (err) {
        const taken = typeof err === 'object' && err !== null && 'code' in err && err.code === 'EEXIST';
        if (!taken) throw fromNodeError(err, 'lock', path);
      }
      const holder = readHolder(abs);
      if (holder === undefined) continue; // released between our link and read: try again
      if (holder.pid === 0) throw new LockHeld(path, 'an unreadable lock file (remove it if nothing uses this directory)');
      const stale = holder.host === hostname() && (holder.pid === process.pid || !isAlive(holder.pid));
      if (!stale) throw new LockHeld(path, `pid ${holder.pid} on ${holder.host}`);
      try {
        unlinkSync(abs);
      } catch (err) {
        const gone = typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT';
        if (!gone) throw fromNodeError(err, 'lock', path);
      }
    }
    throw new LockHeld(path, 'a contending process');
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // Best effort: the temp name is unique to this attempt.
    }
  }
}

class PidLock implements FileLock {
  readonly path: string;
  readonly #abs: string;
  readonly #content: string;
  #held = true;

  constructor(path: string, abs: string, content: string) {
    this.path = path;
    this.#abs = abs;
    this.#content = content;
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    heldByThisProcess.delete(this.#abs);
    try {
      if (readFileSync(this.#abs, 'utf8') === this.#content) unlinkSync(this.#abs);
    } catch {
      // Already gone: nothing to release.
    }
  }
}
