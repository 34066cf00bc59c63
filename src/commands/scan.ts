/**
 * What SCAN, HSCAN, SSCAN and ZSCAN share: the cursor, the COUNT/MATCH
 * options (and TYPE for SCAN) and the reply. Cursors are positions in the
 * 32-bit hash space of a KeyTable (src/store/keytable.ts).
 * @module
 */

import type { Client } from "../client.ts";
import { parseInteger } from "../util/numbers.ts";
import { Errors, isKeyword } from "./util.ts";

const U64_LIMIT = 1n << 64n;
/** Cursors are hash positions below 2^32; anything larger means "done". */
const CURSOR_SPACE = 4294967296;

/**
 * Parses a cursor as Redis's parseScanCursorOrReply accepts it (an unsigned
 * 64-bit number, `""` as 0, a sign that wraps), or null when invalid.
 */
export function parseCursor(text: string): number | null {
  if (text === "") return 0;
  const match = /^([+-]?)([0-9]+)$/.exec(text);
  if (!match) return null;
  let value = BigInt(match[2]);
  if (value >= U64_LIMIT) return null;
  if (match[1] === "-") value = (U64_LIMIT - value) % U64_LIMIT;
  return value < BigInt(CURSOR_SPACE) ? Number(value) : CURSOR_SPACE;
}

/** Parses a cursor argument, replying Redis's error when it is invalid. */
export function cursorArg(client: Client, text: string): number | null {
  const cursor = parseCursor(text);
  if (cursor === null) client.out.error("ERR invalid cursor");
  return cursor;
}

/** COUNT, MATCH and (SCAN only) TYPE. */
export interface ScanOptions {
  count: number;
  /** Undefined when every element matches (no MATCH, or MATCH *). */
  pattern?: string;
  /** Lower-case type name for SCAN's TYPE filter. */
  type?: string;
}

/**
 * Parses the options from `argv[from]` on; replies with Redis's error and
 * returns null when one is invalid. `allowType` is true for SCAN.
 */
export function scanOptions(
  client: Client,
  argv: string[],
  from: number,
  allowType: boolean,
): ScanOptions | null {
  const options: ScanOptions = { count: 10 };
  for (let i = from; i < argv.length; i += 2) {
    const hasValue = i + 1 < argv.length;
    if (isKeyword(argv[i], "count") && hasValue) {
      const n = parseInteger(argv[i + 1]);
      if (n === null) {
        client.out.error(Errors.notInteger);
        return null;
      }
      if (n < 1) {
        client.out.error(Errors.syntax);
        return null;
      }
      options.count = n;
    } else if (isKeyword(argv[i], "match") && hasValue) {
      options.pattern = argv[i + 1] === "*" ? undefined : argv[i + 1];
    } else if (allowType && isKeyword(argv[i], "type") && hasValue) {
      options.type = argv[i + 1].toLowerCase();
    } else {
      client.out.error(Errors.syntax);
      return null;
    }
  }
  return options;
}

/** Replies `[cursor, items]`. */
export function replyScan(
  client: Client,
  cursor: number,
  items: readonly string[],
): void {
  client.out.array(2);
  client.out.bulk(String(cursor));
  client.out.bulkArray(items);
}
