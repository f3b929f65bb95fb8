// Durable Object ids: 32 bytes as 64 lower-case hex digits, as Cloudflare's. The first 24 bytes name
// the object (a keyed hash of the name for idFromName, random bytes for newUniqueId); the last 8 are a
// MAC of them under the namespace's key. So idFromName is deterministic, and idFromString can tell an
// id of this namespace from a made-up one or another namespace's, which Cloudflare refuses too.
// @see https://developers.cloudflare.com/durable-objects/api/namespace/
import { createHash, createHmac, randomBytes } from 'node:crypto';

const BODY_BYTES = 24;
const MAC_BYTES = 8;
const ID = /^[0-9a-f]{64}$/;

export class ObjectIdError extends Error {
  override name = 'TypeError';
  readonly errorName = 'TypeError';
}

export class ObjectNamespaceKey {
  readonly #key: Buffer;

  /** One namespace per (scope, worker, class): the same class of another tenant is another namespace. */
  constructor(scope: string, worker: string, className: string) {
    this.#key = createHash('sha256').update(`islet-durable-object-namespace\0${scope}\0${worker}\0${className}`).digest();
  }

  #mac(body: Buffer): Buffer {
    return createHmac('sha256', this.#key).update(body).digest().subarray(0, MAC_BYTES);
  }

  #id(body: Buffer): string {
    return Buffer.concat([body, this.#mac(body)]).toString('hex');
  }

  fromName(name: string): string {
    return this.#id(createHmac('sha256', this.#key).update('name\0').update(name, 'utf8').digest().subarray(0, BODY_BYTES));
  }

  unique(): string {
    return this.#id(randomBytes(BODY_BYTES));
  }

  /** The id in its canonical form; throws ObjectIdError when it is not an id of this namespace. */
  fromString(text: string): string {
    const id = text.toLowerCase();
    if (!ID.test(id)) throw new ObjectIdError('Invalid Durable Object ID: must be 64 hex digits');
    const bytes = Buffer.from(id, 'hex');
    if (!this.#mac(bytes.subarray(0, BODY_BYTES)).equals(bytes.subarray(BODY_BYTES))) {
      throw new ObjectIdError('Durable Object ID is not valid for this namespace.');
    }
    return id;
  }
}
