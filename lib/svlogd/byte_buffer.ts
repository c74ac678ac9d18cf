/**
 * A growable byte buffer: svlogd collects a whole input chunk's output before one write.
 * It starts small because runsvdir holds two per in-process log directory, hundreds of
 * them mostly idle (64 KiB each made a logged service cost 163 kB instead of ~40 kB); a
 * busy log grows it to its chunk size once.
 */
export class ByteBuffer {
  bytes: Uint8Array;
  length = 0;
  readonly #initial: number;

  constructor(initial = 1 << 10) {
    this.bytes = new Uint8Array(initial);
    this.#initial = initial;
  }

  /** Makes room for `extra` more bytes. */
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  /** Appends bytes. */
  push(data: Uint8Array): void {
    this.reserve(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }

  /** Appends one byte. */
  pushByte(byte: number): void {
    this.reserve(1);
    this.bytes[this.length++] = byte;
  }

  /** The bytes held, as a view (valid until the next push). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  /** Empties the buffer; shrinks it back when one huge line made it grow. */
  clear(): void {
    this.length = 0;
    if (this.bytes.length > 1 << 22) this.bytes = new Uint8Array(this.#initial);
  }
}
