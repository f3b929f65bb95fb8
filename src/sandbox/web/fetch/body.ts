// @see https://fetch.spec.whatwg.org/#body-mixin
// A body keeps the form it was given (string, bytes, stream) until someone needs another, so the common
// case of a string response crosses the boundary as a string without ever being encoded here. Each
// holder owns its bytes outright: readers may hand out the underlying buffer without copying it.
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import {
  JSONParse, StringPrototypeCharCodeAt, StringPrototypeIsWellFormed, StringPrototypeSlice, StringPrototypeToWellFormed,
  TypeErrorCtor,
} from '../../bootstrap/primordials.js';
import { exactBuffer, toBytes } from '../encoding/bytes.js';
import { utf8Encode } from '../encoding/text-encoder.js';
import { Blob, blobBytes } from '../blob/blob.js';
import { readIncomingWhole } from './incoming-body.js';
import { SubrequestResponseBody, readSubrequestWhole, takeSubrequestBody } from './subrequest-body.js';
import { URLSearchParams } from '../url/url-search-params.js';
import { FormData } from '../form-data/form-data.js';
import { encodeFormData, parseFormData } from '../form-data/multipart.js';
import { isReadableStream, isStreamDisturbed, readAllBytes, streamOfBytes, usedStream, type AnyReadableStream } from '../streams/streams.js';

// A SubrequestResponseBody is a stream body still on the host: it becomes a ReadableStream only when asked for one.
export type BodySource = string | Uint8Array | AnyReadableStream | SubrequestResponseBody | null;

export interface ExtractedBody { source: BodySource; contentType: string | null }

const USED = 'Body has already been used. It can only be used once. Use tee() first if you need to read it twice.';

/** USVString conversion: lone surrogates become U+FFFD, as they would once encoded. */
function usv(text: string): string {
  return StringPrototypeIsWellFormed(text) ? text : StringPrototypeToWellFormed(text);
}

/** @see https://fetch.spec.whatwg.org/#concept-bodyinit-extract */
export function extractBody(init: unknown): ExtractedBody {
  if (init === null || init === undefined) return { source: null, contentType: null };
  if (typeof init === 'string') return { source: usv(init), contentType: 'text/plain;charset=UTF-8' };
  if (init instanceof ArrayBuffer || ArrayBuffer.isView(init)) return { source: toBytes(init, 'body').slice(), contentType: null };
  if (init instanceof Blob) {
    return { source: blobBytes(init).slice(), contentType: init.type === '' ? null : init.type };
  }
  if (init instanceof URLSearchParams) return { source: init.toString(), contentType: 'application/x-www-form-urlencoded;charset=UTF-8' };
  if (init instanceof FormData) {
    const { bytes, contentType } = encodeFormData(init);
    return { source: bytes, contentType };
  }
  if (isReadableStream(init)) {
    if (init.locked || isStreamDisturbed(init)) throw new TypeError('This ReadableStream is disturbed or locked and cannot be used as a body.');
    return { source: init, contentType: null };
  }
  // Anything else is stringified, as WebIDL's USVString conversion does for the union's last member.
  return { source: usv(String(init)), contentType: 'text/plain;charset=UTF-8' };
}

export abstract class BodyHolder {
  // null is the spec's "null body"; a non-null source stays non-null for the holder's life.
  #source: BodySource = null;
  #stream: AnyReadableStream | null = null;
  // Consumed through a reader of this holder (text(), the host...), whatever form the source had.
  #used = false;

