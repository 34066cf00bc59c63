/**
 * Binary strings: keys, values and arguments are JS strings holding one byte
 * per char code (0-255). They are binary-safe, compact, and usable as Map keys.
 * TextDecoder("latin1") is windows-1252 and not binary-safe, so it is never
 * used for this.
 * @module
 */

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Converts `bytes[start, end)` to a binary string (one char per byte). */
export function bytesToBinary(
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
): string {
  const n = end - start;
  if (n <= 16) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
    return s;
  }
  if (n <= 8192) {
    return String.fromCharCode.apply(
      null,
      bytes.subarray(start, end) as unknown as number[],
    );
  }
  const parts: string[] = [];
  for (let i = start; i < end; i += 8192) {
    parts.push(
      String.fromCharCode.apply(
        null,
        bytes.subarray(i, Math.min(i + 8192, end)) as unknown as number[],
      ),
    );
  }
  return parts.join("");
}

/** Converts a binary string back to its bytes. */
export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Encodes ordinary text (UTF-8) as a binary string, e.g. for log lines in replies. */
export function textToBinary(text: string): string {
  return bytesToBinary(utf8.encode(text));
}

/** Decodes a binary string holding UTF-8 bytes into ordinary text. */
export function binaryToText(s: string): string {
  return utf8Decoder.decode(binaryToBytes(s));
}

/** Quotes a binary string as Redis's sdscatrepr does. */
export function quoteRepr(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === "\\" || ch === '"') out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c === 7) out += "\\a";
    else if (c === 8) out += "\\b";
    else if (c >= 32 && c < 127) out += ch;
    else out += "\\x" + c.toString(16).padStart(2, "0");
  }
  return out + '"';
}
