// @see https://developers.cloudflare.com/durable-objects/api/id/
// An id is its 64 hex digits; the host made them and checks them again whenever a stub is used.
import { TypeErrorCtor } from '../../bootstrap/primordials.js';

export class DurableObjectId {
  readonly #hex: string;
  readonly #name: string | undefined;

  constructor(hex: string, name: string | undefined) {
    this.#hex = hex;
    this.#name = name;
  }

  /** The hex digits of an id, read past anything a tenant put on the object. */
  static hexOf(id: unknown): string {
    if (!(id instanceof DurableObjectId)) throw new TypeErrorCtor('Argument must be a DurableObjectId.');
    return id.#hex;
  }

  static nameOf(id: DurableObjectId): string | undefined { return id.#name; }

  get name(): string | undefined { return this.#name; }
  toString(): string { return this.#hex; }
  equals(other: unknown): boolean { return other instanceof DurableObjectId && other.#hex === this.#hex; }
  toJSON(): string { return this.#hex; }
}
Object.defineProperty(DurableObjectId.prototype, Symbol.toStringTag, { value: 'DurableObjectId', configurable: true });
