// Rewrites the built sandbox runtime so that nothing in it, the bundled web-streams-polyfill and
// urlpattern-polyfill included, looks up a built-in the tenant can replace while it runs. The runtime is
// evaluated before any tenant code, so what it captures at its top is what V8 made. Workers implements
// these classes natively, where no JavaScript patch can reach them; this gets the same result for code
// written in JavaScript, including code we did not write (see docs/conformance.md, "Built-ins").
//
// On the bundle's syntax tree (TypeScript's parser, which the build already depends on):
// - a global built-in (`Object`, `Promise`, `Uint8Array` ...) becomes a variable captured at the top;
//   so does a chain of its own data properties (`Object.defineProperty`, `Object.prototype.hasOwnProperty`,
//   `Symbol.asyncIterator`), evaluated once at boot;
// - a call `x.push(...)`, `f.call(...)`, `s.toLowerCase(...)` of a method some built-in prototype has
//   goes through a dispatcher: when `x` is of that built-in kind, the original method runs; for anything
//   else (the runtime's own classes, the tenant's objects) the property is looked up as before;
// - iterating an array (for-of, spread, array destructuring, `new Map(array)`, `Array.from(array)`) goes
//   by index when the tenant replaced Array.prototype[Symbol.iterator] or the array iterator's `next`;
// - `Promise.all` over an array settles through the original `then`.
// Everything else is left as the bundler wrote it, so with untouched built-ins behaviour is unchanged.
import { readFileSync, writeFileSync } from 'node:fs';

const P = '$$';
const WORD = /^[\w$]$/;

// Globals whose value is V8's at boot. Not here: Date (time is the runtime's to define), WebAssembly
// (the runtime replaces some of its functions), globalThis and everything the runtime installs itself.
const TYPED_ARRAYS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'];
const ROOTS = new Set(['Object', 'Function', 'Array', 'String', 'Number', 'Boolean', 'Symbol', 'BigInt', 'Math', 'JSON', 'Reflect',
  'Promise', 'Proxy', 'RegExp', 'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'ArrayBuffer',
  'SharedArrayBuffer', 'DataView', 'Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError',
  'AggregateError', 'parseInt', 'parseFloat', 'isNaN', 'isFinite', 'encodeURIComponent', 'decodeURIComponent', 'encodeURI',
  'decodeURI', ...TYPED_ARRAYS]);
// Static methods that need their constructor as `this`; the others are called without one.
const THIS_ROOTS = new Set(['Promise', ...TYPED_ARRAYS]);
// Settings the runtime or the tenant may change on purpose: always read live.
const LIVE = new Set(['stackTraceLimit', 'prepareStackTrace']);
// Constructors and statics that iterate their first argument.
const ITERATING_NEW = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', ...TYPED_ARRAYS]);
const ITERATING_STATIC = new Set(['Array.from', 'Object.fromEntries', 'Promise.allSettled', 'Promise.race', 'Promise.any',
  ...TYPED_ARRAYS.map((t) => `${t}.from`)]);

