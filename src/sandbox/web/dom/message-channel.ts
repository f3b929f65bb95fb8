// @see https://html.spec.whatwg.org/multipage/web-messaging.html#message-channels
// Both ends live in this isolate. Messages are structured-cloned when posted and each is delivered
// in its own task, a zero-delay timer of the runtime's own, so microtasks queued by one message's
// listeners run before the next message arrives, as between browser tasks. A message's timer also
// delivers any earlier one still queued: timers are dropped with the request that set them, and a
// message whose timer was dropped must not hold back those posted after it.
import {
  ArrayPrototypePush, ObjectDefineProperty, ObjectFreeze, SymbolToStringTag, TypeErrorCtor,
} from '../../bootstrap/primordials.js';
import { structuredClone } from '../clone/structured-clone.js';
import { setTimeout } from '../timers/timers.js';
import { DOMException } from './dom-exception.js';
import { Event, eventState } from './event.js';
import { getEventHandler, setEventHandler } from './event-handler.js';
import { EventTarget, dispatchTrusted } from './event-target.js';
import { isIterableObject, requireArguments, toDictionary, toDOMString, toUSVString } from './webidl.js';

interface Message { data: unknown; ports: MessagePort[]; seq: number }

let nextSeq = 0;

let constructingPort = false;
let isPort: (value: unknown) => value is MessagePort;
let makeMessageEvent: (data: unknown, ports: MessagePort[]) => MessageEvent;
let entangle: (a: MessagePort, b: MessagePort) => void;
let deliverUpTo: (port: MessagePort, seq: number) => void;

function newPort(): MessagePort {
  constructingPort = true;
  try { return new MessagePort(); } finally { constructingPort = false; }
}

function portList(value: unknown, context: string): readonly MessagePort[] {
  if (!isIterableObject(value)) {
    throw new TypeErrorCtor(`${context}: The provided value cannot be converted to a sequence.`);
  }
  const ports: MessagePort[] = [];
  for (const port of value as Iterable<unknown>) {
    if (!isPort(port)) throw new TypeErrorCtor(`${context}: Failed to convert value to 'MessagePort'.`);
    ArrayPrototypePush(ports, port);
  }
  return ObjectFreeze(ports);
}

/** @see https://html.spec.whatwg.org/multipage/comms.html#messageevent */
export class MessageEvent extends Event {
  #data: unknown = null;
  #origin = '';
  #lastEventId = '';
  #source: MessagePort | null = null;
  #ports: readonly MessagePort[] = ObjectFreeze([]);

  static {
    makeMessageEvent = (data, ports) => {
      // `this`, not MessageEvent: a class that names itself in its body gets renamed when bundled.
      const event = new this('message');
      event.#data = data;
      event.#ports = ObjectFreeze(ports);
      return event;
    };
  }

