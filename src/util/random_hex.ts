/**
 * Random lowercase hex, as Redis's getRandomHexChars makes run IDs,
 * replication IDs and the diskless payload's end mark.
 * @module
 */

/** `length` random lowercase hex digits (`length` even). */
export function randomHex(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length / 2));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
