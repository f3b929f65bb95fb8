// The request line's hand-written JSON values must be the text JSON.stringify gives for them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonMs, jsonString } from '../../src/host/observability/logs/json-text.js';

test('millisecond figures: the text of the value rounded to thousandths, as JSON.stringify writes it', () => {
  const edges = [0, -0, 0.0004, 0.0005, 0.001, 0.01, 0.1, 0.1 + 0.2, 0.41234, 0.999, 0.9995, 1, 1.05, 1.005, 2.675, 10.1, 99.9995,
    100, 1234.5678, 30_000, 86_400_000.123, 999_999_999.9994, 1e9 + 0.0015, 1e12, 5e15, -1, -0.4, NaN, Infinity, -Infinity, 1e-7, Number.MIN_VALUE];
  const random = Array.from({ length: 20_000 }, (_, i) => (i % 2 === 0 ? Math.random() * 5 : Math.random() * 1e7));
  for (const value of [...edges, ...random]) {
    assert.equal(jsonMs(value), JSON.stringify(Math.round(value * 1000) / 1000), String(value));
  }
});

test('strings: unescaped when safe, JSON.stringify text otherwise', () => {
  const cases = ['', 'hello', '/a/b', '4bf92f3577b34da6a3ce929d0e0e4736', 'h\u00e9llo', '\u2028', 'a"b', 'a\\b', 'line\nbreak', '\u0000', '\u001f',
    '\u007f', 'emoji \ud83d\ude00', 'lone \ud800', 'lone \udfff end', '\ud800\udc00'];
  for (const value of cases) assert.equal(jsonString(value), JSON.stringify(value), JSON.stringify(value));
});
