// The module every target serves. Variants differ in a constant so that no code cache, compile cache
// or module map can hand a later worker the work done for an earlier one.

export const HELLO_BODY = 'Hello World!';

export const HELLO_MODULE = `export default { fetch() { return new Response('${HELLO_BODY}') } }\n`;

export function distinctHelloModule(id: number): string {
  return `const id = ${id};\nexport default { fetch() { return new Response('${HELLO_BODY}', { headers: { 'x-worker': String(id) } }) } }\n`;
}
