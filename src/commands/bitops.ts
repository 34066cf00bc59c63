/**
 * Bitmap commands (Redis's bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS,
 * BITOP, BITFIELD and BITFIELD_RO, with Redis 7.0's argument order, error
 * texts and quirks (BITCOUNT and BITPOS answer for a missing key before
 * looking at the range arguments).
 * @module
 */

import type { Client } from "../client.ts";
import { Notify } from "../config.ts";
import { binaryToBytes } from "../protocol/binary.ts";
import {
  bitfieldResult,
  type BitfieldType,
  bitop,
  type BitOperation,
  countBits,
  findBit,
  getBitfield,
  type OverflowMode,
  parseBitfieldType,
  resolveRange,
  setBit,
  setBitfield,
} from "../store/bits.ts";
import { isString } from "../store/keyspace.ts";
import { mutableOf, MutableString, type StringValue } from "../store/string.ts";
import { parseInt64, parseInteger } from "../util/numbers.ts";
import { type CommandSpec, type KeyReference, keysAt } from "./table.ts";
import {
  Errors,
  isKeyword,
  keyChanged,
  lookupRead,
  lookupWrite,
} from "./util.ts";

const BIT_OFFSET_ERROR = "ERR bit offset is not an integer or out of range";
const BIT_VALUE_ERROR = "ERR bit is not an integer or out of range";
const BITFIELD_TYPE_ERROR =
  "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/**
 * Bytes [start, end) of a string value, clamped to its length: a view of a
 * MutableString, a copy of just that slice of a plain string.
 */
function bytesIn(value: StringValue, start: number, end: number): Uint8Array {
  end = Math.min(end, value.length);
  if (start >= end) return new Uint8Array(0);
  return typeof value === "string"
    ? binaryToBytes(value.slice(start, end))
    : value.bytes.subarray(start, end);
}

/**
 * Parses a bit offset as Redis does: a non-negative 64-bit integer whose
 * byte lies below `proto-max-bulk-len`. With `bits` > 0 (BITFIELD), `#n`
 * means n * bits, multiplied with 64-bit wraparound as in C. Replies with
 * the error and returns null when invalid.
 */
function bitOffsetArg(client: Client, arg: string, bits = 0): number | null {
  const hash = bits > 0 && arg[0] === "#";
  let n = parseInt64(hash ? arg.slice(1) : arg);
  if (n !== null && hash) n = BigInt.asIntN(64, n * BigInt(bits));
  const limit = BigInt(client.server.requestLimits.protoMaxBulkLen);
  if (n === null || n < 0n || n >> 3n >= limit) {
    client.out.error(BIT_OFFSET_ERROR);
    return null;
  }
  return Number(n);
}

/** Parses a 64-bit integer argument; replies with the error when invalid. */
function int64Arg(client: Client, arg: string): bigint | null {
  const n = parseInt64(arg);
  if (n === null) client.out.error(Errors.notInteger);
  return n;
}

/** A string value made writable and long enough for a bit command. */
interface WritableBits {
  value: MutableString;
  /** True when the key was created or padded (a change in itself). */
  grown: boolean;
}

/**
 * Looks `key` up for writing, creating it or padding it with zero bytes so
 * bit `lastBit` exists, and stores it back as a MutableString (the TTL
 * stays). Replies WRONGTYPE and returns null for a non-string.
 */
function writableBits(
  client: Client,
  key: string,
  lastBit: number,
): WritableBits | null {
  const found = lookupWrite(client, key);
  if (found !== undefined && !isString(found)) {
    client.out.error(Errors.wrongType);
    return null;
  }
  const value = found === undefined ? new MutableString() : mutableOf(found);
  const before = found === undefined ? -1 : value.length;
  value.ensureLength(Math.floor(lastBit / 8) + 1);
  client.db.overwrite(key, value);
  return { value, grown: value.length !== before };
}

/** Looks `key` up for reading; replies WRONGTYPE (returning false) for a non-string. */
function readString(
  client: Client,
  key: string,
): StringValue | undefined | false {
  const value = lookupRead(client, key);
  if (value !== undefined && !isString(value)) {
    client.out.error(Errors.wrongType);
    return false;
  }
  return value;
}

function setbit(client: Client, argv: string[]): void {
  const offset = bitOffsetArg(client, argv[2]);
  if (offset === null) return;
  const on = parseInteger(argv[3]);
  if (on !== 0 && on !== 1) return client.out.error(BIT_VALUE_ERROR);
  const target = writableBits(client, argv[1], offset);
  if (!target) return;
  const old = setBit(target.value.view(), offset, on);
  if (target.grown || old !== on) {
    keyChanged(client, Notify.string, "setbit", argv[1]);
    client.server.dirty++;
  }
  client.out.integer(old);
}

