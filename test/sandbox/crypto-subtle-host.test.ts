// The host half of crypto.subtle, called directly as a tampered runtime could call it: every
// malformed argument is a TypeError before any work starts, host limits are the DOMExceptions
// WebCrypto uses, and only a kind and a message ever come back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorKind, Op, type HostReply } from '../../src/shared/boundary.js';
import { cryptoAsyncOp, cryptoSyncOp } from '../../src/host/isolates/host-ops/crypto-ops.js';
import { CryptoTable, MAX_HANDLES, cryptoTableFor, dropCryptoTable } from '../../src/host/isolates/host-ops/crypto-table.js';

const bytes = (...values: number[]) => new Uint8Array(values).buffer;
const HMAC = ['name', 'HMAC', 'hash', 'SHA-256'];

/** Runs an async op for a fresh owner (unless given) and returns its settled reply. */
async function call(op: number, args: unknown[], owner: object = {}): Promise<HostReply> {
  return cryptoAsyncOp(owner, op, [1, ...args], true);
}

/** The outcome inside a successful reply: [1, value] or [0, kind, message]. */
function outcome(reply: HostReply): unknown[] {
  assert.ok(reply !== undefined && reply[0] === 1, `expected an outcome, got ${JSON.stringify(reply)}`);
  return reply[1] as unknown[];
}

async function importHmac(owner: object): Promise<number> {
  const record = outcome(await call(Op.CryptoImportKey, ['raw', bytes(1, 2, 3), HMAC, false, ['sign']], owner));
  assert.equal(record[0], 1);
  return (record[1] as unknown[])[0] as number;
}

