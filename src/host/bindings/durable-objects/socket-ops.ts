// The calls of a Durable Object on its hibernatable WebSockets (ctx.acceptWebSocket, send, close, tags,
// attachments, the auto-response), answered from the object's ObjectSocketTable. Every argument comes
// out of the isolate and is checked here.
import { ErrorKind, Op, type HostReply } from '../../../shared/boundary.js';
import { fail, failFromError, ok, typeError } from '../../isolates/host-ops/reply.js';
import type { RequestContext } from '../../isolates/request-context.js';
import { CloseCode, MAX_MESSAGE_BYTES, MAX_REASON_BYTES, byteLengthOf } from '../../isolates/sockets/socket-types.js';
import type { WorkerInstance } from '../../isolates/worker-instance.js';
import type { LiveObject } from './live-object.js';
import { MAX_AUTO_RESPONSE_LENGTH, MAX_SOCKETS_PER_OBJECT, MAX_TAG_LENGTH, MAX_TAGS } from './object-sockets.js';

export function isSocketOp(op: number): boolean {
  return op >= Op.DoSocketAccept && op <= Op.DoSocketAutoResponseInfo;
}

function checkTags(tags: unknown): string[] | string {
  if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string')) return 'WebSocket tags must be an array of strings.';
  if (tags.length > MAX_TAGS) return `A WebSocket can have at most ${MAX_TAGS} tags.`;
  if (tags.some((tag: string) => tag.length > MAX_TAG_LENGTH)) return `A WebSocket tag can be at most ${MAX_TAG_LENGTH} characters.`;
  return tags as string[];
}

/** `op` on the sockets of `live`, which lives in the calling isolate. */
export function socketOp(op: number, live: LiveObject, args: unknown[], ctx: RequestContext | null, instance: WorkerInstance): HostReply {
  const table = live.sockets;
  switch (op) {
    case Op.DoSocketAccept: {
      if (ctx === null) return typeError('acceptWebSocket() is only possible while the object handles an event.');
      const tags = checkTags(args[1]);
      if (typeof tags === 'string') return typeError(tags);
      if (table.size >= MAX_SOCKETS_PER_OBJECT) {
        return fail(ErrorKind.Error, `A Durable Object can accept at most ${MAX_SOCKETS_PER_OBJECT} WebSockets.`);
      }
      return ok(table.accept(ctx, tags).id);
    }
    case Op.DoSocketHandOff: {
      const [reqId, , id] = args;
      if (ctx === null || ctx.id !== reqId || ctx.responded) return typeError('A WebSocket can only be returned in the response of the request running.');
      const socket = table.get(id);
      if (socket === undefined || socket.phase !== 'accepted') return typeError('This WebSocket cannot be returned in a response.');
      const refused = instance.offerSocket(ctx, socket);
      if (refused !== null) return refused;
      table.offered(socket);
      return ok(null);
    }
    case Op.DoSocketSend: {
      const [, id, data] = args;
      if (!(typeof data === 'string' || data instanceof ArrayBuffer)) return typeError('A WebSocket message must be a string or an ArrayBuffer.');
      const bytes = typeof data === 'string' ? data : new Uint8Array(data);
      const size = byteLengthOf(bytes);
      if (size > MAX_MESSAGE_BYTES) return typeError(`WebSocket message of ${size} bytes exceeds the limit of ${MAX_MESSAGE_BYTES} bytes.`);
      // A socket the client has just closed: the object learns it from its close event, not from here.
      table.get(id)?.send(bytes);
      return ok(null);
    }
    case Op.DoSocketClose: {
      const [, id, code, reason] = args;
      if (!(code === null || (typeof code === 'number' && (code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999))))) {
        return typeError('Invalid WebSocket close code.');
      }
      if (typeof reason !== 'string' || Buffer.byteLength(reason) > MAX_REASON_BYTES) return typeError('Invalid WebSocket close reason.');
      // No code: the close frame carries none, and the client sees 1005.
      table.get(id)?.close(code ?? CloseCode.NoStatus, reason);
      return ok(null);
    }
    case Op.DoSocketAttach: {
      const socket = table.get(args[1]);
      if (socket === undefined) return ok(null);
      try {
        socket.attach(args[2]);
      } catch (err) {
        return failFromError(err);
      }
      return ok(null);
    }
    case Op.DoSocketAttachment:
      return ok(table.get(args[1])?.attached() ?? null);
    case Op.DoSocketList: {
      const tag = args[1];
      if (!(tag === null || typeof tag === 'string')) return typeError('A WebSocket tag must be a string.');
      const flat: unknown[] = [];
      for (const socket of table.list(tag)) flat.push(socket.id, [...socket.tags], socket.phase === 'closing');
      return ok(flat);
    }
    case Op.DoSocketTags: {
      const socket = table.get(args[1]);
      return ok(socket === undefined ? [] : [...socket.tags]);
    }
    case Op.DoSocketAutoResponse: {
      const [, request, response] = args;
      if (request === null && response === null) { table.autoResponse = null; return ok(null); }
      if (typeof request !== 'string' || typeof response !== 'string') return typeError('An auto-response needs a request and a response string.');
      if (request.length > MAX_AUTO_RESPONSE_LENGTH || response.length > MAX_AUTO_RESPONSE_LENGTH) {
        return fail(ErrorKind.RangeError, `An auto-response's request and response can be at most ${MAX_AUTO_RESPONSE_LENGTH} characters each.`);
      }
      table.autoResponse = { request, response };
      return ok(null);
    }
    case Op.DoSocketAutoResponseInfo: {
      const id = args[1];
      if (id === null) {
        const auto = table.autoResponse;
        return ok(auto === null ? null : [auto.request, auto.response]);
      }
      return ok(table.get(id)?.autoResponseAt ?? null);
    }
    default:
      return typeError(`Unknown Durable Object operation ${String(op)}`);
  }
}
