/**
 * String values. A string that was only ever SET stays a plain binary string
 * (compact, Redis's int/embstr encodings); a string changed in place (APPEND,
 * SETRANGE, SETBIT, BITFIELD) becomes a {@linkcode MutableString}, a growable
 * byte buffer, so each change costs O(change) rather than a copy of the whole
 * value. That is also when Redis switches a string to its raw encoding.
 * @module
 */

import { binaryToBytes, bytesToBinary } from "../protocol/binary.ts";

/** A string value edited in place. */
export class MutableString {
  readonly type = "string";
  /**
   * The encoding Redis would report: raw once edited in place, embstr for a
   * short value Redis stores without its integer conversion (INCRBYFLOAT).
   */
  encoding: "raw" | "embstr" = "raw";
  /** Backing store; bytes past `length` are spare capacity. */
  bytes: Uint8Array;
  length: number;

  constructor(initial: string | Uint8Array = "") {
    const bytes = typeof initial === "string"
      ? binaryToBytes(initial)
      : initial.slice();
    this.bytes = bytes;
    this.length = bytes.length;
  }

  /** The value's bytes (a view, valid until the next change). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  /** The value as a binary string. */
  toBinary(): string {
    return bytesToBinary(this.bytes, 0, this.length);
  }

  /**
   * Makes the value at least `length` bytes long, padding with zero bytes as
   * SETRANGE and SETBIT do; grows the buffer geometrically.
   */
  ensureLength(length: number): void {
    if (length <= this.length) return;
    if (length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(length, this.bytes.length * 2, 16));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    } else {
      this.bytes.fill(0, this.length, length);
    }
    this.length = length;
  }

  /** Appends a binary string (APPEND). */
  append(s: string): void {
    const start = this.length;
    this.ensureLength(start + s.length);
    const bytes = this.bytes;
    for (let i = 0; i < s.length; i++) bytes[start + i] = s.charCodeAt(i);
  }

  /** Overwrites bytes from `offset`, growing as needed (SETRANGE). */
  write(offset: number, s: string): void {
    this.ensureLength(offset + s.length);
    const bytes = this.bytes;
    for (let i = 0; i < s.length; i++) bytes[offset + i] = s.charCodeAt(i);
  }
}

/** A string value in either representation. */
export type StringValue = string | MutableString;

/** The value as a binary string. */
export function stringOf(value: StringValue): string {
  return typeof value === "string" ? value : value.toBinary();
}

/** The value's length in bytes (STRLEN). */
export function stringLength(value: StringValue): number {
  return value.length;
}

/**
 * A mutable form of the value for an in-place edit: itself if already
 * mutable, else a copy. Either way it is now raw-encoded, as Redis makes a
 * string it edits in place.
 */
export function mutableOf(value: StringValue): MutableString {
  if (typeof value === "string") return new MutableString(value);
  value.encoding = "raw";
  return value;
}

/** Longest string Redis stores as embstr. */
export const EMBSTR_MAX = 44;

/**
 * A value Redis stores as a plain string object, without converting an
 * integer-looking one to its int encoding (INCRBYFLOAT's result): such a value
 * reports embstr. Others are kept as ordinary binary strings.
 */
export function unconvertedString(text: string): StringValue {
  if (text.length > EMBSTR_MAX || !/^-?\d+$/.test(text)) return text;
  const value = new MutableString(text);
  value.encoding = "embstr";
  return value;
}
