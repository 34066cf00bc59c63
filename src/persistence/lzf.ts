/**
 * LZF, the compression Redis applies to long strings in RDB files
 * (`rdbcompression`). The format: a control byte below 32 starts a run of
 * ctrl+1 literal bytes; otherwise its top 3 bits hold a match length minus 2
 * (7 means a length byte follows) and its low 5 bits with the next byte an
 * offset back into the output minus 1. The compressor finds matches through a
 * hash of each 3-byte sequence, as liblzf does; its output may differ from
 * liblzf's byte for byte, but any LZF decoder reads it.
 * @module
 */

const HASH_BITS = 14;
/** Farthest a match may reach back (LZF_MAX_OFF). */
const MAX_OFFSET = 1 << 13;
/** Longest match: 2 + 7 + 255 bytes. */
const MAX_MATCH = 264;
/** Longest literal run one control byte covers. */
const MAX_LITERAL = 32;

const table = new Int32Array(1 << HASH_BITS);

function hash3(input: Uint8Array, at: number): number {
  const v = (input[at] << 16) | (input[at + 1] << 8) | input[at + 2];
  return (Math.imul(v, 0x9e3779b1) >>> (32 - HASH_BITS));
}

/**
 * Compresses `input`; returns null when the result would be longer than
 * `limit` bytes (Redis stores the string uncompressed then).
 */
export function lzfCompress(
  input: Uint8Array,
  limit: number,
): Uint8Array | null {
  const n = input.length;
  if (n < 4 || limit <= 0) return null;
  table.fill(0);
  const out = new Uint8Array(limit + MAX_LITERAL + 4);
  let op = 1;
  let literalStart = 0;
  let literals = 0;
  let ip = 0;
  while (ip < n) {
    if (op > limit) return null;
    if (ip < n - 2) {
      const h = hash3(input, ip);
      const ref = table[h] - 1;
      table[h] = ip + 1;
      const offset = ip - ref - 1;
      if (
        ref >= 0 && offset < MAX_OFFSET && input[ref] === input[ip] &&
        input[ref + 1] === input[ip + 1] && input[ref + 2] === input[ip + 2]
      ) {
        const longest = Math.min(MAX_MATCH, n - ip);
        let length = 3;
        while (length < longest && input[ref + length] === input[ip + length]) {
          length++;
        }
        if (literals > 0) out[literalStart] = literals - 1;
        else op--; // the reserved control byte is not needed
        const code = length - 2;
        if (code < 7) {
          out[op++] = (offset >> 8) + (code << 5);
        } else {
          out[op++] = (offset >> 8) + (7 << 5);
          out[op++] = code - 7;
        }
        out[op++] = offset & 0xff;
        literalStart = op++;
        literals = 0;
        ip += length;
        continue;
      }
    }
    out[op++] = input[ip++];
    if (++literals === MAX_LITERAL) {
      out[literalStart] = MAX_LITERAL - 1;
      literalStart = op++;
      literals = 0;
    }
  }
  if (literals > 0) out[literalStart] = literals - 1;
  else op--;
  return op > limit ? null : out.slice(0, op);
}

/**
 * Decompresses `input` into exactly `length` bytes; throws on data that is
 * not valid LZF or does not produce `length` bytes.
 */
export function lzfDecompress(input: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const ctrl = input[ip++];
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (op + run > length || ip + run > input.length) {
        throw new Error("invalid LZF data");
      }
      out.set(input.subarray(ip, ip + run), op);
      ip += run;
      op += run;
      continue;
    }
    let run = ctrl >> 5;
    if (run === 7) run += input[ip++];
    run += 2;
    const ref = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++];
    if (ip > input.length || ref < 0 || op + run > length) {
      throw new Error("invalid LZF data");
    }
    for (let i = 0; i < run; i++) out[op + i] = out[ref + i];
    op += run;
  }
  if (op !== length) throw new Error("invalid LZF data");
  return out;
}
