// The sandbox runtime's entry: evaluated once in every new isolate, before any tenant code. It takes
// the bridge off the global object (bootstrap/host), installs the Web platform, and hands the host its
// entry points under a global the host deletes straight after.
import { BUILTIN_MODULES_KEY, ENTRIES_GLOBAL } from '../shared/boundary.js';
import { dispatchObject, dropObject } from './bindings/durable-objects/object-events.js';
import { complete } from './bootstrap/host.js';
import { installGlobals } from './bootstrap/install-globals.js';
import { pullBody } from './runtime/body-streams.js';
import { builtinModules } from './runtime/builtin-modules.js';
import { dispatchFetch } from './runtime/dispatch-fetch.js';
import { dispatchScheduled } from './runtime/dispatch-scheduled.js';
import { dispatchRpc } from './runtime/entrypoints.js';
import { dispatchQueue } from './runtime/dispatch-queue.js';
import { install } from './runtime/worker-module.js';
import { reportRejection } from './web/dom/report-rejection.js';
import { dropTimers, fireTimer } from './web/timers/timers.js';
import { socketEvent } from './web/websocket/websocket.js';

installGlobals(globalThis as unknown as Record<string, unknown>);

Object.defineProperty(globalThis, ENTRIES_GLOBAL, {
  value: { install, dispatchFetch, complete, fireTimer, dropTimers, pullBody, reportRejection, dispatchScheduled, socketEvent, dispatchObject, dropObject, dispatchRpc, dispatchQueue, [BUILTIN_MODULES_KEY]: builtinModules },
  configurable: true,
  enumerable: false,
  writable: false,
});
