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

/**
 * Reads values from `bytes[at, end)`. Like the `Writer`, shaped for the interpreter: the common
 * small forms (fixints, short strings, small maps and arrays) are read without a helper call, and
 * the `DataView` is made only for the multi-byte forms.
 */
class Reader {
  private view: DataView | undefined;
  constructor(
    readonly bytes: Uint8Array,
    public at: number,
    readonly end: number,
  ) {}

  private dataView(): DataView {
    if (this.view === undefined) {
      const bytes = this.bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    return this.view;
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
      // An own data property even for "__proto__", so input can never change an object's prototype.
      if (name === "__proto__") {
        Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
      } else {
        object[name] = value;
      }
    }
    return object;
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new CodecError("value nested too deeply");
    const at = this.at;
    if (at >= this.end) throw new CodecError(`truncated value at offset ${at}`);
    const type = this.bytes[at];
    this.at = at + 1;
    if (type <= 0x7f) return type;
    if (type >= 0xe0) return type - 0x100;
    if (type >= 0xa0 && type <= 0xbf) return this.text(type & 0x1f);
    if (type >= 0x80 && type <= 0x8f) return this.map(type & 0x0f, depth);
    if (type >= 0x90 && type <= 0x9f) return this.array(type & 0x0f, depth);
    switch (type) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return this.binary(this.bytes[this.need(1)]);
      case 0xc5: return this.binary(this.dataView().getUint16(this.need(2)));
      case 0xc6: return this.binary(this.dataView().getUint32(this.need(4)));
      case 0xca: return this.dataView().getFloat32(this.need(4));
      case 0xcb: return this.dataView().getFloat64(this.need(8));
      case 0xcc: return this.bytes[this.need(1)];
      case 0xcd: return this.dataView().getUint16(this.need(2));
      case 0xce: return this.dataView().getUint32(this.need(4));
      case 0xcf: return narrow(this.dataView().getBigUint64(this.need(8)));
      case 0xd0: return this.dataView().getInt8(this.need(1));
      case 0xd1: return this.dataView().getInt16(this.need(2));
      case 0xd2: return this.dataView().getInt32(this.need(4));
      case 0xd3: return narrow(this.dataView().getBigInt64(this.need(8)));
      case 0xd9: return this.text(this.bytes[this.need(1)]);
      case 0xda: return this.text(this.dataView().getUint16(this.need(2)));
      case 0xdb: return this.text(this.dataView().getUint32(this.need(4)));
      case 0xdc: return this.array(this.dataView().getUint16(this.need(2)), depth);
      case 0xdd: return this.array(this.count(this.dataView().getUint32(this.need(4))), depth);
      case 0xde: return this.map(this.dataView().getUint16(this.need(2)), depth);
      case 0xdf: return this.map(this.count(this.dataView().getUint32(this.need(4))), depth);
      default: throw new CodecError(`unsupported type byte 0x${type.toString(16)} at offset ${at}`);
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

/**
 * UTF-8 text of `bytes[start, end)`, by the engine's decoder: inside a component one native call
 * costs less than a JavaScript loop over even a handful of bytes.
 */
export function readUtf8(bytes: Uint8Array, start: number, end: number): string {
  return start === end ? "" : utf8.decode(bytes.subarray(start, end));
}

/** Encodes `value` as one MessagePack value. */
export function encode(value: unknown): Uint8Array {
  return encodeWith((writer) => writer.value(value, 0));
}

/** Encodes the fields of `object` but `without` as one MessagePack map (see `Writer.fields`). */
export function encodeFields(object: Record<string, unknown>, without: string): Uint8Array {
  return encodeWith((writer) => writer.fields(object, without, 0));
}

function encodeWith(write: (writer: Writer) => unknown): Uint8Array {
  // A getter or a proxy in the value may run code that encodes too: that one gets a writer of its own.
  if (sharedBusy) {
    const writer = new Writer();
    write(writer);
    return writer.finish();
  }
  sharedBusy = true;
  try {
    shared.length = 0;
    write(shared);
    return shared.copy(); // the shared writer is reused by the next call
  } finally {
    sharedBusy = false;
  }
}

/**
 * Appends MessagePack values to one growing buffer (a client batch writes all its outputs here).
 *
 * Written for the JavaScript interpreter inside a component, where every function call and loop
 * iteration costs hundreds of instructions and native built-ins are cheap: few helper calls per
 * value, strings through `TextEncoder.encodeInto`, keys through `Object.keys`, the `DataView` made
 * only when a value needs one.
 */
export class Writer {
  private bytes = new Uint8Array(256);
  private view: DataView | undefined;
  length = 0;

  finish(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  /** The bytes written so far, copied out of the buffer. */
  copy(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  /** Makes room for `count` more bytes; the buffer may be replaced, so read `bytes` after this. */
  private reserve(count: number): void {
    const needed = this.length + count;
    if (needed <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = undefined;
  }

  private dataView(): DataView {
    if (this.view === undefined) this.view = new DataView(this.bytes.buffer);
    return this.view;
  }

  /** A type byte alone (nil, booleans, fixints). */
  private byte(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  /** The header of an array (`small` 0x90) or a map (`small` 0x80) of `count` items. */
  private collection(small: number, count: number): void {
    this.reserve(5);
    const at = this.length;
    if (count < 16) {
      this.bytes[at] = small | count;
      this.length = at + 1;
    } else if (count <= 0xffff) {
      this.bytes[at] = small === 0x90 ? 0xdc : 0xde;
      this.dataView().setUint16(at + 1, count);
      this.length = at + 3;
    } else {
      this.bytes[at] = small === 0x90 ? 0xdd : 0xdf;
      this.dataView().setUint32(at + 1, count);
      this.length = at + 5;
    }
  }

  value(value: unknown, depth: number): void {
    if (depth > MAX_DEPTH) throw new CodecError("value nested too deeply (or cyclic)");
    switch (typeof value) {
      case "string":
        return this.text(value);
      case "number":
        // Positive fixint, the most common number, without a call.
        if (value >= 0 && value <= 0x7f && (value | 0) === value) return this.byte(value);
        return this.number(value);
      case "boolean":
        return this.byte(value ? 0xc3 : 0xc2);
      case "undefined":
        return this.byte(0xc0);
      case "bigint":
        return this.bigint(value);
      case "object":
        if (value === null) return this.byte(0xc0);
        if (value instanceof Uint8Array) return this.binary(value);
        if (Array.isArray(value)) {
          this.collection(0x90, value.length);
          for (let index = 0; index < value.length; index++) this.value(value[index], depth + 1);
          return;
        }
        if (value instanceof Date) return this.text(value.toISOString());
        return this.object(value as Record<string, unknown>, depth);
      default:
        throw new CodecError(`a ${typeof value} cannot be sent`);
    }
  }

  private binary(value: Uint8Array): void {
    const length = value.length;
    this.reserve(5 + length);
    const bytes = this.bytes;
    let at = this.length;
    if (length <= 0xff) {
      bytes[at] = 0xc4;
      bytes[at + 1] = length;
      at += 2;
    } else if (length <= 0xffff) {
      bytes[at] = 0xc5;
      this.dataView().setUint16(at + 1, length);
      at += 3;
    } else {
      bytes[at] = 0xc6;
      this.dataView().setUint32(at + 1, length);
      at += 5;
    }
    bytes.set(value, at);
    this.length = at + length;
  }

  private object(object: Record<string, unknown>, depth: number): void {
    this.fields(object, undefined, depth);
  }

  /**
   * Writes `object` as a map, like JSON: its own enumerable properties, those whose value is
   * undefined or a function left out, and the property named `without` too (a handler's answer
   * is written without its `status` this way, with no copy of the object). Returns how many
   * fields it wrote.
   */
  fields(object: Record<string, unknown>, without: string | undefined, depth: number): number {
    if (depth > MAX_DEPTH) throw new CodecError("value nested too deeply (or cyclic)");
    const keys = Object.keys(object);
    let count = 0;
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index];
      const item = object[key];
      if (item !== undefined && typeof item !== "function" && key !== without) count++;
    }
    this.collection(0x80, count);
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index];
      const item = object[key];
      if (item === undefined || typeof item === "function" || key === without) continue;
      this.text(key);
      this.value(item, depth + 1);
    }
    return count;
  }

  private number(value: number): void {
    if (Number.isInteger(value) && Number.isSafeInteger(value)) {
      if (value >= 0) {
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
    this.reserve(9);
    const at = this.length;
    this.bytes[at] = 0xcb;
    this.dataView().setFloat64(at + 1, value);
    this.length = at + 9;
  }

  private fixed(type: number, size: 1 | 2 | 4, value: number): void {
    this.reserve(1 + size);
    const at = this.length;
    this.bytes[at] = type;
    if (size === 1) this.bytes[at + 1] = value & 0xff;
    else if (size === 2) this.dataView().setUint16(at + 1, value & 0xffff);
    else this.dataView().setUint32(at + 1, value >>> 0);
    this.length = at + 1 + size;
  }

  private bigint(value: bigint): void {
    this.reserve(9);
    const at = this.length;
    if (value >= 0n) {
      if (value > 0xffffffffffffffffn) throw new CodecError("integer above the 64-bit range");
      this.bytes[at] = 0xcf;
      this.dataView().setBigUint64(at + 1, value);
    } else {
      if (value < -0x8000000000000000n) throw new CodecError("integer below the 64-bit range");
      this.bytes[at] = 0xd3;
      this.dataView().setBigInt64(at + 1, value);
    }
    this.length = at + 9;
  }

  /**
   * A string, UTF-8 encoded by the engine straight into the buffer behind a header sized for the
   * longest it could be (3 bytes per UTF-16 unit), then moved back when a smaller header fits, so
   * the output always has the shortest header, as the host's encoder writes it.
   */
  private text(value: string): void {
    const most = value.length * 3;
    const room = most < 32 ? 1 : most <= 0xff ? 2 : most <= 0xffff ? 3 : 5;
    this.reserve(room + most);
    const bytes = this.bytes;
    const at = this.length;
    const written = most === 0 ? 0 : utf8Encoder.encodeInto(value, bytes.subarray(at + room)).written;
    const header = written < 32 ? 1 : written <= 0xff ? 2 : written <= 0xffff ? 3 : 5;
    if (header !== room) bytes.copyWithin(at + header, at + room, at + room + written);
    if (header === 1) bytes[at] = 0xa0 | written;
    else if (header === 2) {
      bytes[at] = 0xd9;
      bytes[at + 1] = written;
    } else if (header === 3) {
      bytes[at] = 0xda;
      this.dataView().setUint16(at + 1, written);
    } else {
      bytes[at] = 0xdb;
      this.dataView().setUint32(at + 1, written);
    }
    this.length = at + header + written;
  }
}

/** The writer behind `encode`, reused from call to call (a new one costs as much as a small value). */
const shared = new Writer();
let sharedBusy = false;

