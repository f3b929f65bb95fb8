// The DurableObjectNamespace a worker's env holds: a binding index, which the host resolves to the
// class and tenant it granted. Ids are made and checked on the host (object-ids.ts there).
// @see https://developers.cloudflare.com/durable-objects/api/namespace/
import { Op } from '../../../shared/boundary.js';
import { hostCall } from '../../bootstrap/host.js';
import { TypeErrorCtor } from '../../bootstrap/primordials.js';
import { DurableObjectId } from './object-id.js';
import { createStub } from './stub.js';

export class DurableObjectNamespace {
  readonly #index: number;

  constructor(index: number) {
    this.#index = index;
  }

  newUniqueId(_options?: unknown): DurableObjectId {
    return new DurableObjectId(hostCall(Op.DoNewUniqueId, this.#index) as string, undefined);
  }

  idFromName(name: unknown): DurableObjectId {
    if (arguments.length === 0) throw new TypeErrorCtor("Failed to execute 'idFromName' on 'DurableObjectNamespace': parameter 1 is not of type 'string'.");
    const text = String(name);
    return new DurableObjectId(hostCall(Op.DoIdFromName, this.#index, text) as string, text);
  }

  idFromString(id: unknown): DurableObjectId {
    return new DurableObjectId(hostCall(Op.DoIdFromString, this.#index, String(id)) as string, undefined);
  }

  get(id: unknown, _options?: unknown): unknown {
    const hex = DurableObjectId.hexOf(id);
    // An id of another namespace is refused here, as on Cloudflare, not at its first use.
    hostCall(Op.DoIdFromString, this.#index, hex);
    return createStub(this.#index, id as DurableObjectId);
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