// The built-in kinds a dispatcher recognises, in the order it tries them, with how it recognises one.
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const KINDS = [
  { kind: 'string', proto: String.prototype, test: (r) => `typeof ${r}=="string"` },
  { kind: 'fn', proto: Function.prototype, test: (r) => `typeof ${r}=="function"` },
  { kind: 'array', proto: Array.prototype, test: (r) => `${P}isArray(${r})` },
  { kind: 'typed', proto: TypedArrayPrototype, test: (r) => `${P}taTag(${r})!==void 0` },
  { kind: 'buffer', proto: ArrayBuffer.prototype, test: (r) => `${r} instanceof ${P}ArrayBuffer` },
  { kind: 'map', proto: Map.prototype, test: (r) => `${r} instanceof ${P}Map` },
  { kind: 'weakmap', proto: WeakMap.prototype, test: (r) => `${r} instanceof ${P}WeakMap` },
  { kind: 'set', proto: Set.prototype, test: (r) => `${r} instanceof ${P}Set` },
  { kind: 'weakset', proto: WeakSet.prototype, test: (r) => `${r} instanceof ${P}WeakSet` },
  { kind: 'promise', proto: Promise.prototype, test: (r) => `${r} instanceof ${P}Promise`, only: ['then'] },
  { kind: 'regexp', proto: RegExp.prototype, test: (r) => `${r} instanceof ${P}RegExp`, only: ['exec'] },
];
// Methods that iterate or resolve through other lookups the original would make anyway
// (Promise#catch calls this.then, Array#keys returns an iterator whose `next` is replaceable) are not
// listed; RegExp#test is, and runs as `exec(...) !== null`, which is what it does with the original exec.
const METHODS = ['call', 'apply', 'bind', 'push', 'pop', 'shift', 'unshift', 'splice', 'forEach', 'map', 'filter', 'some', 'every',
  'find', 'findIndex', 'findLast', 'findLastIndex', 'reduce', 'sort', 'reverse', 'join', 'concat', 'indexOf', 'lastIndexOf',
  'includes', 'slice', 'at', 'fill', 'flat', 'flatMap', 'copyWithin', 'set', 'subarray', 'get', 'has', 'delete', 'add', 'clear',
  'then', 'exec', 'test', 'toLowerCase', 'toUpperCase', 'trim', 'trimStart', 'trimEnd', 'startsWith', 'endsWith', 'padStart',
  'padEnd', 'repeat', 'substring', 'substr', 'charCodeAt', 'codePointAt', 'charAt', 'normalize', 'toWellFormed', 'isWellFormed',
  'split', 'replace', 'replaceAll', 'match', 'search', 'localeCompare', 'transfer', 'resize'];

/** The kinds whose prototype has `name` as its own method. */
function kindsOf(name) {
  if (name === 'test') return [];
  return KINDS.filter((k) => (k.only === undefined || k.only.includes(name)) && typeof Object.getOwnPropertyDescriptor(k.proto, name)?.value === 'function');
}

