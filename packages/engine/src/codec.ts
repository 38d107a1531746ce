// Little-endian binary encoding for record payloads: fixed-width integers,
// LEB128 varints (up to 2^53) and length-prefixed byte strings. A reader
// that runs off its buffer or meets a malformed varint throws DecodeError
// with the position, which the caller reports as Corruption.

/** Bytes the LEB128 varint of `x` takes. */
export function varintSize(x: number): number {
  let n = 1;
  while (x >= 0x80) {
    x = Math.floor(x / 0x80);
    n++;
  }
  return n;
}

/** Writes the LEB128 varint of `x` at `pos` in `buf` (which must have room); returns the end. */
export function putVarint(buf: Uint8Array, pos: number, x: number): number {
  while (x >= 0x80) {
    buf[pos++] = (x % 0x80) | 0x80;
    x = Math.floor(x / 0x80);
  }
  buf[pos++] = x;
  return pos;
}

export class DecodeError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(`${message} at payload byte ${position}`);
    this.position = position;
  }
}

export class ByteWriter {
  #buf: Uint8Array;
  #len = 0;

  /** Starts with room for `capacity` bytes, or writes into `buffer` (whose old contents are never exposed) until it outgrows it. */
  constructor(capacity: number | Uint8Array = 256) {
    this.#buf = typeof capacity === 'number' ? new Uint8Array(Math.max(16, capacity)) : capacity;
  }

  get length(): number {
    return this.#len;
  }

  u8(x: number): this {
    this.#reserve(1);
    this.#buf[this.#len++] = x;
    return this;
  }

  varint(x: number): this {
    if (!Number.isSafeInteger(x) || x < 0) throw new RangeError(`varint must be a non-negative safe integer, got ${x}`);
    this.#reserve(8);
    while (x >= 0x80) {
      this.#buf[this.#len++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    this.#buf[this.#len++] = x;
    return this;
  }

  /** A varint length followed by the bytes. */
  bytes(b: Uint8Array): this {
    this.varint(b.length);
    return this.raw(b);
  }

  /** A length-prefixed UTF-8 string. */
  string(s: string): this {
    return this.bytes(new TextEncoder().encode(s));
  }

  raw(b: Uint8Array): this {
    this.#reserve(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  /** The bytes written so far (a copy-free view; do not write after taking it). */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = Math.max(16, this.#buf.length * 2);
    while (cap < this.#len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class ByteReader {
  readonly #buf: Uint8Array;
  #pos = 0;

  constructor(buf: Uint8Array) {
    this.#buf = buf;
  }

  get position(): number {
    return this.#pos;
  }

  get done(): boolean {
    return this.#pos >= this.#buf.length;
  }

  u8(): number {
    if (this.#pos >= this.#buf.length) throw new DecodeError('unexpected end of payload', this.#pos);
    return this.#buf[this.#pos++] as number;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    const start = this.#pos;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) throw new DecodeError('varint out of range', start);
        return result;
      }
      scale *= 0x80;
    }
    throw new DecodeError('varint too long', start);
  }

  /** A length-prefixed byte string, as a view into the buffer. */
  bytes(): Uint8Array {
    const n = this.varint();
    return this.raw(n);
  }

  string(): string {
    const at = this.#pos;
    try {
      return utf8.decode(this.bytes());
    } catch (err) {
      if (err instanceof DecodeError) throw err;
      throw new DecodeError('invalid UTF-8', at);
    }
  }

  raw(n: number): Uint8Array {
    if (this.#pos + n > this.#buf.length) throw new DecodeError(`needs ${n} bytes, has ${this.#buf.length - this.#pos}`, this.#pos);
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** Throws unless every byte was consumed. */
  expectEnd(): void {
    if (!this.done) throw new DecodeError(`${this.#buf.length - this.#pos} unexpected trailing bytes`, this.#pos);
  }
}
