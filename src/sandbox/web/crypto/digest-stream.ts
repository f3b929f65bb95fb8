// crypto.DigestStream, a Workers extension: a WritableStream that hashes what is written to it, with
// a `digest` promise for the result. The hash state is on the host, so a long stream costs the isolate
// no memory; the isolate holds a handle to it like a CryptoKey does.
// @see https://developers.cloudflare.com/workers/runtime-apis/web-crypto/#constructors
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import {
  ObjectDefineProperty, ObjectGetPrototypeOf, ObjectSetPrototypeOf, PromiseCtor, PromisePrototypeThen, ReflectApply, TypeErrorCtor,
} from '../../bootstrap/primordials.js';
import { DOMException } from '../dom/dom-exception.js';
import { loadStreams } from '../streams/streams.js';
import { normalizeAlgorithm } from './algorithms.js';
import { copyBytes, isBufferSource, isObject, toDOMString } from './idl.js';
import { release, sweep, track, untrack } from './handles.js';

interface State { digest: Promise<ArrayBuffer>; bytesWritten: number }

const ReflectConstruct = Reflect.construct;
const BigIntCtor = BigInt;
const WeakMapCtor = WeakMap;
const WeakMapPrototypeGet = WeakMap.prototype.get;
const WeakMapPrototypeSet = WeakMap.prototype.set;
const states = new WeakMapCtor<object, State>();

function stateOf(stream: unknown): State {
  const state = typeof stream === 'object' && stream !== null
    ? ReflectApply(WeakMapPrototypeGet, states, [stream]) as State | undefined : undefined;
  if (state === undefined) throw new TypeErrorCtor('Illegal invocation');
  return state;
}

/** Strings are written as UTF-8; everything else must be bytes. */
function chunkOf(chunk: unknown): ArrayBuffer | string {
  if (typeof chunk === 'string') return chunk;
  if (isBufferSource(chunk)) return copyBytes(chunk, 'chunk');
  throw new TypeErrorCtor('DigestStream is a byte stream but received an object of non-ArrayBuffer/ArrayBufferView/string type on its writable side.');
}

/** A host hash state; a full table is swept of collected owners and asked once more. */
function createHash(name: string): number {
  let handle = hostCall(Op.DigestStreamCreate, name) as number | null;
  if (handle === null && sweep() > 0) handle = hostCall(Op.DigestStreamCreate, name) as number | null;
  if (handle === null) throw new DOMException('This worker holds too many CryptoKeys and DigestStreams.', 'QuotaExceededError');
  return handle;
}

export class DigestStream {
  constructor(algorithm: unknown) {
    if (new.target === undefined) throw new TypeErrorCtor("Failed to construct 'DigestStream': Please use the 'new' operator.");
    if (arguments.length < 1) throw new TypeErrorCtor("Failed to construct 'DigestStream': 1 argument required, but only 0 present.");
    const { name } = normalizeAlgorithm(isObject(algorithm) ? algorithm : toDOMString(algorithm), 'digest');
    const { WritableStream } = loadStreams();
    // The stream implementation is evaluated on first use, so the prototype chain is completed then.
    if (ObjectGetPrototypeOf(DigestStream.prototype) !== WritableStream.prototype) {
      ObjectSetPrototypeOf(DigestStream.prototype, WritableStream.prototype);
      ObjectSetPrototypeOf(DigestStream, WritableStream);
    }
    const handle = createHash(name);

    let resolve!: (digest: ArrayBuffer) => void;
    let reject!: (reason: unknown) => void;
    const digest = new PromiseCtor<ArrayBuffer>((res, rej) => { resolve = res; reject = rej; });
    // A digest nobody awaits should not surface as an unhandled rejection when the stream is aborted.
    PromisePrototypeThen(digest, undefined, () => {});
    const state: State = { digest, bytesWritten: 0 };
    let open = true;
    const sink = {
      write(chunk: unknown): void {
        let data: ArrayBuffer | string;
        try {
          data = chunkOf(chunk);
        } catch (err) {
          // An errored stream is never closed: its hash state goes now, and `digest` stays pending.
          open = false;
          release(handle);
          throw err;
        }
        state.bytesWritten += hostCall(Op.DigestStreamWrite, handle, data) as number;
      },
      close(): void {
        open = false;
        untrack(handle);
        resolve(hostCall(Op.DigestStreamFinish, handle) as ArrayBuffer);
      },
      abort(reason: unknown): void {
        if (open) release(handle);
        open = false;
        reject(reason);
      },
    };
    const stream = ReflectConstruct(WritableStream, [sink], new.target) as object;
    ReflectApply(WeakMapPrototypeSet, states, [stream, state]);
    track(stream, handle);
    return stream as DigestStream;
  }

  get digest(): Promise<ArrayBuffer> { return stateOf(this).digest; }

  /** A bigint, as in Workers. */
  get bytesWritten(): bigint { return BigIntCtor(stateOf(this).bytesWritten); }
}
ObjectDefineProperty(DigestStream.prototype, Symbol.toStringTag, { value: 'DigestStream', configurable: true });
