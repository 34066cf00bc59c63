/**
 * CRC-64 as Redis computes it for RDB files and DUMP payloads: the "Jones"
 * polynomial 0xad93d23594c935a9, reflected, initial value 0, no final XOR
 * (crc64("123456789") is 0xe9c6d914c4b8d9ca). The 64-bit state is kept as two
 * 32-bit halves so the table-driven loop stays in small-integer arithmetic.
 * @module
 */

/** The reflected polynomial, as the table is built from it. */
const REFLECTED_POLY = 0x95ac9329ac4bc9b5n;

const TABLE_LOW = new Uint32Array(256);
const TABLE_HIGH = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let crc = BigInt(i);
  for (let bit = 0; bit < 8; bit++) {
    crc = (crc & 1n) !== 0n ? (crc >> 1n) ^ REFLECTED_POLY : crc >> 1n;
  }
  TABLE_LOW[i] = Number(crc & 0xffffffffn);
  TABLE_HIGH[i] = Number(crc >> 32n);
}

/** A running CRC-64: feed bytes with {@linkcode update}, read with {@linkcode value}. */
export class Crc64 {
  private low = 0;
  private high = 0;

  /** Adds `bytes` to the checksum. */
  update(bytes: Uint8Array): void {
    let low = this.low;
    let high = this.high;
    for (let i = 0; i < bytes.length; i++) {
      const index = (low ^ bytes[i]) & 0xff;
      low = ((low >>> 8) | ((high & 0xff) << 24)) ^ TABLE_LOW[index];
      high = (high >>> 8) ^ TABLE_HIGH[index];
    }
    this.low = low >>> 0;
    this.high = high >>> 0;
  }

  /** Writes the checksum little-endian into `out` at `offset` (8 bytes), as Redis stores it. */
  writeLE(out: Uint8Array, offset: number): void {
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    view.setUint32(offset, this.low, true);
    view.setUint32(offset + 4, this.high, true);
  }

  /** The checksum as a bigint. */
  value(): bigint {
    return (BigInt(this.high) << 32n) | BigInt(this.low);
  }
}

/** The CRC-64 of `bytes`. */
export function crc64(bytes: Uint8Array): bigint {
  const crc = new Crc64();
  crc.update(bytes);
  return crc.value();
}
