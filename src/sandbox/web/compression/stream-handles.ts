// Compression streams hold handles into a host table of zlib states. A stream that ends, errors or
// is canceled releases its handle at once; this catches the rest, streams the tenant dropped half way,
// by holding their owners through WeakRefs and releasing the handles of cleared ones in sweeps.
// (Why WeakRefs and sweeps rather than a FinalizationRegistry: see crypto/handles.ts.)
import type { StreamClassSupport } from '../streams/stream-class-globals.js';

/** The host's table is small (64 streams), so sweeps start early. */
const MIN_SWEEP = 16;

export interface StreamHandles {
  /** Releases `handle` once `owner` has been collected. */
  track(owner: object, handle: number): void;
  /** The host already freed `handle` (the stream finished or failed there). */
  untrack(handle: number): void;
  /** Frees `handle` now: its stream was canceled or aborted. */
  release(handle: number): void;
  /** Releases the handles of every stream the collector has cleared; returns how many. */
  sweep(): number;
}

export function createStreamHandles(support: StreamClassSupport): StreamHandles {
  const { Op, hostNotify, MapCtor, MapPrototypeDelete, MapPrototypeForEach, MapPrototypeSet, WeakRefCtor, WeakRefPrototypeDeref } = support;
  const live = new MapCtor<number, WeakRef<object>>();
  let count = 0;
  let sweepAt = MIN_SWEEP;

  const sweep = (): number => {
    const dead: number[] = [];
    MapPrototypeForEach(live, (ref, handle) => {
      if (WeakRefPrototypeDeref(ref) === undefined) dead[dead.length] = handle;
    });
    for (let i = 0; i < dead.length; i++) MapPrototypeDelete(live, dead[i]!);
    count -= dead.length;
    if (dead.length > 0) hostNotify(Op.CompressionRelease, dead);
    sweepAt = count * 2 > MIN_SWEEP ? count * 2 : MIN_SWEEP;
    return dead.length;
  };
  const untrack = (handle: number): boolean => {
    if (!MapPrototypeDelete(live, handle)) return false;
    count--;
    return true;
  };
  return {
    track(owner, handle) {
      MapPrototypeSet(live, handle, new WeakRefCtor(owner));
      if (++count >= sweepAt) sweep();
    },
    untrack(handle) { untrack(handle); },
    release(handle) {
      if (untrack(handle)) hostNotify(Op.CompressionRelease, [handle]);
    },
    sweep,
  };
}
