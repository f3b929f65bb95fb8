// Durable Object ids: 32 bytes as 64 lower-case hex digits, as Cloudflare's. The first 24 bytes name
// the object (a keyed hash of the name for idFromName, random bytes for newUniqueId); the last 8 are a
// MAC of them under the namespace's key. So idFromName is deterministic, and idFromString can tell an
// id of this namespace from a made-up one or another namespace's, which Cloudflare refuses too.
// @see https://developers.cloudflare.com/durable-objects/api/namespace/
import { createHash, createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

const BODY_BYTES = 24;
const MAC_BYTES = 8;
const ID = /^[0-9a-f]{64}$/;
/** Ids recently derived or checked, per namespace: a hot object's every event would otherwise pay two HMACs. */
const REMEMBERED = 1_024;
/** Longer names are hashed every time: the memo must not hold megabytes of a tenant's names. */
const REMEMBERED_NAME_LENGTH = 256;

export class ObjectIdError extends Error {
  override name = 'TypeError';
  readonly errorName = 'TypeError';
}

export class ObjectNamespaceKey {
  // A KeyObject, not the bytes: createHmac checks a raw key's type on every call, at ~6 times the HMAC's own cost.
  readonly #key: KeyObject;
  readonly #byName = new Map<string, string>();
  readonly #valid = new Set<string>();

  /** One namespace per (scope, worker, class): the same class of another tenant is another namespace. */
  constructor(scope: string, worker: string, className: string) {
    this.#key = createSecretKey(createHash('sha256').update(`islet-durable-object-namespace\0${scope}\0${worker}\0${className}`).digest());
  }

  #mac(body: Buffer): Buffer {
    return createHmac('sha256', this.#key).update(body).digest().subarray(0, MAC_BYTES);
  }

  #id(body: Buffer): string {
    return Buffer.concat([body, this.#mac(body)]).toString('hex');
  }

  fromName(name: string): string {
    let id = this.#byName.get(name);
    if (id === undefined) {
      id = this.#id(createHmac('sha256', this.#key).update('name\0').update(name, 'utf8').digest().subarray(0, BODY_BYTES));
      // Bounded: when full it starts over, which costs a few HMACs again and no bookkeeping per hit.
      if (name.length <= REMEMBERED_NAME_LENGTH) {
        if (this.#byName.size >= REMEMBERED) this.#byName.clear();
        this.#byName.set(name, id);
      }
      this.#remember(id);
    }
    return id;
  }

  unique(): string {
    return this.#id(randomBytes(BODY_BYTES));
  }

  /** The id in its canonical form; throws ObjectIdError when it is not an id of this namespace. */
  fromString(text: string): string {
    if (this.#valid.has(text)) return text;
    const id = text.toLowerCase();
    if (!ID.test(id)) throw new ObjectIdError('Invalid Durable Object ID: must be 64 hex digits');
    const bytes = Buffer.from(id, 'hex');
    if (!this.#mac(bytes.subarray(0, BODY_BYTES)).equals(bytes.subarray(BODY_BYTES))) {
      throw new ObjectIdError('Durable Object ID is not valid for this namespace.');
    }
    this.#remember(id);
    return id;
  }

  #remember(id: string): void {
    if (this.#valid.size >= REMEMBERED) this.#valid.clear();
    this.#valid.add(id);
  }
}
