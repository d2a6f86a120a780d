/**
 * Streaming decoders of an HTTP body's Content-Encoding (gzip, deflate with or without its
 * zlib wrapper, br), lenient on a missing end of stream as browsers are.
 */
import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';

export const KNOWN_CODINGS = new Set(['gzip', 'x-gzip', 'deflate', 'br']);

/** Marks errors from a decoder, so that the message can say the body was not valid <coding>. */
export const DECODING = Symbol('decoding');

export function decoder(coding: string): Transform {
  // Lenient on a missing end of stream, like browsers: a truncated document is the parser's to report.
  const stream =
    coding === 'br'
      ? zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH })
      : coding === 'deflate'
        ? new AutoInflate()
        : zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
  stream.once('error', (error: Error & { [DECODING]?: string }) => {
    error[DECODING] = coding;
  });
  return stream;
}

/**
 * "deflate" is meant to be zlib-wrapped (RFC 9110) but some servers send raw deflate: look at the
 * first two bytes and inflate accordingly, as browsers do. Keeps the inner stream's backpressure.
 */
class AutoInflate extends Transform {
  #inner: zlib.Inflate | zlib.InflateRaw | undefined;
  #head: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let input = chunk;
    if (!this.#inner) {
      this.#head = Buffer.concat([this.#head, chunk]);
      if (this.#head.length < 2) {
        callback();
        return;
      }
      input = this.#head;
      this.#head = Buffer.alloc(0);
      this.#start(input);
    }
    const inner = this.#inner!;
    if (inner.write(input)) callback();
    else inner.once('drain', () => callback());
  }

  override _flush(callback: TransformCallback): void {
    if (!this.#inner) {
      if (this.#head.length === 0) {
        callback();
        return;
      }
      this.#start(this.#head);
      this.#inner!.write(this.#head);
    }
    this.#inner!.once('end', () => callback());
    this.#inner!.end();
  }

  override _read(size: number): void {
    this.#inner?.resume();
    super._read(size);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#inner?.destroy();
    callback(error);
  }

  #start(head: Buffer): void {
    const b0 = head[0] ?? 0;
    const b1 = head[1] ?? 0;
    const zlibHeader = (b0 & 0x0f) === 8 && b0 >> 4 <= 7 && ((b0 << 8) | b1) % 31 === 0;
    const options = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
    const inner = zlibHeader ? zlib.createInflate(options) : zlib.createInflateRaw(options);
    inner.on('data', (data: Buffer) => {
      if (!this.push(data)) inner.pause();
    });
    inner.on('error', (error) => this.destroy(error));
    this.#inner = inner;
  }
}
