// The host half of CompressionStream and DecompressionStream: narrow synchronous ops on handles into
// the instance's compression table. Every argument is checked again here; a failed step frees its
// stream and travels back as a TypeError, which is what the Compression Streams spec throws.
// @see https://compression.spec.whatwg.org/
import { Op, type HostReply } from '../../../shared/boundary.js';
import { compressionTableFor, sweepCompressionTables, type CompressionOwner } from './compression-table.js';
import { ok, typeError } from './reply.js';
import { COMPRESSION_FORMATS, CompressionFailure, type CompressionFormat, type Step } from './zlib-engine.js';

/** The runtime sends input in slices of 64 KB; anything far larger did not come from it. */
export const MAX_INPUT_SLICE = 1024 * 1024;

const stepReply = (step: Step): HostReply => ok([step.output, step.more]);

export function compressionOp(owner: CompressionOwner, op: number, args: unknown[]): HostReply {
  const table = compressionTableFor(owner);
  switch (op) {
    case Op.CompressionCreate: {
      const [format, decompress] = args;
      if (typeof format !== 'string' || !COMPRESSION_FORMATS.includes(format) || typeof decompress !== 'boolean') {
        return typeError("The compression format must be either 'deflate', 'deflate-raw' or 'gzip'.");
      }
      sweepCompressionTables();
      try {
        return ok(table.open(format as CompressionFormat, decompress));
      } catch (err) {
        // Only a Node upgrade that moved zlib's internals gets here; the tenant sees a TypeError.
        return typeError(`Compression streams are unavailable: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    case Op.CompressionWrite: case Op.CompressionFinish: case Op.CompressionRead: {
      const [handle, input] = args;
      const engine = table.get(handle);
      if (engine === null) return typeError('This compression stream is closed.');
      if (op === Op.CompressionWrite && !(input instanceof ArrayBuffer && input.byteLength <= MAX_INPUT_SLICE)) {
        return typeError('invalid compression input');
      }
      try {
        const step = op === Op.CompressionWrite ? engine.write(new Uint8Array(input as ArrayBuffer))
          : op === Op.CompressionFinish ? engine.finish() : engine.next();
        // Finished and drained: nothing more can come out of this stream.
        if (op !== Op.CompressionWrite && !step.more && engine.finishing) table.release(handle);
        return stepReply(step);
      } catch (err) {
        table.release(handle);
        return typeError(err instanceof CompressionFailure ? err.message : 'Compression failed.');
      }
    }
    case Op.CompressionRelease: {
      const [handles] = args;
      if (!Array.isArray(handles)) return typeError('invalid handles');
      for (const handle of handles) table.release(handle);
      return ok(null);
    }
    default:
      return typeError(`Unknown host operation ${String(op)}`);
  }
}
