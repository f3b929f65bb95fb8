// @see https://fetch.spec.whatwg.org/#body-mixin
// A body keeps the form it was given (string, bytes, stream) until someone needs another, so the common
// case of a string response crosses the boundary as a string without ever being encoded here.
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import { exactBuffer, toBytes } from '../encoding/bytes.js';
import { utf8Encode } from '../encoding/text-encoder.js';
import { Blob, blobBytes } from '../blob/blob.js';
import { URLSearchParams } from '../url/url-search-params.js';
import { isReadableStream, readAllBytes, streamOfBytes, type AnyReadableStream } from '../streams/streams.js';

export type BodySource = string | Uint8Array | AnyReadableStream | null;

export interface ExtractedBody { source: BodySource; contentType: string | null }

/** @see https://fetch.spec.whatwg.org/#concept-bodyinit-extract */
export function extractBody(init: unknown): ExtractedBody {
  if (init === null || init === undefined) return { source: null, contentType: null };
  if (typeof init === 'string') return { source: init, contentType: 'text/plain;charset=UTF-8' };
  if (init instanceof ArrayBuffer || ArrayBuffer.isView(init)) return { source: toBytes(init, 'body').slice(), contentType: null };
  if (init instanceof Blob) {
    return { source: blobBytes(init), contentType: init.type === '' ? null : init.type };
  }
  if (init instanceof URLSearchParams) return { source: init.toString(), contentType: 'application/x-www-form-urlencoded;charset=UTF-8' };
  if (isReadableStream(init)) return { source: init, contentType: null };
  // Anything else is stringified, as WebIDL's USVString conversion does for the union's last member.
  return { source: String(init), contentType: 'text/plain;charset=UTF-8' };
}

export abstract class BodyHolder {
  #source: BodySource = null;
  #stream: AnyReadableStream | null = null;
  #used = false;

  protected initBody(source: BodySource): void {
    this.#source = source;
    this.#stream = isReadableStream(source) ? source : null;
    this.#used = false;
  }
  protected markBodyUsed(): void { if (this.#source !== null) this.#used = true; }
  protected abstract contentType(): string | null;

  get body(): AnyReadableStream | null {
    if (this.#stream !== null) return this.#stream;
    if (this.#source === null) return null;
    const bytes = typeof this.#source === 'string' ? utf8Encode(this.#source) : (this.#source as Uint8Array);
    this.#stream = streamOfBytes(bytes);
    this.#source = this.#stream;
    return this.#stream;
  }
  get bodyUsed(): boolean {
    if (this.#used) return true;
    return this.#stream !== null && (this.#stream as unknown as { locked: boolean }).locked && isDisturbed(this.#stream);
  }

  /** Takes the body for reading, once. @see https://fetch.spec.whatwg.org/#concept-body-consume-body */
  protected async consumeBytes(): Promise<Uint8Array> {
    const source = this.#take();
    if (source === null) return new Uint8Array(0);
    if (typeof source === 'string') return utf8Encode(source);
    if (source instanceof Uint8Array) return source;
    return readAllBytes(source);
  }
  #take(): BodySource {
    if (this.bodyUsed) throw new TypeError('Body has already been used. It can only be used once. Use tee() first if you need to read it twice.');
    if (this.#stream !== null && (this.#stream as unknown as { locked: boolean }).locked) {
      throw new TypeError('The ReadableStream is locked.');
    }
    this.#used = true;
    return this.#source;
  }

  async text(): Promise<string> {
    const source = this.#take();
    if (source === null) return '';
    if (typeof source === 'string') return source;
    const bytes = source instanceof Uint8Array ? source : await readAllBytes(source);
    return hostCall(Op.TextDecode, exactBuffer(bytes), 'utf-8', false, false, false) as string;
  }
  async json(): Promise<unknown> { return JSON.parse(await this.text()); }
  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.consumeBytes();
    return exactBuffer(bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice());
  }
  async bytes(): Promise<Uint8Array> { return new Uint8Array(await this.arrayBuffer()); }
  async blob(): Promise<Blob> {
    const bytes = await this.consumeBytes();
    return new Blob([bytes], { type: this.contentType() ?? '' });
  }

  /** For clone(): the source is shared when immutable, tee'd when a stream. */
  protected cloneSource(): BodySource {
    if (this.bodyUsed) throw new TypeError('Body has already been used. It can only be used once. Use tee() first if you need to read it twice.');
    if (this.#stream === null) return this.#source;
    const [a, b] = this.#stream.tee();
    this.#stream = a as AnyReadableStream;
    this.#source = this.#stream;
    return b as AnyReadableStream;
  }
  /** For the boundary: the body in the cheapest form that can cross. */
  static async bodyForHost(holder: BodyHolder, limit: number): Promise<string | ArrayBuffer | null> {
    const source = holder.#take();
    if (source === null) return null;
    if (typeof source === 'string') return source;
    if (source instanceof Uint8Array) return exactBuffer(source);
    return exactBuffer(await readAllBytes(source, limit));
  }
  /** For the boundary, when the body is not a stream: no await, so the response leaves this turn. */
  static takeForHost(holder: BodyHolder): string | ArrayBuffer | null {
    const source = holder.#take();
    if (source === null || typeof source === 'string') return source;
    if (source instanceof Uint8Array) return exactBuffer(source);
    throw new TypeError('A stream body must be read asynchronously.');
  }
  static hasStreamBody(holder: BodyHolder): boolean { return holder.#stream !== null; }
}

// The streams implementation does not expose "disturbed"; a locked stream is taken as read, which is
// what engines report in practice once a tenant has a reader on it.
function isDisturbed(_stream: AnyReadableStream): boolean { return true; }
