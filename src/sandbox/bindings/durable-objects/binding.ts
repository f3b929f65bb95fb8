// The env entry of a [[durable_objects.bindings]] binding. Its class must be one the module exports:
// the objects run in this isolate, and a deploy whose class is missing fails to load, naming it.
import type { BindingData } from '../../../shared/bindings.js';
import { ErrorCtor } from '../../bootstrap/primordials.js';
import { DurableObjectNamespace } from './namespace.js';
import { registerObjectClasses } from './object-events.js';

export function durableObjectNamespace(index: number, data: BindingData | undefined, exports: Record<string, unknown>): DurableObjectNamespace {
  const className = typeof data === 'object' && data !== null && !Array.isArray(data) ? data['className'] : undefined;
  if (typeof className !== 'string') throw new ErrorCtor('A Durable Object binding needs the name of its class.');
  if (typeof exports[className] !== 'function') {
    throw new ErrorCtor(`Your Worker depends on the Durable Object class "${className}", which is not exported in your entrypoint file. Export it: export class ${className} { ... }`);
  }
  registerObjectClasses(exports);
  return new DurableObjectNamespace(index);
}
