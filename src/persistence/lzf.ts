/**
 * LZF, the compression Redis applies to long strings in RDB files
 * (`rdbcompression`). The format: a control byte below 32 starts a run of
 * ctrl+1 literal bytes; otherwise its top 3 bits hold a match length minus 2
 * (7 means a length byte follows) and its low 5 bits with the next byte an
 * offset back into the output minus 1.
 *
 * The compressor makes the same choices as liblzf 3.6 built the way Redis
 * builds it (a 16-bit hash of each 3-byte window that carries the bytes
 * before it, both positions after a match re-hashed, the first input byte
 * never a match source, and the same output-budget checks), so redeno's
 * compressed strings, and with them DUMP payloads, RDB files and DEBUG
 * OBJECT's serializedlength, are the bytes Redis produces.
 * @module
 */

const HASH_BITS = 16;
const HASH_MASK = (1 << HASH_BITS) - 1;
/** Farthest a match may reach back (LZF_MAX_OFF). */
const MAX_OFFSET = 1 << 13;
/** Longest match: 2 + 7 + 255 bytes (LZF_MAX_REF). */
const MAX_MATCH = (1 << 8) + (1 << 3);
/** Longest literal run one control byte covers. */
const MAX_LITERAL = 32;

/**
 * Input position + 1 last seen per hash, offset by `base`: an entry at or
 * below `base` was left by an earlier call and means none. Moving `base`
 * past each input empties the table without clearing its 256 KiB, which
 * would cost more than compressing a short string.
 */
const table = new Int32Array(1 << HASH_BITS);
let base = 0;

/** The hash slot of the window value `h` (liblzf's IDX in its VERY_FAST mode). */
function slotOf(h: number): number {
  return ((h >>> (24 - HASH_BITS)) - Math.imul(h, 5)) & HASH_MASK;
}

/**
 * How many bytes from `ip` repeat those from `ref` (at least 3 are known
 * to), as liblzf counts them: when more than 16 may match it compares 16
 * positions before looking at `longest`, so a match near the end of the
 * input can run up to 2 bytes past it (never past the input's end).
 */
function matchLength(
  input: Uint8Array,
  ref: number,
  ip: number,
  longest: number,
): number {
  let length = 2;
  if (longest > 16) {
    for (let i = 0; i < 16; i++) {
      length++;
      if (input[ref + length] !== input[ip + length]) return length;
    }
  }
  do length++; while (
    length < longest && input[ref + length] === input[ip + length]
  );
  return length;
}

/**
 * Compresses `input` into at most `limit` bytes; returns null when it does
 * not fit (Redis then stores the string uncompressed).
 */
export function lzfCompress(
  input: Uint8Array,
  limit: number,
): Uint8Array | null {
  const n = input.length;
  if (n === 0 || limit <= 0) return null;
  if (base + n + 1 > 0x7fffffff) {
    table.fill(0);
    base = 0;
  }
  const from = base;
  base += n + 1;
  const out = new Uint8Array(limit);
  let op = 1; // room for the first literal run's control byte
  let literals = 0;
  let ip = 0;
  let h = (input[0] << 8) | input[1];
  while (ip < n - 2) {
    h = ((h << 8) | input[ip + 2]) >>> 0;
    const slot = slotOf(h);
    const stored = table[slot];
    const ref = stored > from ? stored - from - 1 : -1;
    table[slot] = from + ip + 1;
    const offset = ip - ref - 1;
    if (
      ref > 0 && offset < MAX_OFFSET && input[ref + 2] === input[ip + 2] &&
      input[ref] === input[ip] && input[ref + 1] === input[ip + 1]
    ) {
      const longest = Math.min(n - ip - 2, MAX_MATCH);
      // Enough room for the match and a new run's control byte?
      if (op + 4 >= limit && op - (literals === 0 ? 1 : 0) + 4 >= limit) {
        return null;
      }
      out[op - literals - 1] = literals - 1;
      if (literals === 0) op--;
      const length = matchLength(input, ref, ip, longest);
      const code = length - 2;
      if (code < 7) {
        out[op++] = (offset >> 8) + (code << 5);
      } else {
        out[op++] = (offset >> 8) + (7 << 5);
        out[op++] = code - 7;
      }
      out[op++] = offset & 0xff;
      literals = 0;
      op++;
      ip += length;
      if (ip >= n - 2) break;
      // The two windows that start inside the match's tail get hashed too.
      ip -= 2;
      h = (input[ip] << 8) | input[ip + 1];
      h = ((h << 8) | input[ip + 2]) >>> 0;
      table[slotOf(h)] = from + ip + 1;
      ip++;
      h = ((h << 8) | input[ip + 2]) >>> 0;
      table[slotOf(h)] = from + ip + 1;
      ip++;
    } else {
      if (op >= limit) return null;
      literals++;
      out[op++] = input[ip++];
      if (literals === MAX_LITERAL) {
        out[op - literals - 1] = literals - 1;
        literals = 0;
        op++;
      }
    }
  }
  if (op + 3 > limit) return null;
  while (ip < n) {
    literals++;
    out[op++] = input[ip++];
    if (literals === MAX_LITERAL) {
      out[op - literals - 1] = literals - 1;
      literals = 0;
      op++;
    }
  }
  out[op - literals - 1] = literals - 1;
  if (literals === 0) op--;
  return out.slice(0, op);
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
