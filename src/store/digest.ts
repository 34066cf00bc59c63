/**
 * DEBUG DIGEST and DEBUG DIGEST-VALUE, computed as Redis computes them so the
 * same data gives the same hex digest in redeno and in redis-server (tests
 * compare replicas and reloaded files with it).
 *
 * Redis builds every digest from two SHA-1 based steps on a 20-byte
 * accumulator: *xor* (XOR in SHA1(data): order does not matter, used for
 * unordered things) and *mix* (xor, then replace the accumulator by its own
 * SHA-1: order matters). A key's digest starts at zero, mixes the key name,
 * the type code (4 bytes, big-endian) and the value, then xors in the marker
 * `!!expire!!` when the key has a TTL (the time itself is not part of it).
 * The dataset digest, per non-empty database, mixes the database number and
 * xors in each key's digest. Keys that are logically expired but not yet
 * removed count, as they do in Redis.
 *
 * SHA-1 is implemented here because crypto.subtle is asynchronous and
 * command handlers are not.
 * @module
 */

import { binaryToBytes } from "../protocol/binary.ts";
import { formatDouble } from "../util/numbers.ts";
import type { HashValue } from "./hash.ts";
import type { Database, RedisValue } from "./keyspace.ts";
import type { ListValue } from "./list.ts";
import type { RedisSet } from "./set.ts";
import type { StreamValue } from "./stream.ts";
import { formatMs, formatSeq, MAX_ID, MIN_ID } from "./stream_id.ts";
import type { SortedSet } from "./zset.ts";

/** Length of a digest in bytes. */
export const DIGEST_LENGTH = 20;

const schedule = new Int32Array(80);
const block = new Uint8Array(128);

/** Runs the SHA-1 compression function over 64 bytes of `data` at `offset`. */
function compress(state: Int32Array, data: Uint8Array, offset: number): void {
  const w = schedule;
  for (let i = 0; i < 16; i++) {
    const p = offset + i * 4;
    w[i] = (data[p] << 24) | (data[p + 1] << 16) | (data[p + 2] << 8) |
      data[p + 3];
  }
  for (let i = 16; i < 80; i++) {
    const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
    w[i] = (x << 1) | (x >>> 31);
  }
  let a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
  for (let i = 0; i < 80; i++) {
    let f: number, k: number;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6;
    }
    const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
}

/** SHA-1 of `data`, written into `out` (20 bytes, a new array by default). */
export function sha1(
  data: Uint8Array,
  out: Uint8Array = new Uint8Array(DIGEST_LENGTH),
): Uint8Array {
  const state = Int32Array.of(
    0x67452301,
    0xefcdab89,
    0x98badcfe,
    0x10325476,
    0xc3d2e1f0,
  );
  const whole = data.length - (data.length % 64);
  for (let p = 0; p < whole; p += 64) compress(state, data, p);
  // The tail, the 0x80 terminator and the bit length fill one or two blocks.
  const rest = data.length - whole;
  block.fill(0);
  block.set(data.subarray(whole), 0);
  block[rest] = 0x80;
  const end = rest < 56 ? 64 : 128;
  const bits = data.length * 8;
  const high = Math.floor(bits / 0x100000000);
  const low = bits >>> 0;
  const view = new DataView(block.buffer);
  view.setUint32(end - 8, high);
  view.setUint32(end - 4, low);
  compress(state, block, 0);
  if (end === 128) compress(state, block, 64);
  for (let i = 0; i < 5; i++) {
    const v = state[i];
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = (v >>> 16) & 0xff;
    out[i * 4 + 2] = (v >>> 8) & 0xff;
    out[i * 4 + 3] = v & 0xff;
  }
  return out;
}

const scratch = new Uint8Array(DIGEST_LENGTH);

/** XORs SHA1(data) into `digest`: the order of such steps does not matter. */
export function xorDigest(digest: Uint8Array, data: Uint8Array): void {
  sha1(data, scratch);
  for (let i = 0; i < DIGEST_LENGTH; i++) digest[i] ^= scratch[i];
}

/** XORs SHA1(data) into `digest`, then replaces `digest` by its own SHA-1. */
export function mixDigest(digest: Uint8Array, data: Uint8Array): void {
  xorDigest(digest, data);
  // sha1 reads all its input before writing its output, so in place is safe.
  sha1(digest, digest);
}