  constructor(type: unknown, eventInitDict: unknown = undefined) {
    const context = "Failed to construct 'MessageEvent'";
    requireArguments(arguments.length, 1, context);
    const init = toDictionary(eventInitDict, context, 'MessageEventInit');
    super(type, init);
    const data = init.data;
    if (data !== undefined) this.#data = data;
    const lastEventId = init.lastEventId;
    if (lastEventId !== undefined) this.#lastEventId = toDOMString(lastEventId);
    const origin = init.origin;
    if (origin !== undefined) this.#origin = toUSVString(origin);
    const ports = init.ports;
    if (ports !== undefined) this.#ports = portList(ports, context);
    const source = init.source;
    if (source !== undefined && source !== null) {
      if (!isPort(source)) throw new TypeErrorCtor(`${context}: The provided value is not of type '(MessagePort or ServiceWorker or WindowProxy)'.`);
      this.#source = source;
    }
  }
  get data(): unknown { return this.#data; }
  get origin(): string { return this.#origin; }
  get lastEventId(): string { return this.#lastEventId; }
  get source(): MessagePort | null { return this.#source; }
  get ports(): readonly MessagePort[] { return this.#ports; }
  initMessageEvent(
    type: unknown, bubbles: unknown = false, cancelable: unknown = false, data: unknown = null, origin: unknown = '',
    lastEventId: unknown = '', source: unknown = null, ports: unknown = [],
  ): void {
    const context = "Failed to execute 'initMessageEvent' on 'MessageEvent'";
    requireArguments(arguments.length, 1, context);
    if (eventState(this, context).dispatching) return;
    if (source !== null && !isPort(source)) throw new TypeErrorCtor(`${context}: parameter 7 is not of type 'MessagePort'.`);
    const list = portList(ports, context);
    this.initEvent(type, bubbles, cancelable);
    this.#data = data;
    this.#origin = toUSVString(origin);
    this.#lastEventId = toDOMString(lastEventId);
    this.#source = source;
    this.#ports = list;
  }
}
ObjectDefineProperty(MessageEvent.prototype, SymbolToStringTag, { value: 'MessageEvent', configurable: true });

/** The transfer list of postMessage's two overloads: a sequence, or a dictionary holding one. */
function transferList(options: unknown): unknown[] {
  if (options === undefined || options === null) return [];
  if (typeof options !== 'object' && typeof options !== 'function') {
    throw new TypeErrorCtor("Failed to execute 'postMessage' on 'MessagePort': The provided value is not of type 'StructuredSerializeOptions'.");
  }
  let sequence: unknown = options;
  if (!isIterableObject(options)) {
    sequence = (options as { transfer?: unknown }).transfer;
    if (sequence === undefined) return [];
    if (!isIterableObject(sequence)) {
      throw new TypeErrorCtor("Failed to execute 'postMessage' on 'MessagePort': The provided value cannot be converted to a sequence.");
    }
  }
  const list: unknown[] = [];
  for (const item of sequence as Iterable<unknown>) {
    if (typeof item !== 'object' && typeof item !== 'function' || item === null) {
      throw new TypeErrorCtor("Failed to execute 'postMessage' on 'MessagePort': Value is not of type 'object'.");
    }
    ArrayPrototypePush(list, item);
  }
  return list;
}

/** @see https://html.spec.whatwg.org/multipage/web-messaging.html#message-ports */
export class MessagePort extends EventTarget {
  #partner: MessagePort | null = null;
  #queue: (Message | undefined)[] = [];
  #head = 0;
  #enabled = false;
  #detached = false;

  static {
    isPort = (value): value is MessagePort => typeof value === 'object' && value !== null && #partner in value;
    entangle = (a, b) => { a.#partner = b; b.#partner = a; };
    deliverUpTo = (port, seq) => port.#deliverUpTo(seq);
  }

  constructor() {
    if (!constructingPort) throw new TypeErrorCtor("Failed to construct 'MessagePort': Illegal constructor");
    super();
  }

  /** @see https://html.spec.whatwg.org/multipage/web-messaging.html#message-port-post-message-steps */
  postMessage(message: unknown, options: unknown = undefined): void {
    requireArguments(arguments.length, 1, "Failed to execute 'postMessage' on 'MessagePort'");
    const transfer = transferList(options);
    const target = this.#partner;
    const ports: MessagePort[] = [];
    const buffers: unknown[] = [];
    let doomed = false;
    for (let i = 0; i < transfer.length; i++) {
      const item = transfer[i];
      if (!isPort(item)) { ArrayPrototypePush(buffers, item); continue; }
      if (item === this) throw new DOMException('Port at index ' + i + ' contains the source port.', 'DataCloneError');
      if (item.#detached) throw new DOMException('Port at index ' + i + ' is already neutered.', 'DataCloneError');
      for (let j = 0; j < ports.length; j++) {
        if (ports[j] === item) throw new DOMException('Port at index ' + i + ' is a duplicate of an earlier port.', 'DataCloneError');
      }
      if (item === target) doomed = true;
      ArrayPrototypePush(ports, item);
    }
    const data = structuredClone(message, buffers.length === 0 ? undefined : { transfer: buffers });
    const moved: MessagePort[] = [];
    for (let i = 0; i < ports.length; i++) ArrayPrototypePush(moved, ports[i]!.#transfer());
    if (target === null || doomed) return;
    const seq = nextSeq++;
    ArrayPrototypePush(target.#queue, { data, ports: moved, seq });
    if (target.#enabled) scheduleDelivery(target, seq);
  }

  /** @see https://html.spec.whatwg.org/multipage/web-messaging.html#dom-messageport-start */
  start(): void { this.#start(); }
  get onmessage(): unknown { return getEventHandler(this.#branded(), 'message'); }
  /** Setting onmessage starts the port, as if start() had been called. */
  set onmessage(value: unknown) {
    setEventHandler(this.#branded(), 'message', value);
    this.#start();
  }
  get onmessageerror(): unknown { return getEventHandler(this.#branded(), 'messageerror'); }
  set onmessageerror(value: unknown) { setEventHandler(this.#branded(), 'messageerror', value); }
  /** Throws, as any private member does, when `this` is not a MessagePort. */
  #branded(): this { return this; }
  #start(): void {
    if (this.#enabled || this.#detached) return;
    this.#enabled = true;
    for (let i = this.#head; i < this.#queue.length; i++) scheduleDelivery(this, this.#queue[i]!.seq);
  }

  /** @see https://html.spec.whatwg.org/multipage/web-messaging.html#dom-messageport-close */
  close(): void {
    this.#detached = true;
    const partner = this.#partner;
    if (partner !== null) partner.#partner = null;
    this.#partner = null;
    this.#queue = [];
    this.#head = 0;
  }

  /** A transferred port: a new object takes over its entanglement and its queue; it is left detached. */
  #transfer(): MessagePort {
    const port = newPort();
    const partner = this.#partner;
    if (partner !== null) entangle(port, partner);
    port.#queue = this.#queue;
    port.#head = this.#head;
    this.#partner = null;
    this.#queue = [];
    this.#head = 0;
    this.#detached = true;
    return port;
  }

  #deliverUpTo(seq: number): void {
    // A listener may close or transfer the port, which empties this queue.
    while (!this.#detached && this.#head < this.#queue.length && this.#queue[this.#head]!.seq <= seq) {
      const message = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined;
      if (this.#head === this.#queue.length) { this.#queue = []; this.#head = 0; }
      dispatchTrusted(this, makeMessageEvent(message.data, message.ports));
    }
  }
}
ObjectDefineProperty(MessagePort.prototype, SymbolToStringTag, { value: 'MessagePort', configurable: true });

function scheduleDelivery(port: MessagePort, seq: number): void { setTimeout(deliverUpTo, 0, port, seq); }

/** @see https://html.spec.whatwg.org/multipage/web-messaging.html#message-channels */
export class MessageChannel {
  readonly #port1: MessagePort;
  readonly #port2: MessagePort;
  constructor() {
    this.#port1 = newPort();
    this.#port2 = newPort();
    entangle(this.#port1, this.#port2);
  }
  get port1(): MessagePort { return this.#port1; }
  get port2(): MessagePort { return this.#port2; }
}
ObjectDefineProperty(MessageChannel.prototype, SymbolToStringTag, { value: 'MessageChannel', configurable: true });