function getbit(client: Client, argv: string[]): void {
  const offset = bitOffsetArg(client, argv[2]);
  if (offset === null) return;
  const value = readString(client, argv[1]);
  if (value === false) return;
  if (value === undefined) return client.out.integer(0);
  const byteIndex = Math.floor(offset / 8);
  const byte = byteIndex >= value.length
    ? 0
    : typeof value === "string"
    ? value.charCodeAt(byteIndex)
    : value.bytes[byteIndex];
  client.out.integer((byte >> (7 - offset % 8)) & 1);
}

/** Parses a BIT|BYTE unit argument: true for BIT, null after a syntax error. */
function bitUnitArg(client: Client, arg: string): boolean | null {
  if (isKeyword(arg, "bit")) return true;
  if (isKeyword(arg, "byte")) return false;
  client.out.error(Errors.syntax);
  return null;
}

function bitcount(client: Client, argv: string[]): void {
  // Redis 7.0 looks the key up before parsing the range.
  const value = readString(client, argv[1]);
  if (value === false) return;
  if (value === undefined) return client.out.integer(0);
  let first = 0;
  let last = value.length * 8 - 1;
  if (argv.length === 4 || argv.length === 5) {
    const start = int64Arg(client, argv[2]);
    if (start === null) return;
    const end = int64Arg(client, argv[3]);
    if (end === null) return;
    if (start < 0n && end < 0n && start > end) return client.out.integer(0);
    const isBit = argv.length === 5 ? bitUnitArg(client, argv[4]) : false;
    if (isBit === null) return;
    const total = isBit ? value.length * 8 : value.length;
    const range = resolveRange(start, end, total);
    if (range.start > range.end) return client.out.integer(0);
    first = isBit ? range.start : range.start * 8;
    last = isBit ? range.end : range.end * 8 + 7;
  } else if (argv.length !== 2) {
    return client.out.error(Errors.syntax);
  }
  const base = Math.floor(first / 8);
  const bytes = bytesIn(value, base, Math.floor(last / 8) + 1);
  client.out.integer(countBits(bytes, first - base * 8, last - base * 8));
}

function bitpos(client: Client, argv: string[]): void {
  const bit = parseInteger(argv[2]);
  if (bit === null) return client.out.error(Errors.notInteger);
  if (bit !== 0 && bit !== 1) {
    return client.out.error("ERR The bit argument must be 1 or 0.");
  }
  const value = readString(client, argv[1]);
  if (value === false) return;
  // A missing key is an endless run of zeros, whatever the range says.
  if (value === undefined) return client.out.integer(bit ? -1 : 0);
  let first = 0;
  let last = value.length * 8 - 1;
  const endGiven = argv.length >= 5;
  if (argv.length >= 4 && argv.length <= 6) {
    const start = int64Arg(client, argv[3]);
    if (start === null) return;
    const isBit = argv.length === 6 ? bitUnitArg(client, argv[5]) : false;
    if (isBit === null) return;
    const end = endGiven ? int64Arg(client, argv[4]) : -1n;
    if (end === null) return;
    const total = isBit ? value.length * 8 : value.length;
    const range = resolveRange(start, end, total);
    if (range.start > range.end) return client.out.integer(-1);
    first = isBit ? range.start : range.start * 8;
    last = isBit ? range.end : range.end * 8 + 7;
  } else if (argv.length !== 3) {
    return client.out.error(Errors.syntax);
  }
  if (first > last) return client.out.integer(-1);
  const base = Math.floor(first / 8);
  const bytes = bytesIn(value, base, Math.floor(last / 8) + 1);
  const found = findBit(bytes, bit, first - base * 8, last - base * 8);
  if (found !== -1) return client.out.integer(found + base * 8);
  // Without an explicit end, the string counts as padded with zero bits.
  client.out.integer(bit === 0 && !endGiven ? last + 1 : -1);
}

const BITOP_NAMES: readonly BitOperation[] = ["and", "or", "xor", "not"];