/** Redis's numeric type codes (OBJ_STRING ...), as the digest mixes them. */
const TYPE_CODES = {
  string: 0,
  list: 1,
  set: 2,
  zset: 3,
  hash: 4,
  stream: 6,
} as const;

/** The type code as 4 big-endian bytes. */
function typeCodeBytes(code: number): Uint8Array {
  return Uint8Array.of(0, 0, 0, code);
}

const EXPIRE_MARKER = binaryToBytes("!!expire!!");

/**
 * Adds a value's own part to `digest`. Each type adds its case as it lands;
 * how Redis 7.0 digests them:
 * - list: each element, head to tail, mixed in.
 * - set: each member xored in.
 * - hash: per field a fresh digest mixing the field then its value, xored in.
 * - zset: per member a fresh digest mixing the member then its score printed
 *   as `%.17g`, xored in.
 * - stream: per entry, in ID order, the ID written `<ms>.<seq>` mixed in,
 *   then each field and value mixed in (consumer groups take no part).
 */
function addValuePart(digest: Uint8Array, value: RedisValue): void {
  if (typeof value === "string") return mixDigest(digest, binaryToBytes(value));
  switch (value.type) {
    case "string":
      return mixDigest(digest, value.view());
    case "list":
      for (const element of (value as ListValue).values()) {
        mixDigest(digest, binaryToBytes(element));
      }
      return;
    case "set":
      for (const member of (value as RedisSet).members()) {
        xorDigest(digest, binaryToBytes(member));
      }
      return;
    case "zset":
      for (const node of value as SortedSet) {
        const element = new Uint8Array(DIGEST_LENGTH);
        mixDigest(element, binaryToBytes(node.member));
        mixDigest(element, binaryToBytes(formatDouble(node.score)));
        xorDigest(digest, element);
      }
      return;
    case "hash":
      for (const [field, fieldValue] of (value as HashValue).entries()) {
        const element = new Uint8Array(DIGEST_LENGTH);
        mixDigest(element, binaryToBytes(field));
        mixDigest(element, binaryToBytes(fieldValue));
        xorDigest(digest, element);
      }
      return;
    case "stream":
      (value as StreamValue).scan(MIN_ID, MAX_ID, false, (id, fields) => {
        mixDigest(digest, binaryToBytes(`${formatMs(id)}.${formatSeq(id)}`));
        for (const s of fields) mixDigest(digest, binaryToBytes(s));
        return true;
      });
      return;
  }
}

/** Type code of a value, as Redis numbers its types. */
function typeCode(value: RedisValue): number {
  return TYPE_CODES[typeof value === "string" ? "string" : value.type];
}

/**
 * XORs the digest of `value` (type, contents, TTL marker) into `digest`,
 * as DEBUG DIGEST-VALUE reports it for one key (starting from zero).
 */
export function addObjectDigest(
  digest: Uint8Array,
  db: Database,
  key: string,
  value: RedisValue,
): void {
  mixDigest(digest, typeCodeBytes(typeCode(value)));
  addValuePart(digest, value);
  if (db.getExpire(key) !== -1) xorDigest(digest, EXPIRE_MARKER);
}

/** DEBUG DIGEST-VALUE for one key: zeros when the key does not exist. */
export function keyValueDigest(db: Database, key: string): Uint8Array {
  const digest = new Uint8Array(DIGEST_LENGTH);
  const value = db.data.get(key);
  if (value !== undefined) addObjectDigest(digest, db, key, value);
  return digest;
}

/** DEBUG DIGEST: the digest of every key in every database; zeros when empty. */
export function datasetDigest(dbs: readonly Database[]): Uint8Array {
  const final = new Uint8Array(DIGEST_LENGTH);
  const keyDigest = new Uint8Array(DIGEST_LENGTH);
  for (const db of dbs) {
    if (db.data.size === 0) continue;
    mixDigest(
      final,
      Uint8Array.of(db.id >>> 24, db.id >>> 16, db.id >>> 8, db.id),
    );
    for (const [key, value] of db.data) {
      keyDigest.fill(0);
      mixDigest(keyDigest, binaryToBytes(key));
      addObjectDigest(keyDigest, db, key, value);
      xorDigest(final, keyDigest);
    }
  }
  return final;
}

/** A digest as 40 lower-case hex characters, as DEBUG prints it. */
export function digestHex(digest: Uint8Array): string {
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
