// MessagePack, the encoding of every payload between a handler and the host. Handlers never see
// it: the stage adapters decode the client input and server output into plain values and encode
// what `main` returns. Small on purpose (it is bundled into every component): nil, booleans,
// integers (as numbers when safe, bigints otherwise), floats, strings, binary, arrays and maps.
// It must never accept trailing bytes or truncated input, and never loop on hostile input.

/** A value that could not be decoded or encoded; `message` says where and why. */
export class CodecError extends Error {}

const utf8 = new TextDecoder("utf-8", { fatal: false });
const utf8Encoder = new TextEncoder();

/** Decodes exactly one MessagePack value from `bytes[start, end)`. */
export function decode(bytes: Uint8Array, start = 0, end = bytes.length): unknown {
  const reader = new Reader(bytes, start, end);
  const value = reader.value(0);
  if (reader.at !== end) throw new CodecError(`trailing bytes after the value at offset ${reader.at}`);
  return value;
}

/** Most nesting a decoded value may have; the host already bounds input depth far lower. */
const MAX_DEPTH = 512;

class Reader {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    public at: number,
    readonly end: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(count: number): number {
    const at = this.at;
    if (at + count > this.end) throw new CodecError(`truncated value at offset ${at}`);
    this.at = at + count;
    return at;
  }

  text(length: number): string {
    const at = this.need(length);
    return readUtf8(this.bytes, at, at + length);
  }

  binary(length: number): Uint8Array {
    const at = this.need(length);
    return this.bytes.slice(at, at + length);
  }

  array(length: number, depth: number): unknown[] {
    const items = new Array<unknown>(length);
    for (let index = 0; index < length; index++) items[index] = this.value(depth + 1);
    return items;
  }

  map(length: number, depth: number): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    for (let index = 0; index < length; index++) {
      const key = this.value(depth + 1);
      const value = this.value(depth + 1);
      const name = typeof key === "string" ? key : String(key);
      // Own data property even for "__proto__", so input can never change an object's prototype.
      Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
    }
    return object;
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new CodecError("value nested too deeply");
    const view = this.view;
    const type = this.bytes[this.need(1)];
    if (type <= 0x7f) return type;
    if (type >= 0xe0) return type - 0x100;
    if (type >= 0x80 && type <= 0x8f) return this.map(type & 0x0f, depth);
    if (type >= 0x90 && type <= 0x9f) return this.array(type & 0x0f, depth);
    if (type >= 0xa0 && type <= 0xbf) return this.text(type & 0x1f);
    switch (type) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return this.binary(view.getUint8(this.need(1)));
      case 0xc5: return this.binary(view.getUint16(this.need(2)));
      case 0xc6: return this.binary(view.getUint32(this.need(4)));
      case 0xca: return view.getFloat32(this.need(4));
      case 0xcb: return view.getFloat64(this.need(8));
      case 0xcc: return view.getUint8(this.need(1));
      case 0xcd: return view.getUint16(this.need(2));
      case 0xce: return view.getUint32(this.need(4));
      case 0xcf: return narrow(view.getBigUint64(this.need(8)));
      case 0xd0: return view.getInt8(this.need(1));
      case 0xd1: return view.getInt16(this.need(2));
      case 0xd2: return view.getInt32(this.need(4));
      case 0xd3: return narrow(view.getBigInt64(this.need(8)));
      case 0xd9: return this.text(view.getUint8(this.need(1)));
      case 0xda: return this.text(view.getUint16(this.need(2)));
      case 0xdb: return this.text(view.getUint32(this.need(4)));
      case 0xdc: return this.array(view.getUint16(this.need(2)), depth);
      case 0xdd: return this.array(this.count(view.getUint32(this.need(4))), depth);
      case 0xde: return this.map(view.getUint16(this.need(2)), depth);
      case 0xdf: return this.map(this.count(view.getUint32(this.need(4))), depth);
      default: throw new CodecError(`unsupported type byte 0x${type.toString(16)} at offset ${this.at - 1}`);
    }
  }

  /** A 32-bit element count, refused when it cannot fit in the bytes left (each item is ≥ 1 byte). */
  count(length: number): number {
    if (length > this.end - this.at) throw new CodecError(`truncated value at offset ${this.at}`);
    return length;
  }
}

function narrow(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** UTF-8 text of `bytes[start, end)`; short ASCII strings skip the decoder, the common case. */
export function readUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 32) {
    let text = "";
    for (let index = start; index < end; index++) {
      const byte = bytes[index];
      if (byte >= 0x80) return utf8.decode(bytes.subarray(start, end));
      text += String.fromCharCode(byte);
    }
    return text;
  }
  return utf8.decode(bytes.subarray(start, end));
}

/** Encodes `value` as one MessagePack value. */
export function encode(value: unknown): Uint8Array {
  const writer = new Writer();
  writer.value(value, 0);
  return writer.finish();
}