function bitopCommand(client: Client, argv: string[]): void {
  const op = BITOP_NAMES.find((name) => isKeyword(argv[1], name));
  if (op === undefined) return client.out.error(Errors.syntax);
  if (op === "not" && argv.length !== 4) {
    return client.out.error(
      "ERR BITOP NOT must be called with a single source key.",
    );
  }
  const sources: Uint8Array[] = [];
  for (let i = 3; i < argv.length; i++) {
    const value = readString(client, argv[i]);
    if (value === false) return;
    sources.push(
      value === undefined
        ? new Uint8Array(0)
        : typeof value === "string"
        ? binaryToBytes(value)
        : value.view(),
    );
  }
  const result = bitop(op, sources);
  const dest = argv[2];
  if (result.length > 0) {
    // Adopt the result buffer rather than copying it; like Redis's BITOP
    // result it is a raw (in-place editable) string.
    const stored = new MutableString();
    stored.bytes = result;
    stored.length = result.length;
    client.db.set(dest, stored);
    keyChanged(client, Notify.string, "set", dest);
    client.server.dirty++;
  } else if (client.db.delete(dest)) {
    keyChanged(client, Notify.generic, "del", dest);
    client.server.dirty++;
  }
  client.out.integer(result.length);
}

/** One parsed BITFIELD operation. */
interface BitfieldOp {
  kind: "get" | "set" | "incrby";
  type: BitfieldType;
  offset: number;
  /** SET's value or INCRBY's increment. */
  value: bigint;
  overflow: OverflowMode;
}

/** Parses BITFIELD's operations; null after replying with an error. */
function parseBitfieldOps(client: Client, argv: string[]): BitfieldOp[] | null {
  const ops: BitfieldOp[] = [];
  let overflow: OverflowMode = "wrap";
  for (let j = 2; j < argv.length; j++) {
    const remaining = argv.length - j - 1;
    const name = argv[j].toLowerCase();
    if (name === "overflow" && remaining >= 1) {
      const mode = argv[++j].toLowerCase();
      if (mode !== "wrap" && mode !== "sat" && mode !== "fail") {
        client.out.error("ERR Invalid OVERFLOW type specified");
        return null;
      }
      overflow = mode;
      continue;
    }
    const isGet = name === "get" && remaining >= 2;
    if (!isGet && !((name === "set" || name === "incrby") && remaining >= 3)) {
      client.out.error(Errors.syntax);
      return null;
    }
    const type = parseBitfieldType(argv[j + 1]);
    if (!type) {
      client.out.error(BITFIELD_TYPE_ERROR);
      return null;
    }
    const offset = bitOffsetArg(client, argv[j + 2], type.bits);
    if (offset === null) return null;
    let value = 0n;
    if (!isGet) {
      const n = int64Arg(client, argv[j + 3]);
      if (n === null) return null;
      value = n;
    }
    ops.push({
      kind: name as BitfieldOp["kind"],
      type,
      offset,
      value,
      overflow,
    });
    j += isGet ? 2 : 3;
  }
  return ops;
}

/** Runs BITFIELD's GETs on a value that is only read (or missing). */
function bitfieldReadOnly(
  client: Client,
  key: string,
  ops: BitfieldOp[],
): void {
  const value = readString(client, key);
  if (value === false) return;
  client.out.array(ops.length);
  for (const op of ops) {
    const base = Math.floor(op.offset / 8);
    const bytes = value === undefined
      ? new Uint8Array(0)
      : bytesIn(value, base, base + 9);
    client.out.integer(getBitfield(bytes, op.offset - base * 8, op.type));
  }
}

function bitfieldGeneric(client: Client, argv: string[], readOnly: boolean) {
  const ops = parseBitfieldOps(client, argv);
  if (!ops) return;
  let lastWriteBit = -1;
  for (const op of ops) {
    if (op.kind !== "get") {
      lastWriteBit = Math.max(lastWriteBit, op.offset + op.type.bits - 1);
    }
  }
  if (lastWriteBit === -1) return bitfieldReadOnly(client, argv[1], ops);
  if (readOnly) {
    return client.out.error("ERR BITFIELD_RO only supports the GET subcommand");
  }
  // Like Redis, the key is created and padded even if every write FAILs.
  const target = writableBits(client, argv[1], lastWriteBit);
  if (!target) return;
  const bytes = target.value.view();
  let changes = 0;
  client.out.array(ops.length);
  for (const op of ops) {
    const old = getBitfield(bytes, op.offset, op.type);
    if (op.kind === "get") {
      client.out.integer(old);
      continue;
    }
    // An unsigned SET of a negative number stores its 64-bit pattern.
    const next = op.kind === "incrby"
      ? bitfieldResult(old, op.value, op.type, op.overflow)
      : bitfieldResult(
        op.type.signed ? op.value : BigInt.asUintN(64, op.value),
        0n,
        op.type,
        op.overflow,
      );
    if (next === null) {
      client.out.null();
      continue;
    }
    client.out.integer(op.kind === "incrby" ? next : old);
    setBitfield(bytes, op.offset, op.type, next);
    if (target.grown || next !== old) changes++;
  }
  if (changes !== 0) {
    keyChanged(client, Notify.string, "setbit", argv[1]);
    client.server.dirty += changes;
  }
}