  protected initBody(source: BodySource): void {
    this.#source = source;
    this.#stream = isReadableStream(source) ? source : null;
    this.#used = false;
  }
  protected hasBody(): boolean { return this.#source !== null; }
  protected abstract contentType(): string | null;

  get body(): AnyReadableStream | null {
    if (this.#source === null) return null;
    if (this.#stream !== null) return this.#stream;
    // Read already: the body is a stream that has been read to its end.
    if (this.#used) return (this.#stream = usedStream());
    if (this.#source instanceof SubrequestResponseBody) return this.#materialize(this.#source);
    const bytes = typeof this.#source === 'string' ? utf8Encode(this.#source) : (this.#source as Uint8Array);
    this.#stream = streamOfBytes(bytes);
    this.#source = this.#stream;
    return this.#stream;
  }
  get bodyUsed(): boolean {
    if (this.#source === null) return false;
    return this.#used || (this.#stream !== null && isStreamDisturbed(this.#stream));
  }

  #materialize(source: SubrequestResponseBody): AnyReadableStream {
    this.#stream = source.stream();
    this.#source = this.#stream;
    return this.#stream;
  }

  /** Takes the body for reading, once. @see https://fetch.spec.whatwg.org/#concept-body-consume-body */
  #take(): BodySource {
    const source = this.#source;
    // A null body is never unusable: it reads as empty any number of times.
    if (source === null) return null;
    if (this.bodyUsed) throw new TypeErrorCtor(USED);
    if (this.#stream !== null && this.#stream.locked) throw new TypeErrorCtor('The ReadableStream is locked.');
    this.#used = true;
    return source;
  }
  protected async consumeBytes(): Promise<Uint8Array> {
    const source = this.#take();
    if (source === null) return new Uint8Array(0);
    if (typeof source === 'string') return utf8Encode(source);
    if (source instanceof Uint8Array) return source;
    if (source instanceof SubrequestResponseBody) return source.readWhole();
    return readIncomingWhole(source) ?? readSubrequestWhole(source) ?? readAllBytes(source);
  }

  async text(): Promise<string> {
    const source = this.#take();
    if (source === null) return '';
    if (typeof source === 'string') {
      // UTF-8 decode drops a leading byte order mark, which a string body encodes to.
      return StringPrototypeCharCodeAt(source, 0) === 0xfeff ? StringPrototypeSlice(source, 1) : source;
    }
    const bytes = source instanceof Uint8Array ? source : source instanceof SubrequestResponseBody ? await source.readWhole()
      : await (readIncomingWhole(source) ?? readSubrequestWhole(source) ?? readAllBytes(source));
    return hostCall(Op.TextDecode, exactBuffer(bytes), 'utf-8', false, false, false) as string;
  }
  async json(): Promise<unknown> { return JSONParse(await this.text()); }
  async arrayBuffer(): Promise<ArrayBuffer> { return exactBuffer(await this.consumeBytes()); }
  async bytes(): Promise<Uint8Array> { return new Uint8Array(await this.arrayBuffer()); }
  /** @see https://fetch.spec.whatwg.org/#dom-body-formdata */
  async formData(): Promise<FormData> { return parseFormData(await this.consumeBytes(), this.contentType()); }
  async blob(): Promise<Blob> {
    const bytes = await this.consumeBytes();
    return new Blob([bytes], { type: this.contentType() ?? '' });
  }

  /** For clone() and new Request(request): bytes are copied, a stream is tee'd. */
  protected cloneSource(): BodySource {
    if (this.bodyUsed) throw new TypeErrorCtor(USED);
    const source = this.#source instanceof SubrequestResponseBody ? this.#materialize(this.#source) : this.#source;
    if (source === null || typeof source === 'string') return source;
    if (source instanceof Uint8Array) return source.slice();
    if (source.locked) throw new TypeErrorCtor('The ReadableStream is locked.');
    const [a, b] = source.tee();
    this.#stream = a as AnyReadableStream;
    this.#source = this.#stream;
    return b as AnyReadableStream;
  }
  /**
   * For new Request(request): the body moves to the new holder and this one is left used. A stream
   * moves as it is, not tee'd, so a request passed on to fetch() streams without a copy of its body
   * piling up in a branch nobody reads. @see https://fetch.spec.whatwg.org/#dom-request (step 41)
   */
  protected transferSource(): BodySource {
    if (this.bodyUsed) throw new TypeErrorCtor(USED);
    const source = this.#source;
    if (isReadableStream(source) && source.locked) {
      throw new TypeErrorCtor('The ReadableStream is locked.');
    }
    this.#used = true;
    return source;
  }
  /** For the boundary, when the body is a stream: the host pulls it chunk by chunk. */
  static takeStreamForHost(holder: BodyHolder): AnyReadableStream {
    const source = holder.#take();
    if (source instanceof SubrequestResponseBody) return source.stream();
    if (!isReadableStream(source)) throw new TypeErrorCtor('The body is not a stream.');
    return source;
  }
  /**
   * For the boundary: the handle of a subrequest's response body nobody has touched, taken for the host
   * to send on; null (and the body left as it was) for any other body.
   */
  static takeSubrequestForHost(holder: BodyHolder): number | null {
    const source = holder.#source;
    if (holder.bodyUsed) return null;
    let handle: number | null = null;
    if (source instanceof SubrequestResponseBody) handle = source.handleToSend();
    else if (isReadableStream(source) && !source.locked) handle = takeSubrequestBody(source);
    if (handle !== null) holder.#used = true;
    return handle;
  }
  /** For the boundary, when the body is not a stream: no await, so the response leaves this turn. */
  static takeForHost(holder: BodyHolder): string | ArrayBuffer | null {
    const source = holder.#take();
    if (source === null || typeof source === 'string') return source;
    if (source instanceof Uint8Array) return exactBuffer(source);
    throw new TypeErrorCtor('A stream body must be read asynchronously.');
  }
  static hasStreamBody(holder: BodyHolder): boolean { return holder.#stream !== null || holder.#source instanceof SubrequestResponseBody; }
}
