// A module that exports Durable Object classes and nothing else. Workers deploys it (exporting a
// Durable Object class counts as defining something); a request to it then fails as one to any worker
// without a fetch handler does: "Handler does not export a fetch() function.".
// @see https://developers.cloudflare.com/durable-objects/platform/troubleshooting/
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startWorker } from '../helpers/worker-server.js';
import { startTestServe } from '../helpers/serve.js';

const OBJECTS_ONLY = `
import { DurableObject } from 'cloudflare:workers';
export class Room extends DurableObject {
  async fetch() { return new Response('room'); }
}
`;
const BINDINGS = [{ binding: 'ROOM', className: 'Room' }];

describe('a module of Durable Object classes only', () => {
  test('islet serve deploys it, and a request to it is a 500 naming the missing fetch handler', { timeout: 60_000 }, async () => {
    const serve = await startTestServe({ engines: 1 });
    try {
      const deployed = await serve.deploy('rooms', OBJECTS_ONLY, { config: { durableObjects: BINDINGS } });
      assert.equal(deployed.status, 201, JSON.stringify(deployed.json));
      const answer = await serve.get('/rooms/');
      assert.equal(answer.status, 500);
      assert.ok(serve.logs.lines.some((l) => l.worker === 'rooms' && l.message.includes('Handler does not export a fetch() function.')),
        serve.logs.lines.map((l) => l.message).join('\n'));
    } finally {
      await serve.close();
    }
  });

  test('a module exporting nothing at all is still refused, and so is a class it does not export', { timeout: 60_000 }, async () => {
    const serve = await startTestServe({ engines: 1 });
    try {
      const empty = await serve.deploy('empty', 'export const x = 1;');
      assert.equal(empty.status, 422);
      assert.match(empty.json.error.message, /no default export/);
      const missing = await serve.deploy('missing', OBJECTS_ONLY, { config: { durableObjects: [{ binding: 'LOBBY', className: 'Lobby' }] } });
      assert.equal(missing.status, 422);
      assert.match(missing.json.error.message, /Durable Object class "Lobby", which is not exported/);
    } finally {
      await serve.close();
    }
  });

  test('islet dev loads it the same way', async () => {
    const server = await startWorker(OBJECTS_ONLY, { durableObjects: BINDINGS });
    try {
      const response = await server.fetch('/');
      assert.equal(response.status, 500);
      assert.ok(server.logs.lines.some((l) => l.message.includes('Handler does not export a fetch() function.')));
    } finally {
      await server.close();
    }
  });
});