describe('crypto ops: malformed arguments', () => {
  test('are TypeErrors, without an outcome and before any work starts', async () => {
    const owner = {};
    const key = await importHmac(owner);
    const hash = (cryptoSyncOp(owner, Op.DigestStreamCreate, ['SHA-256']) as [1, number])[1];
    const cases: [number, unknown[]][] = [
      [Op.CryptoDigest, ['SHA-3', bytes(1)]],
      [Op.CryptoDigest, ['SHA-256', new Uint8Array(1)]],
      [Op.CryptoDigest, ['SHA-256', 'text']],
      [Op.CryptoSign, ['HMAC', key, bytes(1)]],
      [Op.CryptoSign, [['name'], key, bytes(1)]],
      [Op.CryptoSign, [['name', 'HMAC', 'secret', 'x'], key, bytes(1)]],
      [Op.CryptoSign, [['name', 'HMAC', '__proto__', {}], key, bytes(1)]],
      [Op.CryptoSign, [['name', 'HMAC', 'name', 'HMAC'], key, bytes(1)]],
      [Op.CryptoSign, [['name', 'Blowfish'], key, bytes(1)]],
      [Op.CryptoSign, [['name', 'HMAC'], 999, bytes(1)]],
      [Op.CryptoSign, [['name', 'HMAC'], hash, bytes(1)]],
      [Op.CryptoSign, [['name', 'HMAC'], key, [1, 2]]],
      [Op.CryptoEncrypt, [['name', 'AES-GCM', 'iv', 'abc'], key, bytes(1)]],
      [Op.CryptoEncrypt, [['name', 'AES-GCM', 'tagLength', 1.5], key, bytes(1)]],
      [Op.CryptoEncrypt, [['name', 'AES-GCM', 'tagLength', -1], key, bytes(1)]],
      [Op.CryptoDeriveBits, [['name', 'ECDH', 'public', 12345], key, 256]],
      [Op.CryptoDeriveBits, [['name', 'HKDF'], key, -8]],
      [Op.CryptoGenerateKey, [['name', 'HMAC', 'hash', 'MD5'], true, ['sign']]],
      [Op.CryptoGenerateKey, [HMAC, 'yes', ['sign']]],
      [Op.CryptoGenerateKey, [HMAC, true, ['sign', 'launch']]],
      [Op.CryptoGenerateKey, [HMAC, true, 'sign']],
      [Op.CryptoImportKey, ['pem', bytes(1), HMAC, true, ['sign']]],
      [Op.CryptoImportKey, ['jwk', '{not json', HMAC, true, ['sign']]],
      [Op.CryptoImportKey, ['jwk', '[]', HMAC, true, ['sign']]],
      [Op.CryptoImportKey, ['jwk', '{"kty":"oct","k":"AAAA","extra":"x"}', HMAC, true, ['sign']]],
      [Op.CryptoImportKey, ['jwk', '{"kty":"oct","k":7}', HMAC, true, ['sign']]],
      [Op.CryptoImportKey, ['jwk', '{"kty":"oct","oth":[{"r":"a","z":"b"}]}', HMAC, true, ['sign']]],
      [Op.CryptoImportKey, ['jwk', bytes(1), HMAC, true, ['sign']]],
      [Op.CryptoImportKey, ['raw', '{"kty":"oct"}', HMAC, true, ['sign']]],
      [Op.CryptoExportKey, ['raw', '1']],
      [Op.CryptoWrapKey, ['raw', key, key + 1000, ['name', 'AES-KW']]],
      [Op.CryptoUnwrapKey, ['raw', bytes(1), key, ['name', 'AES-KW'], HMAC, true, null]],
      [Op.CryptoRelease, [[key]]],
    ];
    for (const [op, args] of cases) {
      const reply = await call(op, args, owner);
      assert.equal(reply?.[0], 0, `${op} ${JSON.stringify(args)} answered ${JSON.stringify(reply)}`);
      assert.equal(reply?.[1], ErrorKind.TypeError);
    }
    // The key is untouched by all of that.
    assert.equal(outcome(await call(Op.CryptoSign, [['name', 'HMAC'], key, bytes(1)], owner))[0], 1);
  });

  test('outside a request nothing starts', () => {
    const reply = cryptoAsyncOp({}, Op.CryptoDigest, [1, 'SHA-256', bytes(1)], false);
    assert.deepEqual(reply, [0, ErrorKind.TypeError, 'I/O is only possible while handling a request.']);
  });

  test('the synchronous ops check their handles and chunks', () => {
    const owner = {};
    const created = cryptoSyncOp(owner, Op.DigestStreamCreate, ['SHA-256']) as [1, number];
    const handle = created[1];
    assert.deepEqual(cryptoSyncOp(owner, Op.DigestStreamWrite, [handle, 'ab']), [1, 2]);
    assert.deepEqual(cryptoSyncOp(owner, Op.DigestStreamWrite, [handle, bytes(99)]), [1, 1]);
    assert.equal(cryptoSyncOp(owner, Op.DigestStreamWrite, [handle, 42])?.[1], ErrorKind.TypeError);
    assert.equal(cryptoSyncOp(owner, Op.DigestStreamWrite, [handle + 1, 'x'])?.[1], ErrorKind.TypeError);
    const digest = cryptoSyncOp(owner, Op.DigestStreamFinish, [handle]) as [1, ArrayBuffer];
    assert.equal(Buffer.from(digest[1]).toString('hex'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(cryptoSyncOp(owner, Op.DigestStreamFinish, [handle])?.[1], ErrorKind.TypeError);
    assert.equal(cryptoSyncOp(owner, Op.DigestStreamCreate, ['SHA-3'])?.[1], ErrorKind.TypeError);
    assert.equal(cryptoSyncOp(owner, Op.CryptoRelease, [7])?.[1], ErrorKind.TypeError);
    assert.deepEqual(cryptoSyncOp(owner, Op.CryptoRelease, [[1e9, 'x', null]]), [1, null]);
    assert.equal(cryptoTableFor(owner).size, 0);
  });
});

describe('crypto ops: outcomes', () => {
  test('results and Node\'s DOMExceptions come back as outcomes; other failures only as a generic OperationError', async () => {
    const owner = {};
    const [, digest] = outcome(await call(Op.CryptoDigest, ['SHA-1', bytes(0x61, 0x62, 0x63)], owner));
    assert.equal(Buffer.from(digest as ArrayBuffer).toString('hex'), 'a9993e364706816aba3e25717850c26c9cd0d89d');
    const [, md5] = outcome(await call(Op.CryptoDigest, ['MD5', bytes(0x61, 0x62, 0x63)], owner));
    assert.equal(Buffer.from(md5 as ArrayBuffer).toString('hex'), '900150983cd24fb0d6963f7d28e17f72');
    assert.deepEqual(outcome(await call(Op.CryptoImportKey, ['raw', bytes(1, 2, 3), ['name', 'AES-GCM'], false, ['encrypt']], owner)).slice(0, 2),
      [0, ErrorKind.DataError]);
    const key = await importHmac(owner);
    assert.deepEqual(outcome(await call(Op.CryptoEncrypt, [['name', 'AES-GCM', 'iv', bytes(1)], key, bytes(1)], owner)).slice(0, 2),
      [0, ErrorKind.InvalidAccessError]);
    assert.deepEqual(outcome(await call(Op.CryptoGenerateKey, [HMAC, true, []], owner)).slice(0, 2), [0, ErrorKind.DOMSyntaxError]);
    const bad = outcome(await call(Op.CryptoImportKey, ['spki', bytes(0x30, 0x03, 0x02, 0x01, 0x00), ['name', 'ECDSA', 'namedCurve', 'P-256'], true, ['verify']], owner));
    assert.equal(bad[0], 0);
    assert.ok(!String(bad[2]).includes('node:') && !String(bad[2]).includes('    at '), String(bad[2]));
  });

  test('host limits are refused up front with the DOMException kind Workers uses', async () => {
    const owner = {};
    const pbkdf2 = (outcome(await call(Op.CryptoImportKey, ['raw', bytes(1), ['name', 'PBKDF2'], false, ['deriveBits']], owner))[1] as unknown[])[0];
    const refusals: [unknown[], number][] = [
      [[Op.CryptoDeriveBits, ['name', 'PBKDF2', 'hash', 'SHA-256', 'salt', bytes(1), 'iterations', 100_001], pbkdf2, 256], ErrorKind.NotSupportedError],
      [[Op.CryptoDeriveBits, ['name', 'PBKDF2', 'hash', 'SHA-1', 'salt', bytes(1), 'iterations', 100_000], pbkdf2, 4096], ErrorKind.OperationError],
      [[Op.CryptoDeriveBits, ['name', 'HKDF', 'hash', 'SHA-1', 'salt', bytes(1), 'info', bytes(1)], pbkdf2, 200_000], ErrorKind.OperationError],
      [[Op.CryptoGenerateKey, ['name', 'RSA-PSS', 'hash', 'SHA-256', 'modulusLength', 16_384, 'publicExponent', bytes(1, 0, 1)], true, ['sign']],
        ErrorKind.OperationError],
      [[Op.CryptoGenerateKey, ['name', 'RSA-PSS', 'hash', 'SHA-256', 'modulusLength', 1004, 'publicExponent', bytes(1, 0, 1)], true, ['sign']],
        ErrorKind.OperationError],
      [[Op.CryptoGenerateKey, ['name', 'RSA-OAEP', 'hash', 'SHA-256', 'modulusLength', 1024, 'publicExponent', bytes(17)], true, ['encrypt']],
        ErrorKind.OperationError],
      [[Op.CryptoGenerateKey, ['name', 'HMAC', 'hash', 'SHA-256', 'length', 1 << 20], true, ['sign']], ErrorKind.OperationError],
      [[Op.CryptoGenerateKey, ['name', 'NODE-ED25519', 'namedCurve', 'P-256'], true, ['sign']], ErrorKind.NotSupportedError],
    ];
    for (const [[op, ...args], kind] of refusals) {
      const reply = cryptoAsyncOp(owner, op as number, [1, ...args], true);
      assert.ok(!(reply instanceof Promise), `op ${String(op)} started work`);
      assert.deepEqual(outcome(reply).slice(0, 2), [0, kind], JSON.stringify(args));
    }
  });

  test('an imported RSA key larger than Workers accepts is refused before it can be used', async () => {
    const modulus = Buffer.alloc(16_400 / 8, 0xff).toString('base64url');
    const jwk = (bits: string) => JSON.stringify({ kty: 'RSA', n: bits, e: 'AQAB' });
    const algorithm = ['name', 'RSASSA-PKCS1-v1_5', 'hash', 'SHA-256'];
    assert.deepEqual(outcome(await call(Op.CryptoImportKey, ['jwk', jwk(modulus), algorithm, true, ['verify']])).slice(0, 2),
      [0, ErrorKind.OperationError]);
    const fits = outcome(await call(Op.CryptoImportKey, ['jwk', jwk(Buffer.alloc(512, 0xff).toString('base64url')), algorithm, true, ['verify']]));
    assert.equal(fits[0], 1);
  });

  test('a NODE-ED25519 key signs only under that name, and an Ed25519 key only under its own', async () => {
    const owner = {};
    const pair = outcome(await call(Op.CryptoGenerateKey, [['name', 'NODE-ED25519', 'namedCurve', 'NODE-ED25519'], false, ['sign', 'verify']], owner));
    const [publicRecord, privateRecord] = pair[1] as unknown[][];
    assert.deepEqual(publicRecord![4], ['name', 'NODE-ED25519', 'namedCurve', 'NODE-ED25519']);
    const signed = outcome(await call(Op.CryptoSign, [['name', 'NODE-ED25519'], privateRecord![0], bytes(1)], owner));
    assert.equal(signed[0], 1);
    assert.deepEqual(outcome(await call(Op.CryptoSign, [['name', 'Ed25519'], privateRecord![0], bytes(1)], owner)).slice(0, 2),
      [0, ErrorKind.InvalidAccessError]);
    assert.deepEqual(outcome(await call(Op.CryptoVerify, [['name', 'NODE-ED25519'], publicRecord![0], signed[1], bytes(1)], owner)), [1, true]);
  });
});

describe('crypto table', () => {
  test('refuses past its limit, as QuotaExceededError for keys and null for hash states', async () => {
    const owner = {};
    const table = cryptoTableFor(owner);
    const key = await importHmac(owner);
    const entry = table.key(key)!;
    while (table.add(entry) !== null);
    assert.equal(table.size, MAX_HANDLES);
    assert.deepEqual(outcome(await call(Op.CryptoImportKey, ['raw', bytes(1), HMAC, false, ['sign']], owner)).slice(0, 2),
      [0, ErrorKind.QuotaExceededError]);
    assert.deepEqual(cryptoSyncOp(owner, Op.DigestStreamCreate, ['SHA-256']), [1, null]);
    cryptoSyncOp(owner, Op.CryptoRelease, [[key]]);
    assert.equal(table.size, MAX_HANDLES - 1);
    assert.equal(table.key(key), null);
  });

  test('runs two operations of a worker at a time, in order, and refuses to queue without bound', async () => {
    const table = new CryptoTable();
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const work = (n: number) => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      order.push(n);
      running--;
      return n;
    };
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => table.schedule(0, work(n))));
    assert.deepEqual(results, [1, 2, 3, 4, 5, 6]);
    assert.equal(peak, 2);
    assert.deepEqual(order.slice(2), [3, 4, 5, 6]);
    const blocked = new CryptoTable();
    const never = () => new Promise<never>(() => {});
    blocked.schedule(0, never);
    blocked.schedule(0, never);
    assert.ok(blocked.schedule(64 * 1024 * 1024 + 1, never) === null);
    assert.ok(blocked.schedule(1, never) instanceof Promise);
  });

  test('a dropped table keeps nothing, takes nothing, and starts nothing that was waiting', async () => {
    const owner = {};
    const key = await importHmac(owner);
    const table = cryptoTableFor(owner);
    let started = 0;
    const never = () => new Promise<never>(() => {});
    table.schedule(0, never);
    table.schedule(0, never);
    table.schedule(0, async () => { started++; });
    dropCryptoTable(owner);
    assert.equal(table.size, 0);
    assert.equal(table.key(key), null);
    assert.equal(cryptoTableFor(owner), table);
    assert.deepEqual(cryptoSyncOp(owner, Op.DigestStreamCreate, ['SHA-256']), [1, null]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(started, 0);
  });
});
