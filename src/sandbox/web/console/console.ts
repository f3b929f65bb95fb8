// console.* inside the isolate: formatted here, written by the host with the worker name and the
// current request's trace id.
import { LogLevel, Op, type LogLevelCode } from '../../../shared/boundary.js';
import { hostNotify } from '../../bootstrap/host.js';

function formatValue(value: unknown, depth: number, seen: Set<unknown>): string {
  switch (typeof value) {
    case 'string': return depth === 0 ? value : JSON.stringify(value);
    case 'number': case 'boolean': case 'undefined': case 'symbol': return String(value);
    case 'bigint': return `${value}n`;
    case 'function': return `[Function: ${value.name || '(anonymous)'}]`;
  }
  if (value === null) return 'null';
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  if (seen.has(value)) return '[Circular]';
  if (depth > 3) return Array.isArray(value) ? '[Array]' : '[Object]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return `[ ${value.map((v) => formatValue(v, depth + 1, seen)).join(', ')} ]`;
    const tag = Object.prototype.toString.call(value).slice(8, -1);
    if (value instanceof Map) return `Map(${value.size}) {}`;
    if (value instanceof Set) return `Set(${value.size}) {}`;
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `${tag}(${(value as ArrayBuffer).byteLength}) []`;
    const entries = Object.keys(value as object).map((k) => `${k}: ${formatValue((value as Record<string, unknown>)[k], depth + 1, seen)}`);
    const prefix = tag === 'Object' ? '' : `${tag} `;
    return entries.length === 0 ? `${prefix}{}` : `${prefix}{ ${entries.join(', ')} }`;
  } catch {
    return '[Object]';
  } finally {
    seen.delete(value);
  }
}

/**
 * @see https://console.spec.whatwg.org/#formatter
 * A first string argument may hold %s %d %i %f %o %O %c, each taking the next argument; what is
 * left over is appended, space-separated. %% is a literal percent sign, as in every engine.
 */
function applySpecifiers(template: string, args: unknown[]): { text: string; used: number } {
  let text = '';
  let used = 1;
  let last = 0;
  for (let i = template.indexOf('%'); i !== -1 && i < template.length - 1; i = template.indexOf('%', i)) {
    const spec = template[i + 1]!;
    let piece: string | null = null;
    if (spec === '%') piece = '%';
    else if (used < args.length) {
      const arg = args[used];
      switch (spec) {
        case 's': try { piece = String(arg); } catch { piece = formatValue(arg, 1, new Set()); } break;
        case 'd': case 'i': piece = typeof arg === 'symbol' ? 'NaN' : String(parseInt(arg as string, 10)); break;
        case 'f': piece = typeof arg === 'symbol' ? 'NaN' : String(parseFloat(arg as string)); break;
        case 'o': case 'O': piece = formatValue(arg, 1, new Set()); break;
        case 'c': piece = ''; break;
      }
      if (piece !== null) used++;
    }
    if (piece === null) { i += 1; continue; }
    text += template.slice(last, i) + piece;
    last = i + 2;
    i += 2;
  }
  return { text: text + template.slice(last), used };
}

export function format(args: unknown[]): string {
  let out = '';
  let start = 0;
  if (args.length > 1 && typeof args[0] === 'string') {
    const { text, used } = applySpecifiers(args[0], args);
    out = text;
    start = used;
  }
  for (let i = start; i < args.length; i++) out += (i === 0 ? '' : ' ') + formatValue(args[i], 0, new Set());
  return out;
}

// The host cuts lines past 64 KiB anyway; cutting here keeps a megabyte-long line from being copied
// out of the isolate at all. The cut line with its note stays under the host's limit, so the host does
// not cut the note off and count only its own cut.
const MAX_LINE = 64 * 1024 - 64;

function writer(level: LogLevelCode) {
  return (...args: unknown[]): void => {
    const text = format(args);
    hostNotify(Op.Log, level, text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}... [${text.length - MAX_LINE} more characters cut]` : text);
  };
}

const counts = new Map<string, number>();
const timers = new Map<string, number>();

export const console = {
  debug: writer(LogLevel.Debug),
  info: writer(LogLevel.Info),
  log: writer(LogLevel.Log),
  warn: writer(LogLevel.Warn),
  error: writer(LogLevel.Error),
  trace: writer(LogLevel.Debug),
  dir: (value: unknown) => writer(LogLevel.Log)(value),
  table: (value: unknown) => writer(LogLevel.Log)(value),
  assert: (condition: unknown, ...args: unknown[]) => {
    if (!condition) writer(LogLevel.Error)('Assertion failed' + (args.length > 0 ? ':' : ''), ...args);
  },
  count: (label = 'default') => {
    const n = (counts.get(label) ?? 0) + 1;
    counts.set(label, n);
    writer(LogLevel.Log)(`${label}: ${n}`);
  },
  countReset: (label = 'default') => { counts.delete(label); },
  time: (label = 'default') => { timers.set(label, Date.now()); },
  timeLog: (label = 'default', ...args: unknown[]) => {
    const start = timers.get(label);
    if (start !== undefined) writer(LogLevel.Log)(`${label}: ${Date.now() - start}ms`, ...args);
  },
  timeEnd: (label = 'default') => {
    const start = timers.get(label);
    timers.delete(label);
    if (start !== undefined) writer(LogLevel.Log)(`${label}: ${Date.now() - start}ms`);
  },
  group: writer(LogLevel.Log),
  groupCollapsed: writer(LogLevel.Log),
  groupEnd: () => {},
};
