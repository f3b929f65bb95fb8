// @see https://encoding.spec.whatwg.org/#interface-textdecoderstream
// Bytes in, strings out, through a TextDecoder in streaming mode: a multi-byte sequence split across
// chunks is held back until its end arrives, and the BOM is handled once per stream. Evaluated on
// first use of the global, with what it needs of the runtime handed in (see
// streams/stream-class-globals.ts).
import type { AnyReadableStream } from '../streams/streams.js';
import type { StreamClassSupport } from '../streams/stream-class-globals.js';

interface Controller { enqueue(chunk: string): void }

export function define(support: StreamClassSupport): Record<string, unknown> {
  const {
    loadStreams, byteChunk, TextDecoder, TextDecoderPrototypeDecode, ObjectDefineProperty, ReflectApply, SymbolToStringTag,
    TypeErrorCtor, Uint8ArrayCtor,
  } = support;
  type AnyTransformStream = InstanceType<ReturnType<typeof loadStreams>['TransformStream']>;
  const STREAM = { __proto__: null, stream: true };

  class TextDecoderStream {
    readonly #encoding: string;
    readonly #fatal: boolean;
    readonly #ignoreBOM: boolean;
    readonly #transform: AnyTransformStream;

    constructor(label: unknown = 'utf-8', options: unknown = undefined) {
      if (new.target === undefined) throw new TypeErrorCtor("Failed to construct 'TextDecoderStream': Please use the 'new' operator.");
      const decoder = new TextDecoder(label, options as { fatal?: boolean; ignoreBOM?: boolean } | undefined);
      const decode = (args: unknown[]): string => ReflectApply(TextDecoderPrototypeDecode, decoder, args) as string;
      const { TransformStream } = loadStreams();
      this.#encoding = decoder.encoding;
      this.#fatal = decoder.fatal;
      this.#ignoreBOM = decoder.ignoreBOM;
      this.#transform = new TransformStream({
        // @see https://encoding.spec.whatwg.org/#decode-and-enqueue-a-chunk
        transform(chunk: unknown, controller: Controller): void {
          const { buffer, offset, length } = byteChunk(chunk);
          const text = decode([new Uint8ArrayCtor(buffer, offset, length), STREAM]);
          if (text !== '') controller.enqueue(text);
        },
        // @see https://encoding.spec.whatwg.org/#flush-and-enqueue: an unfinished sequence becomes
        // U+FFFD, or a TypeError when fatal.
        flush(controller: Controller): void {
          const text = decode([]);
          if (text !== '') controller.enqueue(text);
        },
      } as never);
    }

    get encoding(): string { return this.#encoding; }
    get fatal(): boolean { return this.#fatal; }
    get ignoreBOM(): boolean { return this.#ignoreBOM; }
    get readable(): AnyReadableStream { return this.#transform.readable as AnyReadableStream; }
    get writable(): AnyTransformStream['writable'] { return this.#transform.writable; }
  }
  ObjectDefineProperty(TextDecoderStream.prototype, SymbolToStringTag, { value: 'TextDecoderStream', configurable: true });
  return { TextDecoderStream };
}
