// crypto.subtle inside a real isolate: known-answer vectors from the standards, the interface's
// shape, and the exceptions WebCrypto names for each kind of misuse.
// @see https://w3c.github.io/webcrypto/
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inIsolate } from './harness.js';

// Helpers inside the isolate: hex in and out, UTF-8 bytes.
const HELPERS = `
  const s = crypto.subtle;
  const utf8 = (text) => new TextEncoder().encode(text);
  const hex = (buffer) => bytesOf(buffer).map((b) => b.toString(16).padStart(2, '0')).join('');
  const unhex = (text) => new Uint8Array(text.match(/../g).map((h) => parseInt(h, 16)));
`;
const run = <T = Record<string, unknown>>(body: string) => inIsolate<T>(HELPERS + body);

describe('crypto.subtle known answers', () => {
  test('digests: FIPS 180 "abc" for SHA-1/256/384/512, MD5 (RFC 1321) as Workers adds it', async () => {
    const r = await run(`
      const out = {};
      for (const name of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512', 'MD5']) out[name] = hex(await s.digest(name, utf8('abc')));
      out.lowercase = hex(await s.digest({ name: 'sha-256' }, utf8('abc').buffer));
      out.dataView = hex(await s.digest('SHA-256', new DataView(utf8('xabcx').buffer, 1, 3)));
      out.empty = hex(await s.digest('SHA-256', new Uint8Array(0)));
      return out;
    `);
    assert.deepEqual(r, {
      'SHA-1': 'a9993e364706816aba3e25717850c26c9cd0d89d',
      'SHA-256': 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      'SHA-384': 'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
      'SHA-512': 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
      MD5: '900150983cd24fb0d6963f7d28e17f72',
      lowercase: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      dataView: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      empty: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
  });

  test('HMAC-SHA-256: RFC 4231 test cases 1 and 2, and verify', async () => {
    const r = await run(`
      const k1 = await s.importKey('raw', new Uint8Array(20).fill(0x0b), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      const k2 = await s.importKey('raw', utf8('Jefe'), { name: 'HMAC', hash: { name: 'SHA-256' } }, false, ['sign', 'verify']);
      const mac = await s.sign('HMAC', k2, utf8('what do ya want for nothing?'));
      return {
        tc1: hex(await s.sign('HMAC', k1, utf8('Hi There'))), tc2: hex(mac),
        ok: await s.verify('HMAC', k2, mac, utf8('what do ya want for nothing?')),
        tampered: await s.verify('HMAC', k2, mac, utf8('what do ya want for nothing!')),
        length: k2.algorithm.length,
      };
    `);
    assert.deepEqual(r, {
      tc1: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
      tc2: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      ok: true, tampered: false, length: 32,
    });
  });

  test('PBKDF2: RFC 6070 (HMAC-SHA-1) and RFC 7914 section 11 (HMAC-SHA-256) vectors', async () => {
    const r = await run(`
      const pbkdf2 = async (password, salt, iterations, bits, hash) => hex(await s.deriveBits(
        { name: 'PBKDF2', hash, salt: utf8(salt), iterations },
        await s.importKey('raw', utf8(password), 'PBKDF2', false, ['deriveBits']), bits));
      return [
        await pbkdf2('password', 'salt', 1, 160, 'SHA-1'),
        await pbkdf2('password', 'salt', 2, 160, 'SHA-1'),
        await pbkdf2('password', 'salt', 4096, 160, 'SHA-1'),
        await pbkdf2('passwordPASSWORDpassword', 'saltSALTsaltSALTsaltSALTsaltSALTsalt', 4096, 200, 'SHA-1'),
        await pbkdf2('passwd', 'salt', 1, 512, 'SHA-256'),
        await pbkdf2('Password', 'NaCl', 80000, 512, 'SHA-256'),
      ];
    `);
    assert.deepEqual(r, [
      '0c60c80f961f0e71f3a9b524af6012062fe037a6',
      'ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957',
      '4b007901b765489abead49d926f721d065a429c1',
      '3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038',
      '55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783',
      '4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d',
    ]);
  });

  test('HKDF-SHA-256: RFC 5869 test case 1', async () => {
    const r = await run(`
      const ikm = await s.importKey('raw', new Uint8Array(22).fill(0x0b), 'HKDF', false, ['deriveBits']);
      return hex(await s.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: unhex('000102030405060708090a0b0c'), info: unhex('f0f1f2f3f4f5f6f7f8f9') }, ikm, 42 * 8));
    `);
    assert.equal(r, '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });

  test('Ed25519: RFC 8032 section 7.1 test 1, from PKCS #8 and from JWK', async () => {
    const r = await run(`
      const seed = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
      const publicHex = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
      const privateKey = await s.importKey('pkcs8', unhex('302e020100300506032b657004220420' + seed), 'Ed25519', true, ['sign']);
      const publicKey = await s.importKey('raw', unhex(publicHex), { name: 'Ed25519' }, true, ['verify']);
      const signature = await s.sign('Ed25519', privateKey, new Uint8Array(0));
      const jwk = await s.exportKey('jwk', privateKey);
      const again = await s.importKey('jwk', jwk, 'Ed25519', false, ['sign']);
      return {
        signature: hex(signature), verified: await s.verify('Ed25519', publicKey, signature, new Uint8Array(0)),
        fromJwk: hex(await s.sign('Ed25519', again, new Uint8Array(0))), publicFromPrivate: jwk.x, kty: jwk.kty, crv: jwk.crv,
        exportedPublic: hex(await s.exportKey('raw', publicKey)),
      };
    `);
    const signature = 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';
    assert.deepEqual(r, {
      signature, verified: true, fromJwk: signature, publicFromPrivate: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kty: 'OKP', crv: 'Ed25519',
      exportedPublic: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    });
  });

  test('AES-GCM: test case 2 of the GCM specification NIST adopted; AES-KW: RFC 3394 section 4.1', async () => {
    const r = await run(`
      const gcm = await s.importKey('raw', new Uint8Array(16), 'AES-GCM', false, ['encrypt', 'decrypt']);
      const sealed = await s.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, gcm, new Uint8Array(16));
      const kek = await s.importKey('raw', unhex('000102030405060708090a0b0c0d0e0f'), 'AES-KW', false, ['wrapKey']);
      const data = await s.importKey('raw', unhex('00112233445566778899aabbccddeeff'), 'AES-CBC', true, ['encrypt']);
      return {
        sealed: hex(sealed), opened: hex(await s.decrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, gcm, sealed)),
        wrapped: hex(await s.wrapKey('raw', data, kek, 'AES-KW')),
      };
    `);
    assert.deepEqual(r, {
      sealed: '0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf',
      opened: '00000000000000000000000000000000',
      wrapped: '1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5',
    });
  });
});

describe('crypto.subtle interface', () => {
  test('SubtleCrypto and CryptoKey are globals that cannot be constructed; keys hold no key material', async () => {
    const r = await run(`
      const key = await s.generateKey({ name: 'AES-GCM', length: 128 }, true, ['decrypt', 'encrypt']);
      const subtleDescriptor = Object.getOwnPropertyDescriptor(Crypto.prototype, 'subtle');
      return {
        same: crypto.subtle === crypto.subtle, isSubtle: s instanceof SubtleCrypto, subtleGetter: typeof subtleDescriptor.get,
        tags: [Object.prototype.toString.call(s), Object.prototype.toString.call(key)],
        newSubtle: thrown(() => new SubtleCrypto()), newKey: thrown(() => new CryptoKey()),
        methods: Object.getOwnPropertyNames(SubtleCrypto.prototype).sort(),
        lengths: ['encrypt', 'verify', 'digest', 'deriveBits', 'deriveKey', 'importKey', 'unwrapKey'].map((m) => s[m].length),
        keyOwn: Reflect.ownKeys(key), keyJson: JSON.stringify(key), isKey: key instanceof CryptoKey,
        keyProto: Object.getOwnPropertyNames(CryptoKey.prototype).sort(),
        cachedAlgorithm: key.algorithm === key.algorithm, cachedUsages: key.usages === key.usages,
        usages: key.usages, algorithm: key.algorithm, type: key.type, extractable: key.extractable,
        foreignGetter: thrown(() => Object.getOwnPropertyDescriptor(CryptoKey.prototype, 'type').get.call({})),
        detachedMethod: await rejected(() => s.digest.call({}, 'SHA-256', new Uint8Array(1))),
        digestStreamGlobal: typeof DigestStream, digestStream: typeof crypto.DigestStream,
      };
    `);
    assert.deepEqual(r, {
      same: true, isSubtle: true, subtleGetter: 'function', tags: ['[object SubtleCrypto]', '[object CryptoKey]'],
      newSubtle: 'TypeError', newKey: 'TypeError',
      methods: ['constructor', 'decrypt', 'deriveBits', 'deriveKey', 'digest', 'encrypt', 'exportKey', 'generateKey', 'importKey',
        'sign', 'timingSafeEqual', 'unwrapKey', 'verify', 'wrapKey'],
      lengths: [3, 4, 2, 2, 5, 5, 7],
      keyOwn: [], keyJson: '{}', isKey: true, keyProto: ['algorithm', 'constructor', 'extractable', 'type', 'usages'],
      cachedAlgorithm: true, cachedUsages: true, usages: ['encrypt', 'decrypt'], algorithm: { name: 'AES-GCM', length: 128 },
      type: 'secret', extractable: true, foreignGetter: 'TypeError', detachedMethod: 'TypeError',
      digestStreamGlobal: 'undefined', digestStream: 'function',
    });
  });

  test('algorithm names match case-insensitively and are reported in their registered case', async () => {
    const r = await run(`
      const hmac = await s.generateKey({ name: 'hmac', hash: 'sha-384' }, false, ['sign']);
      const ec = await s.generateKey({ name: 'ecdsa', namedCurve: 'P-256' }, false, ['sign']);
      return { hmac: hmac.algorithm, ec: ec.privateKey.algorithm.name,
        kelvin: await rejected(() => s.digest('SHA-256'.replace('S', '\\u017f'), new Uint8Array(1))) };
    `);
    assert.deepEqual(r, { hmac: { name: 'HMAC', length: 1024, hash: { name: 'SHA-384' } }, ec: 'ECDSA', kelvin: 'DOMException:NotSupportedError' });
  });
});

describe('crypto.subtle errors', () => {
  test('misuse rejects with the DOMException WebCrypto names', async () => {
    const r = await run(`
      const hmac = await s.importKey('raw', new Uint8Array(32), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      const ec = await s.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
      const aes = await s.generateKey({ name: 'AES-GCM', length: 128 }, false, ['encrypt', 'decrypt']);
      const sealed = await s.encrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, aes, utf8('secret'));
      const tampered = new Uint8Array(sealed); tampered[0] ^= 1;
      const pbkdf2 = await s.importKey('raw', utf8('pw'), 'PBKDF2', false, ['deriveBits']);
      return {
        wrongUsage: await rejected(() => s.sign('HMAC', hmac, new Uint8Array(1))),
        publicKeySigns: await rejected(() => s.sign({ name: 'ECDSA', hash: 'SHA-256' }, ec.publicKey, new Uint8Array(1))),
        wrongAlgorithm: await rejected(() => s.encrypt({ name: 'AES-CBC', iv: new Uint8Array(16) }, aes, new Uint8Array(1))),
        notExtractable: await rejected(() => s.exportKey('raw', aes)),
        tamperedTag: await rejected(() => s.decrypt({ name: 'AES-GCM', iv: new Uint8Array(12) }, aes, tampered)),
        shortAesKey: await rejected(() => s.importKey('raw', new Uint8Array(7), 'AES-GCM', false, ['encrypt'])),
        jwkWrongKty: await rejected(() => s.importKey('jwk', { kty: 'RSA', n: 'AQAB', e: 'AQAB' }, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])),
        jwkBadBase64: await rejected(() => s.importKey('jwk', { kty: 'oct', k: '!!!' }, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])),
        jwkWrongUse: await rejected(() => s.importKey('jwk', { kty: 'oct', k: 'AAAAAAAAAAAAAAAAAAAAAA', use: 'enc' }, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])),
        noUsages: await rejected(() => s.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, [])),
        badUsageForAlgorithm: await rejected(() => s.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['encrypt'])),
        unknownDigest: await rejected(() => s.digest('SHA-999', new Uint8Array(1))),
        signWithCipher: await rejected(() => s.sign({ name: 'AES-GCM', iv: new Uint8Array(12) }, aes, new Uint8Array(1))),
        md5AsHash: await rejected(() => s.generateKey({ name: 'HMAC', hash: 'MD5' }, false, ['sign'])),
        unknownCurve: await rejected(() => s.generateKey({ name: 'ECDSA', namedCurve: 'P-999' }, false, ['sign'])),
        tooManyIterations: await rejected(() => s.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(8), iterations: 100001 }, pbkdf2, 256)),
        hugeModulus: await rejected(() => s.generateKey({ name: 'RSA-PSS', hash: 'SHA-256', modulusLength: 16384, publicExponent: new Uint8Array([1, 0, 1]) }, false, ['sign'])),
        oddExponent: await rejected(() => s.generateKey({ name: 'RSA-PSS', hash: 'SHA-256', modulusLength: 1024, publicExponent: new Uint8Array([7]) }, false, ['sign'])),
        codes: await s.sign('HMAC', hmac, new Uint8Array(1)).catch((e) => [e.code, e.name, e instanceof DOMException, e instanceof Error, typeof e.message]),
      };
    `);
    assert.deepEqual(r, {
      wrongUsage: 'DOMException:InvalidAccessError', publicKeySigns: 'DOMException:InvalidAccessError',
      wrongAlgorithm: 'DOMException:InvalidAccessError', notExtractable: 'DOMException:InvalidAccessError',
      tamperedTag: 'DOMException:OperationError', shortAesKey: 'DOMException:DataError',
      jwkWrongKty: 'DOMException:DataError', jwkBadBase64: 'DOMException:DataError', jwkWrongUse: 'DOMException:DataError',
      noUsages: 'DOMException:SyntaxError', badUsageForAlgorithm: 'DOMException:SyntaxError',
      unknownDigest: 'DOMException:NotSupportedError', signWithCipher: 'DOMException:NotSupportedError',
      md5AsHash: 'DOMException:NotSupportedError', unknownCurve: 'DOMException:NotSupportedError',
      tooManyIterations: 'DOMException:NotSupportedError', hugeModulus: 'DOMException:OperationError', oddExponent: 'DOMException:OperationError',
      codes: [15, 'InvalidAccessError', true, true, 'string'],
    });
  });

  test('arguments WebIDL cannot convert reject with a TypeError, before anything reaches the host', async () => {
    const r = await run(`
      const key = await s.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
      const hmac = { name: 'HMAC', hash: 'SHA-256' };
      return {
        missingHash: await rejected(() => s.importKey('raw', new Uint8Array(8), { name: 'HMAC' }, false, ['sign'])),
        missingName: await rejected(() => s.digest({}, new Uint8Array(1))),
        notAKey: await rejected(() => s.sign('HMAC', { type: 'secret' }, new Uint8Array(1))),
        notBytes: await rejected(() => s.sign('HMAC', key, 'text')),
        badFormat: await rejected(() => s.importKey('pem', new Uint8Array(8), hmac, false, ['sign'])),
        badUsage: await rejected(() => s.importKey('raw', new Uint8Array(8), hmac, false, ['sign', 'fly'])),
        usagesNotSequence: await rejected(() => s.importKey('raw', new Uint8Array(8), hmac, false, 'sign')),
        jwkFromBytes: await rejected(() => s.importKey('jwk', new Uint8Array(8), hmac, false, ['sign'])),
        rawFromObject: await rejected(() => s.importKey('raw', { k: 'AAAA' }, hmac, false, ['sign'])),
        tooFewArguments: await rejected(() => s.encrypt({ name: 'AES-GCM' }, key)),
        outOfRange: await rejected(() => s.generateKey({ name: 'AES-GCM', length: 70000 }, false, ['encrypt'])),
        notFinite: await rejected(() => s.generateKey({ name: 'AES-GCM', length: NaN }, false, ['encrypt'])),
        exponentNotUint8Array: await rejected(() => s.generateKey({ name: 'RSA-OAEP', hash: 'SHA-256', modulusLength: 1024, publicExponent: [1, 0, 1] }, false, ['encrypt'])),
        ecdhPublicNotKey: await rejected(() => s.deriveBits({ name: 'ECDH', public: {} }, key, 128)),
        symbolName: await rejected(() => s.digest(Symbol('x'), new Uint8Array(1))),
        syncThrowIsRejection: s.digest() instanceof Promise,
      };
    `);
    assert.deepEqual(r, {
      missingHash: 'TypeError', missingName: 'TypeError', notAKey: 'TypeError', notBytes: 'TypeError', badFormat: 'TypeError',
      badUsage: 'TypeError', usagesNotSequence: 'TypeError', jwkFromBytes: 'TypeError', rawFromObject: 'TypeError',
      tooFewArguments: 'TypeError', outOfRange: 'TypeError', notFinite: 'TypeError', exponentNotUint8Array: 'TypeError',
      ecdhPublicNotKey: 'TypeError', symbolName: 'TypeError', syncThrowIsRejection: true,
    });
  });
});
