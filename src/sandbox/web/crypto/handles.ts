// Host-side state (CryptoKey material, DigestStream hash states) lives in a table on the host, and
// the isolate holds integer handles into it. This module tells the host when a handle's owner is
// gone, so the table stays the size of what the tenant still references.
//
// A FinalizationRegistry cannot do this here: V8 runs its cleanup callbacks as posted tasks, and
// isolated-vm runs posted tasks only when the isolate is entered asynchronously, which the host
// never does; every cell it registered would also stay in the isolate's heap. WeakRefs need no
// task: the collector clears them itself. So owners are held through WeakRefs, and the handles of
// cleared ones are released in a sweep that runs as new handles arrive, at sizes that double (so
// its cost stays constant per handle), and whenever the host finds its table full.
//
// V8 clears a WeakRef only in a full collection, and with no idle tasks running it collects fully
// only when the old generation fills: a worker serving requests does so every few thousand of
// them, a loop that does nothing but make keys much more rarely, and may meet the table's limit.
import { Op } from '../../../shared/boundary.js';
import { hostNotify } from '../../bootstrap/host.js';
import { MapCtor, MapPrototypeDelete, MapPrototypeForEach, MapPrototypeSet, ReflectApply } from '../../bootstrap/primordials.js';

const WeakRefCtor = WeakRef;
const WeakRefPrototypeDeref = WeakRef.prototype.deref;
const MapPrototypeSize = Object.getOwnPropertyDescriptor(Map.prototype, 'size')!.get!;
const MathMax = Math.max;

/** Below this many handles a sweep is not worth its walk. */
const MIN_SWEEP = 256;

const live = new MapCtor<number, WeakRef<object>>();
let sweepAt = MIN_SWEEP;

const liveCount = (): number => ReflectApply(MapPrototypeSize, live, []) as number;

/** Releases `handle` once `owner` has been collected. */
export function track(owner: object, handle: number): void {
  MapPrototypeSet(live, handle, new WeakRefCtor(owner));
  if (liveCount() >= sweepAt) sweep();
}

/** The host already dropped `handle` (a finished digest); it needs no release. */
export function untrack(handle: number): void {
  MapPrototypeDelete(live, handle);
}

/** Drops `handle` now, its owner being done with it. */
export function release(handle: number): void {
  if (MapPrototypeDelete(live, handle)) hostNotify(Op.CryptoRelease, [handle]);
}

/** Releases the handles of every owner the collector has cleared; returns how many. */
export function sweep(): number {
  const dead: number[] = [];
  MapPrototypeForEach(live, (ref, handle) => {
    if (ReflectApply(WeakRefPrototypeDeref, ref, []) === undefined) dead[dead.length] = handle;
  });
  for (let i = 0; i < dead.length; i++) MapPrototypeDelete(live, dead[i]!);
  if (dead.length > 0) hostNotify(Op.CryptoRelease, dead);
  sweepAt = MathMax(MIN_SWEEP, liveCount() * 2);
  return dead.length;
}

