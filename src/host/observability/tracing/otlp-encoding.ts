// One server span per request in OTLP's JSON encoding (ExportTraceServiceRequest). Written by hand:
// the encoding is a few nested objects, and the OpenTelemetry SDK would bring a tracer, context
// propagation and exporters the platform does not use.
// @see https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding (ids are hex, 64-bit integers
// are decimal strings, enums are numbers) and
// https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/trace/v1/trace.proto
import { createHash } from 'node:crypto';
import { hostAndPath } from '../logs/request-record.js';
import type { RequestOutcome } from '../platform-observer.js';
import { isW3cTraceId } from './trace-context.js';

/** A finished request as the exporter queues it; encoded only when a batch is sent. */
export interface SpanInput {
  outcome: RequestOutcome;
  spanId: string;
  /** Epoch milliseconds (fractional) when the response's head was ready. */
  endMs: number;
}

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };
interface KeyValue { key: string; value: AnyValue }

const SPAN_KIND_SERVER = 2;
const STATUS_CODE_ERROR = 2;

const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): KeyValue => ({ key, value: { intValue: String(Math.trunc(value)) } });
const dbl = (key: string, value: number): KeyValue => ({ key, value: { doubleValue: value } });
const bool = (key: string, value: boolean): KeyValue => ({ key, value: { boolValue: value } });

/** Epoch milliseconds as OTLP's fixed64 nanoseconds, exactly (a double cannot hold them). */
export function unixNano(ms: number): string {
  const whole = Math.floor(ms);
  return (BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6))).toString();
}

/**
 * OTLP needs a 16-byte trace id. An id a client chose with X-Trace-ID is mapped to one by hashing,
 * the same way every time, and kept as it was in `islet.trace_id`.
 */
export function otlpTraceId(traceId: string): string {
  return isW3cTraceId(traceId) ? traceId : createHash('sha256').update(traceId).digest('hex').slice(0, 32);
}

function span(input: SpanInput) {
  const { outcome, spanId, endMs } = input;
  const { host, path } = hostAndPath(outcome.url);
  const attributes: KeyValue[] = [
    str('http.request.method', outcome.method),
    str('url.path', path),
    str('server.address', host.replace(/:\d+$/, '')),
    int('http.response.status_code', outcome.status),
    str('islet.worker', outcome.worker),
    int('islet.version', outcome.version),
    dbl('islet.cpu_ms', outcome.cpuMs),
    bool('islet.cold_start', outcome.coldStartMs >= 0),
  ];
  if (outcome.failure !== null) attributes.push(str('islet.outcome', outcome.failure));
  const traceId = otlpTraceId(outcome.traceId);
  if (traceId !== outcome.traceId) attributes.push(str('islet.trace_id', outcome.traceId));
  const parent = outcome.parentSpanId;
  return {
    traceId,
    spanId,
    ...(parent !== undefined && parent !== null ? { parentSpanId: parent } : {}),
    // No route template is known for a worker's own paths, so the worker stands in for it, which keeps
    // span names few (OpenTelemetry's HTTP conventions ask for low-cardinality names).
    name: `${outcome.method} ${outcome.worker}`,
    kind: SPAN_KIND_SERVER,
    startTimeUnixNano: unixNano(endMs - outcome.durationMs),
    endTimeUnixNano: unixNano(endMs),
    attributes,
    // Server spans are errors for 5xx only (4xx are the client's).
    status: outcome.status >= 500 ? { code: STATUS_CODE_ERROR, message: outcome.failure ?? `status ${outcome.status}` } : {},
  };
}

export function encodeSpans(spans: readonly SpanInput[], serviceName: string, version: string): string {
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [str('service.name', serviceName)] },
      scopeSpans: [{ scope: { name: 'islet', version }, spans: spans.map(span) }],
    }],
  });
}
