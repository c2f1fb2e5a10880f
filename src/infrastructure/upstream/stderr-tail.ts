/**
 * Keeps only the last `maxBytes` of what an upstream process wrote to stderr, so a chatty or
 * crash-looping server cannot grow the gateway's memory, yet the health view can still show
 * why it died. One tail lives as long as its supervisor, across restarts.
 */
export class StderrTail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(readonly maxBytes = 8 * 1024) {}

  append(chunk: Buffer | string): void {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.chunks.push(buffer);
    this.size += buffer.length;
    while (this.size > this.maxBytes && this.chunks.length > 0) {
      const excess = this.size - this.maxBytes;
      const first = this.chunks[0];
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
    }
  }

  /** The kept bytes as text; a character cut in half at the start is dropped. */
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8').replace(/^\uFFFD+/, '');
  }

  clear(): void {
    this.chunks = [];
    this.size = 0;
  }
}