/** Whether `root.a.b...` is a chain of own data properties here, so its value at boot is fixed. */
function capturable(root, names) {
  let value = globalThis[root];
  for (const name of names) {
    if (LIVE.has(name) || (typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
    const desc = Object.getOwnPropertyDescriptor(value, name);
    if (desc === undefined || !('value' in desc)) return false;
    value = desc.value;
  }
  return true;
}

/** `streamsPolyfill: false` for a bundle without web-streams-polyfill (its two patches below). */
export async function hardenRuntime(source, { streamsPolyfill = true } = {}) {
  const ts = (await import('typescript')).default;
  const sf = ts.createSourceFile('runtime.js', source, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  if (source.includes(P)) throw new Error(`harden-runtime: the bundle already uses the prefix ${P}`);

  // A root the bundle declares itself anywhere is left alone rather than scoped precisely.
  const declared = new Set();
  const collect = (n) => {
    if ((ts.isVariableDeclaration(n) || ts.isParameter(n) || ts.isBindingElement(n) || ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n)
      || ts.isFunctionExpression(n) || ts.isClassExpression(n)) && n.name && ts.isIdentifier(n.name)) declared.add(n.name.text);
    ts.forEachChild(n, collect);
  };
  collect(sf);
  const isRoot = (id) => ROOTS.has(id.text) && !declared.has(id.text);

  const usedRoots = new Set();
  const chains = new Map(); // 'Object.defineProperty' -> variable
  const usedMethods = new Set();
  let temp = 0;
  const text = (n) => source.slice(n.getStart(sf), n.end);

  const root = (name) => { usedRoots.add(name); return `${P}${name}`; };
  const chainVar = (key) => {
    let v = chains.get(key);
    if (v === undefined) { v = `${P}c${chains.size}`; chains.set(key, v); }
    return v;
  };
  /** [rootName, ...names] of a plain `a.b.c` chain rooted at a global built-in, or null. */
  const chainOf = (n) => {
    const names = [];
    while (ts.isPropertyAccessExpression(n) && !n.questionDotToken && ts.isIdentifier(n.name)) { names.unshift(n.name.text); n = n.expression; }
    if (!ts.isIdentifier(n) || !isRoot(n) || names.length === 0) return null;
    return [n.text, ...names];
  };
  const capturedChain = (n) => {
    const chain = chainOf(n);
    if (chain === null || !capturable(chain[0], chain.slice(1))) return null;
    return chain;
  };
  // Promise#then, as the runtime and the polyfill capture it, becomes one that does not resolve through a
  // `then` the tenant replaced either (see $$safeThen).
  const refOf = (chain) => chain.length === 1 ? root(chain[0]) : chain.join('.') === 'Promise.prototype.then' ? `${P}safeThen` : chainVar(chain.join('.'));

  const isWriteTarget = (n) => {
    const p = n.parent;
    if (ts.isBinaryExpression(p) && p.left === n && p.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && p.operatorToken.kind <= ts.SyntaxKind.LastAssignment) return true;
    if ((ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) && (p.operator === ts.SyntaxKind.PlusPlusToken || p.operator === ts.SyntaxKind.MinusMinusToken)) return true;
    return ts.isDeleteExpression(p);
  };
  const isReference = (id) => {
    const p = id.parent;
    if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
    if ((ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p) || ts.isGetAccessor(p) || ts.isSetAccessor(p)
      || ts.isBindingElement(p) || ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) && (p.name === id || p.propertyName === id || p.label === id)) return false;
    return true;
  };

  const iter = (n) => `${P}iter(${render(n)})`;
  const args = (list) => list.map((a) => render(a));

  /** The node's text with its children's rewrites in place, or null when nothing in it changes. */
  function children(node) {
    let out = '';
    let pos = node.getStart(sf);
    let changed = false;
    ts.forEachChild(node, (child) => {
      const r = rewrite(child);
      if (r === null) return;
      changed = true;
      // Minified code runs tokens together (`return/x/.test(s)`, `[a]in o`): keep them apart.
      const before = out + source.slice(pos, child.getStart(sf));
      out = before + (WORD.test(before.at(-1) ?? '') && WORD.test(r[0]) ? ' ' : '') + r;
      if (WORD.test(r.at(-1)) && WORD.test(source[child.end] ?? '')) out += ' ';
      pos = child.end;
    });
    return changed ? out + source.slice(pos, node.end) : null;
  }
  const render = (n) => rewrite(n) ?? text(n);

  /** A parameter list and body where array-destructured parameters are destructured in the body instead. */
  function destructureParams(fn) {
    const moved = [];
    const params = fn.parameters.map((p) => {
      if (!ts.isArrayBindingPattern(p.name) || p.dotDotDotToken) return render(p);
      const name = `${P}p${temp++}`;
      moved.push(`var ${render(p.name)}=${P}iter(${name});`);
      return name + (p.initializer ? '=' + render(p.initializer) : '');
    });
    if (moved.length === 0) return null;
    const body = fn.body;
    const start = fn.getStart(sf);
    const open = source.slice(start, fn.parameters.pos);
    const between = source.slice(fn.parameters.end, body.getStart(sf));
    const inner = ts.isBlock(body) ? `{${moved.join('')}${render(body).slice(1)}` : `{${moved.join('')}return(${render(body)})}`;
    return `${open}${params.join(',')}${between}${inner}`;
  }

  function rewrite(node) {
    if (ts.isIdentifier(node)) {
      if (!isRoot(node) || !isReference(node)) return null;
      if (ts.isShorthandPropertyAssignment(node.parent)) return `${node.text}:${root(node.text)}`;
      return root(node.text);
    }
    // A callee keeps its `this`: the call's own case below captures it; an optional call reads it live.
    if (ts.isPropertyAccessExpression(node) && !isWriteTarget(node) && !(ts.isCallExpression(node.parent) && node.parent.expression === node)) {
      const chain = capturedChain(node);
      if (chain !== null) return refOf(chain);
    }
    // Inside an optional chain (`a?.b.c()`) a call may be skipped altogether; those are left as they are.
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && (node.flags & ts.NodeFlags.OptionalChain) === 0) {
      const callee = node.expression;
      const chain = capturedChain(callee);
      if (chain !== null) {
        const key = chain.join('.');
        const list = args(node.arguments);
        if (key === 'Promise.all' && list.length === 1) return `${P}promiseAll(${list[0]})`;
        if (ITERATING_STATIC.has(key) && list.length > 0) list[0] = iter(node.arguments[0]);
        if (chain.length === 2 && !THIS_ROOTS.has(chain[0])) return `${refOf(chain)}(${list.join(',')})`;
        return `${P}call(${[refOf(chain), refOf(chain.slice(0, -1)), ...list].join(',')})`;
      }
      const name = callee.name.text;
      if (ts.isIdentifier(callee.name) && METHODS.includes(name) && callee.expression.kind !== ts.SyntaxKind.SuperKeyword) {
        usedMethods.add(name);
        return `${P}m_${name}(${[render(callee.expression), ...args(node.arguments)].join(',')})`;
      }
    }
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && isRoot(node.expression) && ITERATING_NEW.has(node.expression.text) && node.arguments?.length) {
      const list = args(node.arguments);
      list[0] = iter(node.arguments[0]);
      return `new ${root(node.expression.text)}(${list.join(',')})`;
    }
    if (ts.isSpreadElement(node)) return `...${iter(node.expression)}`;
    if (ts.isForOfStatement(node)) {
      const init = node.initializer;
      const head = `for${node.awaitModifier ? ' await' : ''}(`;
      if (ts.isVariableDeclarationList(init) && init.declarations.length === 1 && ts.isArrayBindingPattern(init.declarations[0].name)) {
        const keyword = source.slice(init.getStart(sf), init.declarations[0].getStart(sf)).trim();
        const name = `${P}e${temp++}`;
        return `${head}${keyword} ${name} of ${iter(node.expression)}){${keyword} ${render(init.declarations[0].name)}=${P}iter(${name});${render(node.statement)}}`;
      }
      return `${head}${render(init)} of ${iter(node.expression)})${render(node.statement)}`;
    }
    if (ts.isVariableDeclaration(node) && ts.isArrayBindingPattern(node.name) && node.initializer) {
      return `${render(node.name)}=${iter(node.initializer)}`;
    }
    if ((ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isFunctionDeclaration(node)) && node.body) {
      const r = destructureParams(node);
      if (r !== null) return r;
    }
    return children(node);
  }

  let body = rewrite(sf) ?? source;
  // The streams polyfill's "a promise resolved with x" resolves a new promise with x, which looks up
  // x.then when x is a promise; it adopts x through the original then instead, on the same ticks.
  const RESOLVED_WITH = 'function d(e2){return c(t2=>t2(e2))}';
  if (streamsPolyfill && body.split(RESOLVED_WITH).length !== 2) throw new Error('harden-runtime: web-streams-polyfill changed; re-check promiseResolvedWith');
  body = body.replace(RESOLVED_WITH, () => `function d(e2){return c((t2,r2)=>${P}adopt(e2,t2,r2))}`);
  // Its microtasks go through the global queueMicrotask, the tenant's to replace; its own fallback
  // queues them through the original then, on the same tick.
  const MICROTASK = 'if(typeof queueMicrotask=="function")S=queueMicrotask;else';
  if (streamsPolyfill && body.split(MICROTASK).length !== 2) throw new Error('harden-runtime: web-streams-polyfill changed; re-check its queueMicrotask');
  body = body.replace(MICROTASK, () => 'if(!1);else');
  // One function scope around both: the captured values must not become properties of the global object.
  return `"use strict";(()=>{${prologue(usedRoots, chains, usedMethods)}${body}\n})();\n`;
}

