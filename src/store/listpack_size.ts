/**
 * Byte sizes of Redis 7.0 listpack elements. Streams split their entries
 * into nodes when a node's listpack reaches stream-node-max-bytes, and
 * approximate trimming removes whole nodes only, so where Redis starts a
 * new node is visible (XLEN after `MAXLEN ~`, XINFO STREAM radix-tree-keys).
 * redeno keeps the same node boundaries by counting the bytes a listpack
 * would take, without building one.
 * @module
 */

/** A listpack's header (total bytes and element count) plus its end byte. */
export const LISTPACK_OVERHEAD = 7;

const STRICT_INT64 = /^(0|-?[1-9][0-9]{0,18})$/;
const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;

/** Bytes of an integer's encoding and payload (lpEncodeIntegerGetType). */
function integerBodySize(v: number | bigint): number {
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648 && v <= 2147483647) return 5;
  return 9;
}

/** Bytes of the back-length that follows an element of `body` bytes. */
function backlenSize(body: number): number {
  if (body <= 127) return 1;
  if (body < 16383) return 2;
  if (body < 2097151) return 3;
  if (body < 268435455) return 4;
  return 5;
}

/** Bytes of an integer element. */
export function integerElementSize(v: number): number {
  const body = integerBodySize(v);
  return body + backlenSize(body);
}

/**
 * Bytes of a string element: strings that read as a 64-bit integer are
 * stored as integers, as lpAppend does.
 */
export function stringElementSize(s: string): number {
  let body: number;
  const first = s.charCodeAt(0);
  const numeric = first === 45 || (first >= 48 && first <= 57); // '-' or digit
  if (numeric && s.length <= 20 && STRICT_INT64.test(s)) {
    const n = s.length < 16 ? Number(s) : BigInt(s);
    if (typeof n === "number" || (n >= INT64_MIN && n <= INT64_MAX)) {
      body = integerBodySize(n);
      return body + backlenSize(body);
    }
  }
  const len = s.length;
  body = len <= 63 ? 1 + len : len <= 4095 ? 2 + len : 5 + len;
  return body + backlenSize(body);
}
