// @see https://encoding.spec.whatwg.org/#interface-textencoderstream
// Strings in, UTF-8 bytes out. A surrogate pair split across two chunks is encoded whole: a high
// surrogate ending one chunk waits for the next. Evaluated on first use of the global, with what it
// needs of the runtime handed in (see streams/stream-class-globals.ts).
import type { AnyReadableStream } from '../streams/streams.js';
import type { StreamClassSupport } from '../streams/stream-class-globals.js';

interface Controller { enqueue(chunk: Uint8Array): void }

export function define(support: StreamClassSupport): Record<string, unknown> {
  const {
    loadStreams, utf8Encode, ObjectDefineProperty, StringPrototypeCharCodeAt, StringPrototypeSlice, SymbolToStringTag, TypeErrorCtor,
    Uint8ArrayCtor,
  } = support;
  type AnyTransformStream = InstanceType<ReturnType<typeof loadStreams>['TransformStream']>;

  class TextEncoderStream {
    readonly #transform: AnyTransformStream;

    constructor() {
      if (new.target === undefined) throw new TypeErrorCtor("Failed to construct 'TextEncoderStream': Please use the 'new' operator.");
      const { TransformStream } = loadStreams();
      // The spec's "leading surrogate": a high surrogate that ended the last chunk.
      let pending = '';
      this.#transform = new TransformStream({
        // @see https://encoding.spec.whatwg.org/#encode-and-enqueue-a-chunk
        transform(chunk: unknown, controller: Controller): void {
          let text = pending + `${chunk as string}`;
          pending = '';
          const last = text.length - 1;
          const unit = last >= 0 ? StringPrototypeCharCodeAt(text, last) : 0;
          if (unit >= 0xd800 && unit <= 0xdbff) {
            pending = StringPrototypeSlice(text, last);
            text = StringPrototypeSlice(text, 0, last);
          }
          // utf8Encode may answer with a view into a larger buffer; the reader gets bytes of its own.
          if (text !== '') controller.enqueue(new Uint8ArrayCtor(utf8Encode(text)));
        },
        // @see https://encoding.spec.whatwg.org/#encode-and-flush: a lone high surrogate becomes U+FFFD.
        flush(controller: Controller): void {
          if (pending === '') return;
          // Set byte by byte: building from an array would go through its (replaceable) iterator.
          const replacement = new Uint8ArrayCtor(3);
          replacement[0] = 0xef;
          replacement[1] = 0xbf;
          replacement[2] = 0xbd;
          controller.enqueue(replacement);
        },
      } as never);
    }

    get encoding(): string { return 'utf-8'; }
    get readable(): AnyReadableStream { return this.#transform.readable as AnyReadableStream; }
    get writable(): AnyTransformStream['writable'] { return this.#transform.writable; }
  }
  ObjectDefineProperty(TextEncoderStream.prototype, SymbolToStringTag, { value: 'TextEncoderStream', configurable: true });
  return { TextEncoderStream };
}
