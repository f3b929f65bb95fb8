// The classes `cloudflare:workers` exports for Durable Objects. Extending DurableObject is optional:
// a plain class with constructor(ctx, env) works the same, as on Cloudflare.
// @see https://developers.cloudflare.com/durable-objects/api/base/
export class DurableObject {
  protected readonly ctx: unknown;
  protected readonly env: unknown;

  constructor(ctx: unknown, env: unknown) {
    this.ctx = ctx;
    this.env = env;
  }
}
Object.defineProperty(DurableObject.prototype, Symbol.toStringTag, { value: 'DurableObject', configurable: true });

/** Marks a class whose instances may be passed by reference over RPC; here they are not, and cloning them fails. */
export class RpcTarget {}
