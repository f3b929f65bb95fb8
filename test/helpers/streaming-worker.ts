// A worker whose bodies stream both ways, and clients that read and send bodies chunk by chunk over
// raw node:http, shared by the tests of Islet in one process and of `islet serve` with engines.
import { request as httpRequest, type IncomingMessage } from 'node:http';

export const CHUNK = 64 * 1024;

/**
 * /big?chunks=N   N chunks of 64 KiB made in `pull` (1 GB at N = 16,384)
 * /fixed?bytes=N  N bytes through a FixedLengthStream
 * /held           one chunk, then the rest only once /release has been called
 * /release        lets /held finish
 * /broken         one chunk, then the stream errors
 * /broken-at-once the stream errors before its first chunk
 * /endless        a chunk every 5 ms until canceled; /canceled says whether `cancel` ran, and why
 * /count          reads request.body chunk by chunk: {bytes, chunks}
 * /echo           the request body, streamed back
 */
export const STREAMING_WORKER = `
let released = false;
let canceled = null;
export default {
  async fetch(request) {
    const url = new URL(request.url);
    const chunk = () => new Uint8Array(${CHUNK}).fill(120);
    switch (url.pathname.replace(/^\\/[^/]+(?=\\/)/, '')) {
      case '/big': {
        const total = Number(url.searchParams.get('chunks'));
        let made = 0;
        return new Response(new ReadableStream({
          pull(controller) { if (made++ < total) controller.enqueue(chunk()); else controller.close(); },
        }, { highWaterMark: 0 }));
      }
      case '/fixed': {
        const bytes = Number(url.searchParams.get('bytes'));
        const { readable, writable } = new FixedLengthStream(bytes);
        const writer = writable.getWriter();
        writer.write(new Uint8Array(bytes).fill(121)).then(() => writer.close());
        return new Response(readable);
      }
      case '/held': {
        released = false;
        let sent = false;
        return new Response(new ReadableStream({
          async pull(controller) {
            if (!sent) { sent = true; controller.enqueue(new TextEncoder().encode('first;')); return; }
            while (!released) await new Promise((resolve) => setTimeout(resolve, 5));
            controller.enqueue(new TextEncoder().encode('last'));
            controller.close();
          },
        }, { highWaterMark: 0 }));
      }
      case '/release': released = true; return new Response('released');
      case '/broken': {
        let pulls = 0;
        return new Response(new ReadableStream({
          pull(controller) {
            if (pulls++ === 0) controller.enqueue(chunk());
            else controller.error(new Error('the source broke'));
          },
        }, { highWaterMark: 0 }));
      }
      case '/broken-at-once':
        return new Response(new ReadableStream({ pull(controller) { controller.error(new Error('broke before a byte')); } }, { highWaterMark: 0 }));
      case '/endless': {
        canceled = null;
        return new Response(new ReadableStream({
          async pull(controller) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            controller.enqueue(chunk());
          },
          cancel(reason) { canceled = String(reason); },
        }, { highWaterMark: 0 }));
      }
      case '/canceled': return Response.json({ canceled });
      case '/count': {
        const reader = request.body.getReader();
        let bytes = 0;
        let chunks = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          bytes += value.byteLength;
          chunks++;
        }
        return Response.json({ bytes, chunks });
      }
      case '/echo': return new Response(request.body);
      default: return new Response('not found', { status: 404 });
    }
  },
};
`;

export interface Streamed {
  status: number;
  headers: IncomingMessage['headers'];
  /** Resolves with the bytes received once the body ends; rejects when the connection is cut first. */
  done: Promise<number>;
  /** The first chunk, as soon as it arrives. */
  first: Promise<Buffer>;
  response: IncomingMessage;
}

/** A GET whose body is counted as it arrives, never kept. */
export function streamGet(url: string): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false }, (response) => {
      let bytes = 0;
      let firstResolve!: (chunk: Buffer) => void;
      const first = new Promise<Buffer>((r) => { firstResolve = r; });
      const done = new Promise<number>((doneResolve, doneReject) => {
        response.on('data', (chunk: Buffer) => {
          if (bytes === 0) firstResolve(chunk);
          bytes += chunk.byteLength;
        });
        response.on('end', () => doneResolve(bytes));
        response.on('error', doneReject);
        response.on('aborted', () => doneReject(new Error('aborted')));
        response.on('close', () => { if (!response.complete) doneReject(new Error(`connection cut after ${bytes} bytes`)); });
      });
      done.catch(() => {});
      resolve({ status: response.statusCode ?? 0, headers: response.headers, done, first, response });
    });
    req.on('error', reject);
    req.end();
  });
}

/** POSTs `total` bytes in 64 KiB chunks, chunked (no content-length), written as the socket takes them. */
export function streamPost(url: string, total: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent: false, headers: { 'transfer-encoding': 'chunked' } }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (c: Buffer) => parts.push(c));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
      response.on('error', reject);
    });
    req.on('error', reject);
    const block = Buffer.alloc(CHUNK, 122);
    let sent = 0;
    const write = () => {
      while (sent < total) {
        const n = Math.min(CHUNK, total - sent);
        sent += n;
        if (!req.write(n === CHUNK ? block : block.subarray(0, n))) { req.once('drain', write); return; }
      }
      req.end();
    };
    write();
  });
}
