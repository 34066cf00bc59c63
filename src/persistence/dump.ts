/**
 * DUMP payloads as Redis makes them: the RDB type byte and value, the RDB
 * version (2 bytes, little-endian) and the CRC-64 of all that (8 bytes,
 * little-endian). Payloads of redis-server 7.0 and older restore here, and
 * the reverse.
 * @module
 */

import { binaryToBytes } from "../protocol/binary.ts";
import type { RedisValue } from "../store/keyspace.ts";
import { Crc64 } from "./crc64.ts";
import { decodeValue, type EncodingLimits, RdbDecoder } from "./rdb_decoder.ts";
import { encodeValue, RdbEncoder, rdbTypeOf } from "./rdb_encoder.ts";
import { RDB_VERSION } from "./rdb_format.ts";

/** The DUMP payload of `value`; `compress` as rdbcompression says. */
export function dumpPayload(value: RedisValue, compress: boolean): Uint8Array {
  const enc = new RdbEncoder(compress);
  enc.byte(rdbTypeOf(value));
  encodeValue(enc, value);
  enc.byte(RDB_VERSION & 0xff);
  enc.byte(RDB_VERSION >> 8);
  const crc = new Crc64();
  crc.update(enc.result());
  const out = new Uint8Array(enc.length + 8);
  out.set(enc.result());
  crc.writeLE(out, enc.length);
  return out;
}

/** True when `payload` (a binary string) has a known version and a matching checksum (verifyDumpPayload). */
export function verifyPayload(payload: Uint8Array): boolean {
  if (payload.length < 10) return false;
  const footer = payload.length - 10;
  const version = payload[footer] | (payload[footer + 1] << 8);
  if (version > RDB_VERSION) return false;
  const crc = new Crc64();
  crc.update(payload.subarray(0, payload.length - 8));
  const expected = new Uint8Array(8);
  crc.writeLE(expected, 0);
  return expected.every((b, i) => b === payload[payload.length - 8 + i]);
}

/** The value in a verified payload, or null when it does not parse ("Bad data format"). */
export function restoreValue(
  payload: Uint8Array,
  limits: EncodingLimits,
): RedisValue | null {
  const dec = new RdbDecoder(payload.subarray(0, payload.length - 10));
  try {
    const value = decodeValue(dec, dec.byte(), limits);
    return dec.pos === payload.length - 10 ? value : null;
  } catch {
    return null;
  }
}

/** A payload given as a binary string, as bytes. */
export function payloadBytes(arg: string): Uint8Array {
  return binaryToBytes(arg);
}
