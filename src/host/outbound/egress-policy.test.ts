import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EgressConfigError, EgressPolicy, addressToBigInt, blockedMessage, classifyAddress } from './egress-policy.js';

/** The hostname a subrequest to `url` connects to, as the connector sees it (no IPv6 brackets). */
const hostOf = (url: string) => new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');

describe('classifyAddress', () => {
  const cases: [string, string][] = [
    ['127.0.0.1', 'loopback'], ['127.255.255.254', 'loopback'], ['::1', 'loopback'],
    ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['fc00::1', 'private'], ['fd12:3456::1', 'private'],
    ['169.254.169.254', 'link-local'], ['169.254.0.1', 'link-local'], ['fe80::1', 'link-local'], ['febf::1', 'link-local'],
    ['0.0.0.0', 'unspecified'], ['0.1.2.3', 'unspecified'], ['::', 'unspecified'],
    ['100.64.0.1', 'shared'], ['100.127.255.255', 'shared'],
    ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'], ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'], ['240.0.0.1', 'reserved'], ['192.0.2.1', 'reserved'], ['2001:db8::1', 'reserved'],
    ['100::1', 'reserved'], ['::2', 'reserved'],
    // Other spellings of the blocked IPv4 ranges.
    ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['0:0:0:0:0:ffff:a9fe:a9fe', 'link-local'],
    ['64:ff9b::10.0.0.1', 'private'], ['2002:7f00:1::1', 'loopback'], ['fe80::1%eth0', 'link-local'],
    // Public.
    ['8.8.8.8', 'public'], ['172.32.0.1', 'public'], ['100.128.0.1', 'public'], ['1.1.1.1', 'public'],
    ['2606:4700:4700::1111', 'public'], ['::ffff:8.8.8.8', 'public'], ['64:ff9b::8.8.8.8', 'public'],
  ];
  for (const [address, expected] of cases) {
    test(`${address} is ${expected}`, () => assert.equal(classifyAddress(address), expected));
  }

  test('names are not addresses', () => {
    assert.equal(classifyAddress('localhost'), null);
    assert.equal(classifyAddress('example.com'), null);
  });

  test('IPv6 text forms give the same number', () => {
    assert.equal(addressToBigInt('::ffff:127.0.0.1'), addressToBigInt('127.0.0.1'));
    assert.equal(addressToBigInt('0:0:0:0:0:0:0:1'), 1n);
    assert.equal(addressToBigInt('1::'), 1n << 112n);
    assert.equal(addressToBigInt('2001:db8::ff00:42:8329'), 0x20010db8000000000000ff0000428329n);
  });
});

describe('numeric hosts, as the URL parser normalises them', () => {
  const loopbacks = [
    'http://2130706433/', 'http://0177.0.0.1/', 'http://0x7f.1/', 'http://127.1/', 'http://0x7f000001/',
    'http://017700000001/', 'http://127.0.0.1./', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/', 'http://[0:0:0:0:0:0:0:1]/',
  ];
  for (const url of loopbacks) {
    test(`${url} is loopback`, () => assert.equal(classifyAddress(hostOf(url)), 'loopback'));
  }
  test('other blocked targets', () => {
    assert.equal(classifyAddress(hostOf('http://0/')), 'unspecified');
    assert.equal(classifyAddress(hostOf('http://2852039166/')), 'link-local');
    assert.equal(classifyAddress(hostOf('http://0xa9.0xfe.0xa9.0xfe/')), 'link-local');
    assert.equal(classifyAddress(hostOf('http://10.1/')), 'private');
    assert.equal(classifyAddress(hostOf('http://[::ffff:a9fe:a9fe]/')), 'link-local');
  });
});

describe('EgressPolicy', () => {
  test('refuses everything but public addresses by default', () => {
    const policy = new EgressPolicy();
    assert.equal(policy.refusal('127.0.0.1'), 'loopback');
    assert.equal(policy.refusal('::ffff:169.254.169.254'), 'link-local');
    assert.equal(policy.refusal('93.184.215.14'), null);
    assert.equal(policy.allowsHost('localhost'), false);
  });

  test('CIDRs open ranges, in either IPv4 spelling', () => {
    const policy = new EgressPolicy(['127.0.0.1/32', '10.0.0.0/8', 'fd00::/8', '192.168.1.7']);
    assert.equal(policy.refusal('127.0.0.1'), null);
    assert.equal(policy.refusal('::ffff:127.0.0.1'), null);
    assert.equal(policy.refusal('127.0.0.2'), 'loopback');
    assert.equal(policy.refusal('10.200.0.1'), null);
    assert.equal(policy.refusal('fd00::5'), null);
    assert.equal(policy.refusal('fc00::5'), 'private');
    assert.equal(policy.refusal('192.168.1.7'), null);
    assert.equal(policy.refusal('192.168.1.8'), 'private');
  });

  test('host bits of a CIDR are ignored; /0 opens everything', () => {
    assert.equal(new EgressPolicy(['10.9.9.9/8']).refusal('10.1.1.1'), null);
    const all = new EgressPolicy(['0.0.0.0/0', '::/0']);
    assert.equal(all.refusal('127.0.0.1'), null);
    assert.equal(all.refusal('fe80::1'), null);
    assert.equal(new EgressPolicy(['0.0.0.0/0']).refusal('::1'), 'loopback');
  });

  test('hostnames and wildcards', () => {
    const policy = new EgressPolicy(['API.Internal', '*.corp.example', 'localhost.']);
    assert.equal(policy.allowsHost('api.internal'), true);
    assert.equal(policy.allowsHost('api.internal.'), true);
    assert.equal(policy.allowsHost('x.api.internal'), false);
    assert.equal(policy.allowsHost('db.corp.example'), true);
    assert.equal(policy.allowsHost('a.b.corp.example'), true);
    assert.equal(policy.allowsHost('corp.example'), false);
    assert.equal(policy.allowsHost('evilcorp.example'), false);
    assert.equal(policy.allowsHost('localhost'), true);
  });

  test('numeric hostnames in the list are addresses', () => {
    const policy = new EgressPolicy(['127.1', '[::1]']);
    assert.equal(policy.refusal('127.0.0.1'), null);
    assert.equal(policy.refusal('::1'), null);
  });

  test('invalid entries are refused with a clear error', () => {
    for (const entry of ['10.0.0.0/33', '::/129', '10.0.0.0/x', 'host/8', '', 'a b', 'api.internal:8080', 'http://x', '*.10.0.0.1', '1.2.3.4/8/8']) {
      assert.throws(() => new EgressPolicy([entry]), EgressConfigError, entry);
    }
  });
});

describe('blockedMessage', () => {
  test('names what the tenant typed and how to allow it, never a resolved address', () => {
    assert.equal(blockedMessage('internal.test', null),
      'Subrequest to internal.test is blocked by the egress policy: it does not resolve to a public address. '
      + "To allow it, add internal.test to the egress allow list (--allow-egress internal.test for islet dev, egress_allow in islet serve's config).");
    assert.match(blockedMessage('169.254.169.254', 'link-local'), /169\.254\.169\.254 is blocked .*it is a link-local address.*--allow-egress 169\.254\.169\.254\/32/);
    assert.match(blockedMessage('::1', 'loopback'), /\[::1\] is blocked .*--allow-egress ::1\/128/);
  });
});
