// What `import ... from "cloudflare:workers"` gives a tenant's module. The host links each module named
// in BUILTIN_MODULES (src/shared/boundary.ts) to the values here, by those names.
// @see https://developers.cloudflare.com/workers/runtime-apis/bindings/#importing-env-as-a-global
import { DurableObject, RpcTarget } from '../bindings/durable-objects/durable-object.js';
import { ReflectGetOwnPropertyDescriptor, ReflectOwnKeys } from '../bootstrap/primordials.js';
import { installedEnv } from './worker-module.js';

/** The base of a class a service binding can call; it keeps ctx and env as DurableObject does. */
export class WorkerEntrypoint {
  protected readonly ctx: unknown;
  protected readonly env: unknown;
  constructor(ctx: unknown, env: unknown) {
    this.ctx = ctx;
    this.env = env;
  }
}

// `env` is imported before install() has built it, so it is a view of whatever env is installed.
const ProxyCtor = Proxy;
const env = new ProxyCtor({}, {
  get: (_target, property) => (installedEnv() as Record<PropertyKey, unknown>)[property],
  has: (_target, property) => property in installedEnv(),
  ownKeys: () => ReflectOwnKeys(installedEnv()),
  getOwnPropertyDescriptor: (_target, property) => {
    const descriptor = ReflectGetOwnPropertyDescriptor(installedEnv(), property);
    return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
  },
  set: () => false,
});

export const builtinModules: Record<string, Record<string, unknown>> = {
  'cloudflare:workers': { DurableObject, WorkerEntrypoint, RpcTarget, env },
};
