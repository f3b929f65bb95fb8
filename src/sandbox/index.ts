// The sandbox runtime's entry: evaluated once in every new isolate, before any tenant code. It takes
// the bridge off the global object (bootstrap/host), installs the Web platform, and hands the host its
// entry points under a global the host deletes straight after.
import { ENTRIES_GLOBAL } from '../shared/boundary.js';
import { complete } from './bootstrap/host.js';
import { installGlobals } from './bootstrap/install-globals.js';
import { pullBody } from './runtime/body-streams.js';
import { dispatchFetch } from './runtime/dispatch-fetch.js';
import { install } from './runtime/worker-module.js';
import { reportRejection } from './web/dom/report-rejection.js';
import { dropTimers, fireTimer } from './web/timers/timers.js';

installGlobals(globalThis as unknown as Record<string, unknown>);

Object.defineProperty(globalThis, ENTRIES_GLOBAL, {
  value: { install, dispatchFetch, complete, fireTimer, dropTimers, pullBody, reportRejection },
  configurable: true,
  enumerable: false,
  writable: false,
});
