// The DurableObjectNamespace a worker's env holds: a binding index, which the host resolves to the
// class and tenant it granted. Ids are made and checked on the host (object-ids.ts there).
// @see https://developers.cloudflare.com/durable-objects/api/namespace/
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import { MapCtor, MapPrototypeGet, MapPrototypeSet, TypeErrorCtor, WeakMapCtor, WeakMapPrototypeGet, WeakMapPrototypeSet } from '../../bootstrap/primordials.js';
import { DurableObjectId } from './object-id.js';
import { createStub } from './stub.js';

/** Names whose ids are remembered, and the longest name remembered: the memo must stay small in the tenant's heap. */
const REMEMBERED = 1_024;
const REMEMBERED_NAME_LENGTH = 256;

export class DurableObjectNamespace {
  readonly #index: number;
  /**
   * Ids this namespace made or checked, so get() need not ask the host again; the host checks the id once
   * more on every use. A WeakMap and not a flag on the id: tenant code can reach DurableObjectId's constructor.
   */
  readonly #checked = new WeakMapCtor<DurableObjectId, true>();
  /** idFromName is deterministic: a hot object's name costs one crossing to the host, not one per request. */
  #byName = new MapCtor<string, string>();
  #named = 0;

  constructor(index: number) {
    this.#index = index;
  }

  newUniqueId(_options?: unknown): DurableObjectId {
    return this.#mark(new DurableObjectId(hostCall(Op.DoNewUniqueId, this.#index) as string, undefined));
  }

  idFromName(name: unknown): DurableObjectId {
    if (arguments.length === 0) throw new TypeErrorCtor("Failed to execute 'idFromName' on 'DurableObjectNamespace': parameter 1 is not of type 'string'.");
    const text = String(name);
    let hex = MapPrototypeGet(this.#byName, text);
    if (hex === undefined) {
      hex = hostCall(Op.DoIdFromName, this.#index, text) as string;
      if (text.length <= REMEMBERED_NAME_LENGTH) {
        // When full it starts over: no bookkeeping per hit.
        if (this.#named >= REMEMBERED) { this.#byName = new MapCtor(); this.#named = 0; }
        MapPrototypeSet(this.#byName, text, hex);
        this.#named++;
      }
    }
    return this.#mark(new DurableObjectId(hex, text));
  }

  idFromString(id: unknown): DurableObjectId {
    return this.#mark(new DurableObjectId(hostCall(Op.DoIdFromString, this.#index, String(id)) as string, undefined));
  }

  get(id: unknown, _options?: unknown): unknown {
    const hex = DurableObjectId.hexOf(id);
    // An id of another namespace is refused here, as on Cloudflare, not at its first use.
    if (WeakMapPrototypeGet(this.#checked, id as DurableObjectId) !== true) hostCall(Op.DoIdFromString, this.#index, hex);
    return createStub(this.#index, id as DurableObjectId);
  }

  #mark(id: DurableObjectId): DurableObjectId {
    WeakMapPrototypeSet(this.#checked, id, true);
    return id;
  }

  getByName(name: unknown, options?: unknown): unknown {
    return this.get(this.idFromName(name), options);
  }

  /** Jurisdictions place objects in a region; one server has one, so the namespace is the same. */
  jurisdiction(_name: unknown): DurableObjectNamespace {
    return this;
  }
}
Object.defineProperty(DurableObjectNamespace.prototype, Symbol.toStringTag, { value: 'DurableObjectNamespace', configurable: true });
