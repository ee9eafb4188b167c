// The SDK's MessagePack codec: every value kind round-trips, hostile input is refused with a
// CodecError (never a hang or a wrong value), and the encoding matches the host's for the
// small values it checks byte for byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CodecError, decode, encode } from "../src/msgpack.ts";

test("values of every kind round-trip", () => {
  const values: unknown[] = [
    null, true, false, 0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32, Number.MAX_SAFE_INTEGER,
    -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31) - 1, Number.MIN_SAFE_INTEGER,
    0.25, -1.5e300, "", "a", "x".repeat(31), "x".repeat(32), "x".repeat(300), "é ünï 😀", "y".repeat(70000),
    [], [1, [2, [3]]], Array.from({ length: 20 }, (_, n) => n), {}, { a: 1, nested: { b: [true, null] } },
    Object.fromEntries(Array.from({ length: 20 }, (_, n) => [`k${n}`, n])), new Uint8Array([1, 2, 3]),
    2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n,
  ];
  for (const value of values) assert.deepEqual(decode(encode(value)), value, JSON.stringify(String(value)).slice(0, 40));
});

test("small values use the compact forms", () => {
  assert.deepEqual([...encode({ newValue: 42 })], [0x81, 0xa8, ...Buffer.from("newValue"), 42]);
  assert.deepEqual([...encode(-1)], [0xff]);
  assert.deepEqual([...encode(0.5)], [0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0]);
});

test("every string gets the shortest header, whatever its UTF-16 length suggested", () => {
  const header = (text: string): number[] => [...encode(text).subarray(0, 3)];
  assert.deepEqual(header("x".repeat(31)).slice(0, 1), [0xbf]);
  assert.deepEqual(header("x".repeat(32)).slice(0, 2), [0xd9, 32]);
  assert.deepEqual(header("é".repeat(15)).slice(0, 1), [0xbe]); // 30 bytes from 15 units
  assert.deepEqual(header("x".repeat(255)).slice(0, 2), [0xd9, 255]);
  assert.deepEqual(header("x".repeat(256)), [0xda, 1, 0]);
  assert.deepEqual(header("😀".repeat(40)).slice(0, 2), [0xd9, 160]); // 80 units, 160 bytes
  assert.deepEqual([...encode("")], [0xa0]);
  const long = "y".repeat(70000);
  assert.deepEqual([...encode(long).subarray(0, 5)], [0xdb, 0, 1, 0x11, 0x70]);
  assert.equal(decode(encode(long)), long);
});

test("a getter that encodes while its object is being encoded gets its own writer", () => {
  let inner: Uint8Array | undefined;
  const value = {
    a: 1,
    get b() {
      inner = encode({ nested: "value" });
      return 2;
    },
  };
  assert.deepEqual(decode(encode(value)), { a: 1, b: 2 });
  assert.deepEqual(decode(inner ?? new Uint8Array()), { nested: "value" });
  // The shared writer is free again afterwards.
  assert.deepEqual(decode(encode({ c: 3 })), { c: 3 });
});

test("undefined properties are left out, as in JSON", () => {
  assert.deepEqual(decode(encode({ a: 1, b: undefined })), { a: 1 });
});

test("a __proto__ key stays an own property and changes no prototype", () => {
  const decoded = decode(new Uint8Array([0x81, 0xa9, ...Buffer.from("__proto__"), 0x81, 0xa1, 0x78, 1])) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
  assert.deepEqual(Object.keys(decoded), ["__proto__"]);
});

test("truncated, trailing and oversized input is a CodecError", () => {
  for (const bytes of [[0x92, 1], [0xa3, 0x61], [1, 2], [0xdd, 0xff, 0xff, 0xff, 0xff], [0xc1], [0xcb, 0]]) {
    assert.throws(() => decode(new Uint8Array(bytes)), CodecError, JSON.stringify(bytes));
  }
});

test("a cyclic value is refused, not looped on", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => encode(cyclic), CodecError);
});