function bitfield(client: Client, argv: string[]): void {
  bitfieldGeneric(client, argv, false);
}

function bitfieldRo(client: Client, argv: string[]): void {
  bitfieldGeneric(client, argv, true);
}

/**
 * BITFIELD's key flags (Redis's bitfieldGetKeys): read-only while the
 * operations are all GET or OVERFLOW; a SET, INCRBY or anything unparsable
 * makes it read-write.
 */
function bitfieldKeys(argv: string[]): KeyReference[] {
  let readonly = true;
  for (let i = 2; i < argv.length; i++) {
    const remaining = argv.length - i - 1;
    if (isKeyword(argv[i], "get") && remaining >= 2) i += 2;
    else if (isKeyword(argv[i], "overflow") && remaining >= 1) i += 1;
    else {
      readonly = false;
      break;
    }
  }
  return [{
    pos: 1,
    flags: readonly ? ["RO", "access"] : ["RW", "access", "update"],
  }];
}

/** Bitmap commands for the command table. */
export const bitopsCommands: CommandSpec[] = [
  {
    name: "setbit",
    arity: 4,
    flags: ["write", "denyoom"],
    acl: ["bitmap"],
    keySpecs: [keysAt(1, ["RW", "access", "update"])],
    summary:
      "Sets or clears one bit of a string value, growing it as needed; returns the bit's old value.",
    complexity: "O(1)",
    since: "2.2.0",
    group: "bitmap",
    handler: setbit,
  },
  {
    name: "getbit",
    arity: 3,
    flags: ["readonly", "fast"],
    acl: ["bitmap"],
    keySpecs: [keysAt(1, ["RO", "access"])],
    summary: "Returns one bit of a string value (0 past its end).",
    complexity: "O(1)",
    since: "2.2.0",
    group: "bitmap",
    handler: getbit,
  },
  {
    name: "bitcount",
    arity: -2,
    flags: ["readonly"],
    acl: ["bitmap"],
    keySpecs: [keysAt(1, ["RO", "access"])],
    summary:
      "Counts the set bits of a string value, optionally within a byte or bit range.",
    complexity: "O(N)",
    since: "2.6.0",
    group: "bitmap",
    handler: bitcount,
  },
  {
    name: "bitpos",
    arity: -3,
    flags: ["readonly"],
    acl: ["bitmap"],
    keySpecs: [keysAt(1, ["RO", "access"])],
    summary:
      "Finds the first set or clear bit of a string value, optionally within a byte or bit range.",
    complexity: "O(N)",
    since: "2.8.7",
    group: "bitmap",
    handler: bitpos,
  },
  {
    name: "bitop",
    arity: -4,
    flags: ["write", "denyoom"],
    acl: ["bitmap"],
    keySpecs: [
      keysAt(2, ["OW", "update"]),
      keysAt(3, ["RO", "access"], { lastkey: -1 }),
    ],
    summary:
      "Stores the bitwise AND, OR, XOR or NOT of string values in a key.",
    complexity: "O(N)",
    since: "2.6.0",
    group: "bitmap",
    handler: bitopCommand,
  },
  {
    name: "bitfield",
    arity: -2,
    flags: ["write", "denyoom"],
    acl: ["bitmap"],
    keySpecs: [
      keysAt(1, ["RW", "access", "update", "variable_flags"], {
        notes: "This command allows both access and modification of the key",
      }),
    ],
    summary:
      "Reads, writes and increments integers of any width up to 64 bits at any bit offset of a string value.",
    complexity: "O(1) for each operation",
    since: "3.2.0",
    group: "bitmap",
    handler: bitfield,
    getKeys: bitfieldKeys,
  },
  {
    name: "bitfield_ro",
    arity: -2,
    flags: ["readonly", "fast"],
    acl: ["bitmap"],
    keySpecs: [keysAt(1, ["RO", "access"])],
    summary:
      "Reads integers at bit offsets of a string value (BITFIELD's GET only).",
    complexity: "O(1) for each operation",
    since: "6.0.0",
    group: "bitmap",
    handler: bitfieldRo,
  },
];
