/**
 * Glob-style matching with the semantics of Redis's stringmatchlen, used by
 * CONFIG GET, KEYS, SCAN MATCH, PUBSUB CHANNELS and PSUBSCRIBE: `*` any run,
 * `?` any one byte, `[abc]`, `[^abc]`, `[a-z]` (reversed ranges allowed),
 * `\x` a literal x. An unterminated `[` class runs to the end of the pattern,
 * as in Redis. Strings are binary strings (one char per byte).
 * @module
 */

/** ASCII lower case of one char code (Redis's tolower in the C locale). */
function lower(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

/**
 * Tries the single pattern element starting at `p` against char code `c`.
 * Returns the index after the element when it matches, -1 when it does not.
 * `*` is handled by the caller.
 */
function matchOne(
  pattern: string,
  p: number,
  c: number,
  nocase: boolean,
): number {
  const plen = pattern.length;
  const pc = pattern.charCodeAt(p);
  if (pc === 63 /* ? */) return p + 1;
  if (pc === 91 /* [ */) {
    p++;
    const not = pattern.charCodeAt(p) === 94; /* ^ */
    if (not) p++;
    let match = false;
    while (true) {
      if (p >= plen) {
        // Unterminated class: it ends with the pattern.
        break;
      }
      const ch = pattern.charCodeAt(p);
      if (ch === 92 /* \ */ && plen - p >= 2) {
        p++;
        if (pattern.charCodeAt(p) === c) match = true;
      } else if (ch === 93 /* ] */) {
        break;
      } else if (plen - p >= 3 && pattern.charCodeAt(p + 1) === 45 /* - */) {
        let start = pattern.charCodeAt(p);
        let end = pattern.charCodeAt(p + 2);
        let x = c;
        if (start > end) [start, end] = [end, start];
        if (nocase) {
          start = lower(start);
          end = lower(end);
          x = lower(x);
        }
        p += 2;
        if (x >= start && x <= end) match = true;
      } else if (nocase ? lower(ch) === lower(c) : ch === c) {
        match = true;
      }
      p++;
    }
    if (not) match = !match;
    return match ? Math.min(p + 1, plen) : -1;
  }
  if (pc === 92 /* \ */ && plen - p >= 2) {
    const lit = pattern.charCodeAt(p + 1);
    return (nocase ? lower(lit) === lower(c) : lit === c) ? p + 2 : -1;
  }
  return (nocase ? lower(pc) === lower(c) : pc === c) ? p + 1 : -1;
}

/**
 * True when `text` matches the glob `pattern` (Redis's stringmatchlen);
 * `nocase` compares ASCII letters case-insensitively.
 */
export function globMatch(
  pattern: string,
  text: string,
  nocase = false,
): boolean {
  let p = 0;
  let s = 0;
  // Where to resume after the most recent `*`: pattern index past the star
  // run, and the text position that star currently swallows up to.
  let starP = -1;
  let starS = 0;
  while (s < text.length) {
    if (p < pattern.length && pattern.charCodeAt(p) === 42 /* * */) {
      while (p < pattern.length && pattern.charCodeAt(p) === 42) p++;
      if (p === pattern.length) return true;
      starP = p;
      starS = s;
      continue;
    }
    const next = p < pattern.length
      ? matchOne(pattern, p, text.charCodeAt(s), nocase)
      : -1;
    if (next !== -1) {
      p = next;
      s++;
      continue;
    }
    if (starP === -1) return false;
    // Let the last star swallow one more char and retry from there.
    p = starP;
    s = ++starS;
  }
  while (p < pattern.length && pattern.charCodeAt(p) === 42) p++;
  return p === pattern.length;
}
