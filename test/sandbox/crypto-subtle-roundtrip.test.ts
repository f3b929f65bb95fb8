// Round trips for every algorithm crypto.subtle supports, in a real isolate: generate, export and
// import in every format the algorithm allows, then use the imported copies against the originals.
// @see https://w3c.github.io/webcrypto/#algorithm-overview
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inIsolate } from './harness.js';

const HELPERS = `
  const s = crypto.subtle;
  const utf8 = (text) => new TextEncoder().encode(text);
  const hex = (buffer) => bytesOf(buffer).map((b) => b.toString(16).padStart(2, '0')).join('');
  const message = utf8('attack at dawn');
  /** Exports in each format and imports the result back, returning the copies by format. */
  async function reimport(key, formats, algorithm, usages) {
    const copies = {};
    for (const format of formats) copies[format] = await s.importKey(format, await s.exportKey(format, key), algorithm, true, usages);
    return copies;
  }
`;
const run = <T = Record<string, unknown>>(body: string) => inIsolate<T>(HELPERS + body);

describe('crypto.subtle round trips', () => {
  test('HMAC with every hash: raw and jwk, sign with a copy, verify with the original', async () => {
    const r = await run(`
      const out = {};
      for (const hash of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']) {
        const algorithm = { name: 'HMAC', hash };
        const key = await s.generateKey(algorithm, true, ['sign', 'verify']);
        const copies = await reimport(key, ['raw', 'jwk'], algorithm, ['sign', 'verify']);
        out[hash] = [key.algorithm.length];
        for (const copy of Object.values(copies)) out[hash].push(await s.verify('HMAC', key, await s.sign('HMAC', copy, message), message));
      }
      return out;
    `);
    assert.deepEqual(r, { 'SHA-1': [512, true, true], 'SHA-256': [512, true, true], 'SHA-384': [1024, true, true], 'SHA-512': [1024, true, true] });
  });

  test('AES-GCM, AES-CBC, AES-CTR at 128 and 256 bits: raw and jwk copies decrypt what the original encrypted', async () => {
    const r = await run(`
      const params = {
        'AES-GCM': { name: 'AES-GCM', iv: crypto.getRandomValues(new Uint8Array(12)), additionalData: utf8('header'), tagLength: 96 },
        'AES-CBC': { name: 'AES-CBC', iv: crypto.getRandomValues(new Uint8Array(16)) },
        'AES-CTR': { name: 'AES-CTR', counter: crypto.getRandomValues(new Uint8Array(16)), length: 64 },
      };
      const out = {};
      for (const name of Object.keys(params)) {
        for (const length of [128, 256]) {
          const key = await s.generateKey({ name, length }, true, ['encrypt', 'decrypt']);
          const sealed = await s.encrypt(params[name], key, message);
          const copies = await reimport(key, ['raw', 'jwk'], name, ['decrypt']);
          const opened = [];
          for (const copy of Object.values(copies)) opened.push(new TextDecoder().decode(await s.decrypt(params[name], copy, sealed)));
          out[name + '/' + length] = [key.algorithm.length, sealed.byteLength, ...opened];
        }
      }
      return out;
    `);
    assert.deepEqual(r, {
      'AES-GCM/128': [128, 26, 'attack at dawn', 'attack at dawn'], 'AES-GCM/256': [256, 26, 'attack at dawn', 'attack at dawn'],
      'AES-CBC/128': [128, 16, 'attack at dawn', 'attack at dawn'], 'AES-CBC/256': [256, 16, 'attack at dawn', 'attack at dawn'],
      'AES-CTR/128': [128, 14, 'attack at dawn', 'attack at dawn'], 'AES-CTR/256': [256, 14, 'attack at dawn', 'attack at dawn'],
    });
  });

  test('wrapKey/unwrapKey: AES-KW (raw), AES-GCM (jwk), RSA-OAEP (pkcs8 of an Ed25519 key)', async () => {
    const r = await run(`
      const kw = await s.generateKey({ name: 'AES-KW', length: 256 }, true, ['wrapKey', 'unwrapKey']);
      const inner = await s.generateKey({ name: 'AES-GCM', length: 128 }, true, ['encrypt', 'decrypt']);
      const viaKw = await s.unwrapKey('raw', await s.wrapKey('raw', inner, kw, 'AES-KW'), kw, 'AES-KW', 'AES-GCM', true, ['encrypt']);
      const gcm = await s.generateKey({ name: 'AES-GCM', length: 256 }, false, ['wrapKey', 'unwrapKey']);
      const iv = new Uint8Array(12);
      const hmac = await s.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
      const viaGcm = await s.unwrapKey('jwk', await s.wrapKey('jwk', hmac, gcm, { name: 'AES-GCM', iv }), gcm, { name: 'AES-GCM', iv },
        { name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
      const oaep = await s.generateKey({ name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, false, ['wrapKey', 'unwrapKey']);
      const ed = await s.generateKey('Ed25519', true, ['sign', 'verify']);
      const viaOaep = await s.unwrapKey('pkcs8', await s.wrapKey('pkcs8', ed.privateKey, oaep.publicKey, 'RSA-OAEP'), oaep.privateKey, 'RSA-OAEP',
        'Ed25519', false, ['sign']);
      return {
        kw: hex(await s.exportKey('raw', viaKw)) === hex(await s.exportKey('raw', inner)),
        gcm: hex(await s.exportKey('raw', viaGcm)) === hex(await s.exportKey('raw', hmac)),
        oaep: await s.verify('Ed25519', ed.publicKey, await s.sign('Ed25519', viaOaep, message), message),
        unwrappedAlgorithm: viaOaep.algorithm, extractable: viaOaep.extractable,
        notExtractable: await rejected(() => s.wrapKey('raw', gcm, kw, 'AES-KW')),
      };
    `);
    assert.deepEqual(r, { kw: true, gcm: true, oaep: true, unwrappedAlgorithm: { name: 'Ed25519' }, extractable: false, notExtractable: 'DOMException:InvalidAccessError' });
  });

  test('RSASSA-PKCS1-v1_5, RSA-PSS, RSA-OAEP: spki, pkcs8 and jwk copies interoperate with the originals', async () => {
    const r = await run(`
      const out = {};
      const publicExponent = new Uint8Array([1, 0, 1]);
      for (const [name, hash, use, pub, priv] of [
        ['RSASSA-PKCS1-v1_5', 'SHA-256', { name: 'RSASSA-PKCS1-v1_5' }, 'verify', 'sign'],
        ['RSA-PSS', 'SHA-384', { name: 'RSA-PSS', saltLength: 32 }, 'verify', 'sign'],
        ['RSA-OAEP', 'SHA-1', { name: 'RSA-OAEP', label: utf8('label') }, 'encrypt', 'decrypt'],
      ]) {
        const algorithm = { name, hash };
        const pair = await s.generateKey({ ...algorithm, modulusLength: 1024, publicExponent }, true, [pub, priv]);
        const publics = await reimport(pair.publicKey, ['spki', 'jwk'], algorithm, [pub]);
        const privates = await reimport(pair.privateKey, ['pkcs8', 'jwk'], algorithm, [priv]);
        const results = [];
        if (pub === 'verify') {
          for (const copy of Object.values(privates)) results.push(await s.verify(use, pair.publicKey, await s.sign(use, copy, message), message));
          for (const copy of Object.values(publics)) results.push(await s.verify(use, copy, await s.sign(use, pair.privateKey, message), message));
        } else {
          for (const copy of Object.values(publics)) {
            results.push(new TextDecoder().decode(await s.decrypt(use, pair.privateKey, await s.encrypt(use, copy, message))) === 'attack at dawn');
          }
          for (const copy of Object.values(privates)) {
            results.push(new TextDecoder().decode(await s.decrypt(use, copy, await s.encrypt(use, pair.publicKey, message))) === 'attack at dawn');
          }
        }
        const a = pair.publicKey.algorithm;
        out[name] = { results, algorithm: [a.name, a.modulusLength, Array.from(a.publicExponent), a.hash.name, a.publicExponent instanceof Uint8Array],
          types: [pair.publicKey.type, pair.privateKey.type], usages: [pair.publicKey.usages, pair.privateKey.usages],
          jwkAlg: (await s.exportKey('jwk', pair.publicKey)).alg };
      }
      return out;
    `);
    assert.deepEqual(r, {
      'RSASSA-PKCS1-v1_5': { results: [true, true, true, true], algorithm: ['RSASSA-PKCS1-v1_5', 1024, [1, 0, 1], 'SHA-256', true],
        types: ['public', 'private'], usages: [['verify'], ['sign']], jwkAlg: 'RS256' },
      'RSA-PSS': { results: [true, true, true, true], algorithm: ['RSA-PSS', 1024, [1, 0, 1], 'SHA-384', true],
        types: ['public', 'private'], usages: [['verify'], ['sign']], jwkAlg: 'PS384' },
      'RSA-OAEP': { results: [true, true, true, true], algorithm: ['RSA-OAEP', 1024, [1, 0, 1], 'SHA-1', true],
        types: ['public', 'private'], usages: [['encrypt'], ['decrypt']], jwkAlg: 'RSA-OAEP' },
    });
  });

  test('ECDSA on P-256, P-384, P-521: raw, spki, pkcs8 and jwk copies interoperate', async () => {
    const r = await run(`
      const out = {};
      for (const [namedCurve, hash] of [['P-256', 'SHA-256'], ['P-384', 'SHA-384'], ['P-521', 'SHA-512']]) {
        const algorithm = { name: 'ECDSA', namedCurve };
        const use = { name: 'ECDSA', hash };
        const pair = await s.generateKey(algorithm, true, ['sign', 'verify']);
        const publics = await reimport(pair.publicKey, ['raw', 'spki', 'jwk'], algorithm, ['verify']);
        const privates = await reimport(pair.privateKey, ['pkcs8', 'jwk'], algorithm, ['sign']);
        const results = [];
        for (const copy of Object.values(privates)) results.push(await s.verify(use, pair.publicKey, await s.sign(use, copy, message), message));
        for (const copy of Object.values(publics)) results.push(await s.verify(use, copy, await s.sign(use, pair.privateKey, message), message));
        out[namedCurve] = { results, algorithm: pair.privateKey.algorithm, jwkCrv: (await s.exportKey('jwk', pair.publicKey)).crv };
      }
      return out;
    `);
    for (const curve of ['P-256', 'P-384', 'P-521']) {
      assert.deepEqual((r as Record<string, unknown>)[curve], { results: [true, true, true, true, true], algorithm: { name: 'ECDSA', namedCurve: curve }, jwkCrv: curve });
    }
  });

  test('ECDH on every curve and X25519: two parties derive the same bits and the same key, also from imported copies', async () => {
    const r = await run(`
      const out = {};
      const cases = [['P-256', { name: 'ECDH', namedCurve: 'P-256' }, 256, ['raw', 'spki', 'jwk']],
        ['P-384', { name: 'ECDH', namedCurve: 'P-384' }, 384, ['raw', 'spki', 'jwk']],
        ['P-521', { name: 'ECDH', namedCurve: 'P-521' }, 528, ['raw', 'spki', 'jwk']],
        ['X25519', { name: 'X25519' }, 256, ['raw', 'spki', 'jwk']]];
      for (const [label, algorithm, bits, publicFormats] of cases) {
        const alice = await s.generateKey(algorithm, true, ['deriveBits', 'deriveKey']);
        const bob = await s.generateKey(algorithm, true, ['deriveBits', 'deriveKey']);
        const name = algorithm.name;
        const ab = hex(await s.deriveBits({ name, public: bob.publicKey }, alice.privateKey, bits));
        const ba = hex(await s.deriveBits({ name, public: alice.publicKey }, bob.privateKey, bits));
        const copies = [];
        for (const copy of Object.values(await reimport(bob.publicKey, publicFormats, algorithm, []))) {
          copies.push(hex(await s.deriveBits({ name, public: copy }, alice.privateKey, bits)) === ab);
        }
        for (const copy of Object.values(await reimport(alice.privateKey, ['pkcs8', 'jwk'], algorithm, ['deriveBits']))) {
          copies.push(hex(await s.deriveBits({ name, public: bob.publicKey }, copy, bits)) === ab);
        }
        const aesA = await s.deriveKey({ name, public: bob.publicKey }, alice.privateKey, { name: 'AES-GCM', length: 256 }, true, ['encrypt']);
        const aesB = await s.deriveKey({ name, public: alice.publicKey }, bob.privateKey, { name: 'AES-GCM', length: 256 }, true, ['encrypt']);
        out[label] = { agree: ab === ba, bytes: ab.length / 2, copies, keys: hex(await s.exportKey('raw', aesA)) === hex(await s.exportKey('raw', aesB)),
          nullLength: (await s.deriveBits({ name, public: bob.publicKey }, alice.privateKey)).byteLength,
          ownPrivateAsPublic: await rejected(() => s.deriveBits({ name, public: bob.privateKey }, alice.privateKey, bits)) };
      }
      return out;
    `);
    for (const [label, bytes] of [['P-256', 32], ['P-384', 48], ['P-521', 66], ['X25519', 32]] as const) {
      assert.deepEqual((r as Record<string, unknown>)[label], {
        agree: true, bytes, copies: [true, true, true, true, true], keys: true, nullLength: bytes, ownPrivateAsPublic: 'DOMException:InvalidAccessError',
      }, label);
    }
  });

  test('Ed25519 and Workers\' NODE-ED25519: raw, spki, pkcs8 and jwk copies; each key keeps the name it was made with', async () => {
    const r = await run(`
      const out = {};
      for (const algorithm of [{ name: 'Ed25519' }, { name: 'NODE-ED25519', namedCurve: 'NODE-ED25519' }]) {
        const pair = await s.generateKey(algorithm, true, ['sign', 'verify']);
        const publics = await reimport(pair.publicKey, ['raw', 'spki', 'jwk'], algorithm, ['verify']);
        const privates = await reimport(pair.privateKey, ['pkcs8', 'jwk'], algorithm, ['sign']);
        const results = [];
        for (const copy of Object.values(privates)) results.push(await s.verify(algorithm, pair.publicKey, await s.sign(algorithm, copy, message), message));
        for (const copy of Object.values(publics)) results.push(await s.verify(algorithm.name, copy, await s.sign(algorithm, pair.privateKey, message), message));
        const other = algorithm.name === 'Ed25519' ? 'NODE-ED25519' : 'Ed25519';
        out[algorithm.name] = { results, algorithm: pair.privateKey.algorithm, copyAlgorithm: publics.spki.algorithm,
          otherName: await rejected(() => s.sign(other, pair.privateKey, message)) };
      }
      out.noCurve = await rejected(() => s.generateKey({ name: 'NODE-ED25519' }, true, ['sign']));
      out.wrongCurve = await rejected(() => s.generateKey({ name: 'NODE-ED25519', namedCurve: 'P-256' }, true, ['sign']));
      return out;
    `);
    assert.deepEqual(r, {
      Ed25519: { results: [true, true, true, true, true], algorithm: { name: 'Ed25519' }, copyAlgorithm: { name: 'Ed25519' },
        otherName: 'DOMException:InvalidAccessError' },
      'NODE-ED25519': { results: [true, true, true, true, true], algorithm: { name: 'NODE-ED25519', namedCurve: 'NODE-ED25519' },
        copyAlgorithm: { name: 'NODE-ED25519', namedCurve: 'NODE-ED25519' }, otherName: 'DOMException:InvalidAccessError' },
      noCurve: 'TypeError', wrongCurve: 'DOMException:NotSupportedError',
    });
  });

  test('PBKDF2 and HKDF: deriveBits and deriveKey agree; derived HMAC keys default to the hash block size', async () => {
    const r = await run(`
      const out = {};
      const salt = utf8('salt');
      for (const [name, params] of [['PBKDF2', { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 1000 }],
        ['HKDF', { name: 'HKDF', hash: 'SHA-512', salt, info: utf8('info') }]]) {
        const base = await s.importKey('raw', utf8('input keying material'), name, false, ['deriveBits', 'deriveKey']);
        const bits = hex(await s.deriveBits(params, base, 256));
        const aes = await s.deriveKey(params, base, { name: 'AES-CBC', length: 256 }, true, ['encrypt']);
        const hmac = await s.deriveKey(params, base, { name: 'HMAC', hash: 'SHA-384' }, true, ['sign']);
        out[name] = { sameBits: hex(await s.exportKey('raw', aes)) === bits, hmac: hmac.algorithm, baseAlgorithm: base.algorithm,
          baseExport: await rejected(() => s.exportKey('raw', base)), noLength: await rejected(() => s.deriveBits(params, base)) };
      }
      return out;
    `);
    const hmac = { name: 'HMAC', length: 1024, hash: { name: 'SHA-384' } };
    assert.deepEqual(r, {
      PBKDF2: { sameBits: true, hmac, baseAlgorithm: { name: 'PBKDF2' }, baseExport: 'DOMException:NotSupportedError', noLength: 'DOMException:OperationError' },
      HKDF: { sameBits: true, hmac, baseAlgorithm: { name: 'HKDF' }, baseExport: 'DOMException:NotSupportedError', noLength: 'DOMException:OperationError' },
    });
  });
});
