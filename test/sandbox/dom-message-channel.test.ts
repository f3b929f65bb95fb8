// MessageChannel, MessagePort and MessageEvent inside a real isolate, against HTML's channel messaging
// (https://html.spec.whatwg.org/multipage/web-messaging.html#channel-messaging).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startWorker } from '../helpers/worker-server.js';
import { inIsolate } from './harness.js';

describe('MessageChannel', () => {
  test('messages arrive asynchronously, in order, each in its own task', async () => {
    const r = await inIsolate(`
      const { port1, port2 } = new MessageChannel();
      const log = [];
      const done = new Promise((resolve) => {
        port2.onmessage = (e) => {
          log.push('message ' + e.data);
          queueMicrotask(() => log.push('microtask after ' + e.data));
          if (e.data === 3) resolve();
        };
      });
      port1.postMessage(1);
      port1.postMessage(2);
      port1.postMessage(3);
      log.push('posted');
      await Promise.resolve();
      log.push('after a microtask');
      await done;
      return log;
    `);
    assert.deepEqual(r, [
      'posted', 'after a microtask', 'message 1', 'microtask after 1', 'message 2', 'microtask after 2', 'message 3', 'microtask after 3',
    ]);
  });

  test('the message is a structured clone, taken when posted', async () => {
    const r = await inIsolate(`
      const { port1, port2 } = new MessageChannel();
      const received = new Promise((resolve) => { port2.onmessage = (e) => resolve(e.data); });
      const original = { list: [1, 2], when: new Date(0), map: new Map([['k', 'v']]) };
      port1.postMessage(original);
      original.list.push(3);
      const data = await received;
      return { list: data.list, same: data === original, date: data.when instanceof Date, map: data.map.get('k'),
        fn: thrown(() => port1.postMessage({ f() {} })), none: thrown(() => port1.postMessage()) };
    `);
    assert.deepEqual(r, { list: [1, 2], same: false, date: true, map: 'v', fn: 'DOMException:DataCloneError', none: 'TypeError' });
  });

  test('ArrayBuffers in the transfer list are detached from the sender', async () => {
    const r = await inIsolate(`
      const { port1, port2 } = new MessageChannel();
      const received = new Promise((resolve) => { port2.onmessage = (e) => resolve(e.data); });
      const buffer = new Uint8Array([1, 2, 3]).buffer;
      port1.postMessage({ buffer }, [buffer]);
      const other = new Uint8Array([4]).buffer;
      port1.postMessage('second', { transfer: [other] });
      const data = await received;
      return { senderLength: buffer.byteLength, detached: buffer.detached, bytes: Array.from(new Uint8Array(data.buffer)), otherDetached: other.detached };
    `);
    assert.deepEqual(r, { senderLength: 0, detached: true, bytes: [1, 2, 3], otherDetached: true });
  });

  test('addEventListener needs start(); onmessage starts the port; both directions work', async () => {
    const r = await inIsolate(`
      const { port1, port2 } = new MessageChannel();
      const log = [];
      port2.addEventListener('message', (e) => log.push('port2 got ' + e.data));
      port1.postMessage('queued');
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push('before start');
      const delivered = new Promise((resolve) => port2.addEventListener('message', resolve));
      port2.start();
      await delivered;
      const back = new Promise((resolve) => { port1.onmessage = (e) => resolve(e.data); });
      port2.postMessage('reply');
      log.push('port1 got ' + await back);
      return log;
    `);
    assert.deepEqual(r, ['before start', 'port2 got queued', 'port1 got reply']);
  });

  test('a closed port sends and receives nothing, without errors', async () => {
    const r = await inIsolate(`
      const { port1, port2 } = new MessageChannel();
      const log = [];
      port2.onmessage = (e) => log.push(e.data);
      port1.postMessage('before close');
      port2.close();
      port1.postMessage('after close');
      port2.postMessage('from closed');
      port1.onmessage = (e) => log.push('port1 ' + e.data);
      await new Promise((resolve) => setTimeout(resolve, 10));
      return log;
    `);
    assert.deepEqual(r, []);
  });

  test('MessageEvent as dispatched and as constructed', async () => {
    const r = await inIsolate(`
      const { port1, port2 } = new MessageChannel();
      const event = await new Promise((resolve) => { port2.onmessage = resolve; port1.postMessage('hi'); });
      const made = new MessageEvent('message', { data: { x: 1 }, origin: 'https://a.example', lastEventId: '7', source: port1, ports: [port2] });
      return {
        dispatched: [event.type, event.data, event.origin, event.lastEventId, event.source, event.ports.length, Object.isFrozen(event.ports),
          event.isTrusted, event.target === port2, event.bubbles, event.cancelable, event instanceof MessageEvent],
        made: [made.data.x, made.origin, made.lastEventId, made.source === port1, made.ports[0] === port2, made.ports === made.ports, made.isTrusted],
        defaults: (({ data, origin, lastEventId, source, ports }) => [data, origin, lastEventId, source, ports.length])(new MessageEvent('m')),
        badPorts: thrown(() => new MessageEvent('m', { ports: [{}] })), badSource: thrown(() => new MessageEvent('m', { source: {} })),
        illegal: thrown(() => new MessagePort()), tags: [String(new MessageChannel()), String(port1), String(event)],
      };
    `);
    assert.deepEqual(r, {
      dispatched: ['message', 'hi', '', '', null, 0, true, true, true, false, false, true],
      made: [1, 'https://a.example', '7', true, true, true, false],
      defaults: [null, '', '', null, 0],
      badPorts: 'TypeError', badSource: 'TypeError', illegal: 'TypeError',
      tags: ['[object MessageChannel]', '[object MessagePort]', '[object MessageEvent]'],
    });
  });

  test('a port in the transfer list arrives in event.ports, still entangled; the original is left detached', async () => {
    const r = await inIsolate(`
      const carrier = new MessageChannel();
      const inner = new MessageChannel();
      const arrived = new Promise((resolve) => { carrier.port2.onmessage = (e) => resolve(e.ports[0]); });
      carrier.port1.postMessage('take this', [inner.port1]);
      const moved = await arrived;
      const echo = new Promise((resolve) => { moved.onmessage = (e) => resolve(e.data); });
      inner.port2.postMessage('through the moved port');
      const self = thrown(() => carrier.port1.postMessage('x', [carrier.port1]));
      const again = thrown(() => carrier.port1.postMessage('x', [inner.port1]));
      return { isPort: moved instanceof MessagePort, different: moved !== inner.port1, data: await echo, self, again };
    `);
    assert.deepEqual(r, { isPort: true, different: true, data: 'through the moved port', self: 'DOMException:DataCloneError', again: 'DOMException:DataCloneError' });
  });

  test('a channel kept across requests delivers everything in order, even what was posted as a request ended', async () => {
    const server = await startWorker(`
      const { port1, port2 } = new MessageChannel();
      const received = [];
      port2.onmessage = (e) => received.push(e.data);
      export default { async fetch(request) {
        const value = new URL(request.url).searchParams.get('post');
        port1.postMessage(value);
        if (value === 'first') return new Response('posted');
        await new Promise((resolve) => setTimeout(resolve, 10));
        return Response.json(received);
      } };
    `);
    try {
      assert.equal(await (await server.fetch('/?post=first')).text(), 'posted');
      assert.deepEqual(await (await server.fetch('/?post=second')).json(), ['first', 'second']);
    } finally {
      await server.close();
    }
  });
});