/** Appends MessagePack values to one growing buffer (a client batch writes all its outputs here). */
export class Writer {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  finish(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  private room(count: number): number {
    const at = this.length;
    if (at + count > this.bytes.length) {
      let size = this.bytes.length * 2;
      while (size < at + count) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.bytes.subarray(0, at));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length = at + count;
    return at;
  }

  private byte(value: number): void {
    this.bytes[this.room(1)] = value;
  }

  private head(small: number, limit: number, base8: number, length: number): void {
    if (length < limit) this.byte(small | length);
    else if (base8 !== 0 && length <= 0xff) {
      const at = this.room(2);
      this.bytes[at] = base8;
      this.bytes[at + 1] = length;
    } else if (length <= 0xffff) {
      const at = this.room(3);
      this.bytes[at] = base8 === 0 ? small === 0x90 ? 0xdc : 0xde : base8 + 1;
      this.view.setUint16(at + 1, length);
    } else {
      const at = this.room(5);
      this.bytes[at] = base8 === 0 ? small === 0x90 ? 0xdd : 0xdf : base8 + 2;
      this.view.setUint32(at + 1, length);
    }
  }

  value(value: unknown, depth: number): void {
    if (depth > MAX_DEPTH) throw new CodecError("value nested too deeply (or cyclic)");
    switch (typeof value) {
      case "undefined":
        return this.byte(0xc0);
      case "boolean":
        return this.byte(value ? 0xc3 : 0xc2);
      case "number":
        return this.number(value);
      case "bigint":
        return this.bigint(value);
      case "string":
        return this.text(value);
      case "object":
        if (value === null) return this.byte(0xc0);
        if (value instanceof Uint8Array) {
          this.head(0, 0, 0xc4, value.length);
          const at = this.room(value.length); // may replace the buffer: take the offset first
          this.bytes.set(value, at);
          return;
        }
        if (Array.isArray(value)) {
          this.head(0x90, 16, 0, value.length);
          for (const item of value) this.value(item, depth + 1);
          return;
        }
        if (value instanceof Date) return this.text(value.toISOString());
        return this.object(value as Record<string, unknown>, depth);
      default:
        throw new CodecError(`a ${typeof value} cannot be sent`);
    }
  }

  private object(object: Record<string, unknown>, depth: number): void {
    // Like JSON: properties whose value is undefined or a function are left out.
    let count = 0;
    for (const key in object) {
      if (Object.prototype.hasOwnProperty.call(object, key) && keep(object[key])) count++;
    }
    this.head(0x80, 16, 0, count);
    for (const key in object) {
      if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
      const item = object[key];
      if (!keep(item)) continue;
      this.text(key);
      this.value(item, depth + 1);
    }
  }

  private number(value: number): void {
    if (Number.isInteger(value) && Number.isSafeInteger(value)) {
      if (value >= 0) {
        if (value <= 0x7f) return this.byte(value);
        if (value <= 0xff) return this.fixed(0xcc, 1, value);
        if (value <= 0xffff) return this.fixed(0xcd, 2, value);
        if (value <= 0xffffffff) return this.fixed(0xce, 4, value);
        return this.bigint(BigInt(value));
      }
      if (value >= -32) return this.byte(value + 0x100);
      if (value >= -0x80) return this.fixed(0xd0, 1, value);
      if (value >= -0x8000) return this.fixed(0xd1, 2, value);
      if (value >= -0x80000000) return this.fixed(0xd2, 4, value);
      return this.bigint(BigInt(value));
    }
    if (!Number.isFinite(value)) return this.byte(0xc0); // as JSON.stringify does
    const at = this.room(9);
    this.bytes[at] = 0xcb;
    this.view.setFloat64(at + 1, value);
  }

  private fixed(type: number, size: 1 | 2 | 4, value: number): void {
    const at = this.room(1 + size);
    this.bytes[at] = type;
    if (size === 1) this.view.setUint8(at + 1, value & 0xff);
    else if (size === 2) this.view.setUint16(at + 1, value & 0xffff);
    else this.view.setUint32(at + 1, value >>> 0);
  }

  private bigint(value: bigint): void {
    const at = this.room(9);
    if (value >= 0n) {
      if (value > 0xffffffffffffffffn) throw new CodecError("integer above the 64-bit range");
      this.bytes[at] = 0xcf;
      this.view.setBigUint64(at + 1, value);
    } else {
      if (value < -0x8000000000000000n) throw new CodecError("integer below the 64-bit range");
      this.bytes[at] = 0xd3;
      this.view.setBigInt64(at + 1, value);
    }
  }

  private text(value: string): void {
    let ascii = value.length <= 64;
    for (let index = 0; ascii && index < value.length; index++) ascii = value.charCodeAt(index) < 0x80;
    if (ascii) {
      this.head(0xa0, 32, 0xd9, value.length);
      const at = this.room(value.length);
      for (let index = 0; index < value.length; index++) this.bytes[at + index] = value.charCodeAt(index);
      return;
    }
    const encoded = utf8Encoder.encode(value);
    this.head(0xa0, 32, 0xd9, encoded.length);
    const at = this.room(encoded.length); // may replace the buffer: take the offset first
    this.bytes.set(encoded, at);
  }
}

function keep(value: unknown): boolean {
  return value !== undefined && typeof value !== "function";
}