function prologue(usedRoots, chains, usedMethods) {
  const lines = [];
  const roots = new Set([...usedRoots, 'Array', 'ArrayBuffer', 'Map', 'WeakMap', 'Set', 'WeakSet', 'Promise', 'RegExp']);
  lines.push(`var ${[...roots].map((r) => `${P}${r}=${r}`).join(',')};`);
  if (chains.size > 0) lines.push(`var ${[...chains].map(([key, v]) => `${v}=${key.replace(/\./g, '?.')}`).join(',')};`);
  lines.push(
    `var ${P}call=Function.prototype.call.bind(Function.prototype.call),${P}apply=Reflect.apply,${P}isArray=Array.isArray,`
      + `${P}taTag=Function.prototype.call.bind(Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype),Symbol.toStringTag).get),`
      + `${P}SI=Symbol.iterator,${P}AP=Array.prototype,${P}values=Array.prototype[Symbol.iterator],${P}AIP=Object.getPrototypeOf([][Symbol.iterator]()),`
      + `${P}next=${P}AIP.next,${P}then=Function.prototype.call.bind(Promise.prototype.then),${P}resolve=Promise.resolve.bind(Promise),`
      + `${P}all=Promise.all,${P}exec=RegExp.prototype.exec,${P}PP=Promise.prototype,${P}getProto=Object.getPrototypeOf,`
      + `${P}hasOwn=Function.prototype.call.bind(Object.prototype.hasOwnProperty),${P}resolved=Promise.resolve(),${P}origThen=Promise.prototype.then;`,
    // Resolving a promise with a plain promise looks up its `then`; this does what that lookup finds
    // when nothing was replaced, on the same microtask ticks: a job, then a reaction to x.
    // Both take the plain path while Promise.prototype.then is V8's own, which is what it costs then.
    `var ${P}adopt=function(x,res,rej){if(${P}PP.then!==${P}origThen&&x!==null&&typeof x=="object"&&${P}getProto(x)===${P}PP&&!${P}hasOwn(x,"then"))`
      + `${P}then(${P}resolved,function(){${P}then(x,res,rej)});else res(x)};`,
    `var ${P}settle=function(f,v,res,rej){var r;try{r=f(v)}catch(e){rej(e);return}${P}adopt(r,res,rej)};`,
    `var ${P}safeThen=function(ok,err){var p=this;if(${P}PP.then===${P}origThen||!(p instanceof ${P}Promise))return ${P}apply(${P}origThen,p,[ok,err]);`
      + `return new ${P}Promise(function(res,rej){${P}then(p,typeof ok=="function"?function(v){${P}settle(ok,v,res,rej)}:res,`
      + `typeof err=="function"?function(e){${P}settle(err,e,res,rej)}:rej)})};`,
    // An array iterates as V8 does unless its iteration was replaced, then by index, reading length as it goes.
    `var ${P}iter=function(v){if(!${P}isArray(v))return v;var f=v[${P}SI];if(f===${P}values?${P}AIP.next===${P}next:f!==${P}AP[${P}SI])return v;`
      + `var i=0;return{[${P}SI](){return{next(){return i<v.length?{value:v[i++],done:!1}:{value:void 0,done:!0}},return:void 0}}}};`,
    `var ${P}promiseAll=function(v){if(!${P}isArray(v))return ${P}call(${P}all,${P}Promise,v);return new ${P}Promise(function(res,rej){`
      + `var n=v.length,out=new ${P}Array(n),left=n;if(n===0){res(out);return}for(let i=0;i<n;i++){var p=v[i];`
      + `${P}then(p instanceof ${P}Promise?p:${P}resolve(p),function(x){out[i]=x;if(--left===0)res(out)},rej)}})};`,
  );
  for (const name of usedMethods) {
    if (name === 'test') {
      lines.push(`var ${P}m_test=function(r,...a){return r instanceof ${P}RegExp?${P}apply(${P}exec,r,a)!==null:${P}apply(r.test,r,a)};`);
      continue;
    }
    const kinds = kindsOf(name);
    const originals = kinds.map((k) => `${P}o_${k.kind}_${name}=${k.kind === 'promise' && name === 'then' ? `${P}safeThen` : `${protoExpr(k.kind)}.${name}`}`);
    const pick = kinds.map((k) => `${k.test('r')}?${P}o_${k.kind}_${name}:`).join('');
    if (originals.length > 0) lines.push(`var ${originals.join(',')};`);
    lines.push(`var ${P}m_${name}=function(r,...a){return ${P}apply(${pick}r.${name},r,a)};`);
  }
  return lines.join('\n') + '\n';
}

function protoExpr(kind) {
  return {
    string: 'String.prototype', fn: 'Function.prototype', array: 'Array.prototype', typed: 'Object.getPrototypeOf(Uint8Array.prototype)',
    buffer: 'ArrayBuffer.prototype', map: 'Map.prototype', weakmap: 'WeakMap.prototype', set: 'Set.prototype', weakset: 'WeakSet.prototype',
    promise: 'Promise.prototype', regexp: 'RegExp.prototype',
  }[kind];
}

/** Hardens a built runtime file in place. */
export async function hardenRuntimeFile(path) {
  writeFileSync(path, await hardenRuntime(readFileSync(path, 'utf8')));
}
