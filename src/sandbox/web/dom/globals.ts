// The DOM-level interfaces of the Workers global scope and the WinterTC Minimum Common API, plus the
// global object's own event-target functions.
// @see https://min-common-api.proposal.wintertc.org/
import { File } from '../blob/file.js';
import { FormData } from '../form-data/form-data.js';
import { AbortController, AbortSignal } from './abort.js';
import { Event } from './event.js';
import { EventTarget } from './event-target.js';
import { CustomEvent, ErrorEvent, PromiseRejectionEvent } from './events.js';
import { addEventListener, dispatchEvent, removeEventListener, reportError } from './global-scope.js';
import { MessageChannel, MessageEvent, MessagePort } from './message-channel.js';

export const DOM_GLOBALS: Record<string, unknown> = {
  Event, EventTarget, CustomEvent, ErrorEvent, PromiseRejectionEvent, MessageEvent, AbortController, AbortSignal,
  MessageChannel, MessagePort, File, FormData, reportError, addEventListener, removeEventListener, dispatchEvent,
};
