// When leases expire: a local clock view every member keeps beside the
// replicated lease table. Grants and keep-alives restart a lease's expiry
// on every member as they apply; a member that becomes leader restarts
// them all (etcd's promote: the old leader's timers are unknown); only the
// leader acts on expiry, by proposing revokes through Raft. Remaining TTLs
// on followers are their own estimate, within a tick of the leader's.

export class LeaseClock {
  readonly #now: () => number;
  /** Lease id → [granted TTL seconds, expiry ms]. */
  readonly #leases = new Map<bigint, { ttl: number; expiry: number }>();
  /** Revokes proposed and not yet applied, so one expiry is proposed once. */
  readonly #revoking = new Set<bigint>();

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A lease granted, renewed or loaded at start: it expires ttl seconds from now. */
  refresh(id: bigint, ttl: number): void {
    this.#leases.set(id, { ttl, expiry: this.#now() + ttl * 1000 });
    this.#revoking.delete(id);
  }

  /** Renews a known lease; false if it is unknown. */
  renew(id: bigint): number | undefined {
    const l = this.#leases.get(id);
    if (l === undefined) return undefined;
    this.refresh(id, l.ttl);
    return l.ttl;
  }

  forget(id: bigint): void {
    this.#leases.delete(id);
    this.#revoking.delete(id);
  }

  /** Restarts every lease (this member just became leader). */
  promote(): void {
    for (const [id, l] of this.#leases) this.refresh(id, l.ttl);
  }

  /** Seconds left (rounded up, at least 0), or undefined for an unknown lease. */
  remaining(id: bigint): { ttl: number; granted: number } | undefined {
    const l = this.#leases.get(id);
    if (l === undefined) return undefined;
    return { ttl: Math.max(0, Math.ceil((l.expiry - this.#now()) / 1000)), granted: l.ttl };
  }

  /** Expired leases not yet being revoked, at most `max`; they are marked as being revoked. */
  takeExpired(max: number): bigint[] {
    const now = this.#now();
    const out: bigint[] = [];
    for (const [id, l] of this.#leases) {
      if (out.length >= max) break;
      if (l.expiry <= now && !this.#revoking.has(id)) {
        this.#revoking.add(id);
        out.push(id);
      }
    }
    return out;
  }

  /** A revoke proposal failed: let the next check try again. */
  revokeFailed(id: bigint): void {
    this.#revoking.delete(id);
  }

  ids(): bigint[] {
    return [...this.#leases.keys()];
  }
}
