/**
 * Key extraction from the command table's key specs, as Redis 7.0 does it:
 * which argv positions are keys and how the command uses them (COMMAND
 * GETKEYS and GETKEYSANDFLAGS, MULTI, ACL, cluster, WATCH), plus the legacy
 * first/last/step triple and the `movablekeys` flag that COMMAND INFO
 * derives from the same specs.
 * @module
 */

import type { CommandSpec, KeyReference, KeySpec } from "./table.ts";

/** Key-spec flags in the order Redis lists them. */
export const KEY_SPEC_FLAG_ORDER: readonly string[] = [
  "RO",
  "RW",
  "OW",
  "RM",
  "access",
  "update",
  "insert",
  "delete",
  "not_key",
  "incomplete",
  "variable_flags",
];

/** Options of key extraction (Redis's GET_KEYSPEC_* search flags). */
export interface KeySearchOptions {
  /** Also return arguments of specs flagged `not_key` (e.g. channel-like names). */
  includeNotKeys?: boolean;
  /** Skip specs that cannot be resolved and keep the keys the others found. */
  returnPartial?: boolean;
}

/**
 * Parses a key count as Redis does: a strict int64 (string2ll), negative
 * rejected, then cast to a C int (so 4294967297 counts as 1).
 */
function parseKeyCount(text: string): number | null {
  if (!/^(0|-?[1-9][0-9]{0,18})$/.test(text)) return null;
  const n = BigInt(text);
  if (n < 0n || n > 9223372036854775807n) return null;
  return Number(BigInt.asIntN(32, n));
}

/** ASCII case-insensitive equality, as strcasecmp. */
function equalsIgnoringCase(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}

/** Where a spec's keys begin in argv; 0 when its keyword is absent, null when unknown. */
function searchBegin(ks: KeySpec, argv: string[]): number | null {
  const bs = ks.beginSearch;
  if (bs === "unknown") return null;
  if ("index" in bs) return bs.index;
  const argc = argv.length;
  const start = bs.startfrom > 0 ? bs.startfrom : argc + bs.startfrom;
  const end = bs.startfrom > 0 ? argc - 1 : 1;
  // Scans from startfrom towards the end (or, for a negative startfrom,
  // backwards towards argv[1]); the end position itself is never a keyword.
  const dir = start <= end ? 1 : -1;
  for (let i = start; i !== end; i += dir) {
    if (i >= argc || i < 1) break;
    if (equalsIgnoringCase(argv[i], bs.keyword)) return i + 1;
  }
  return 0;
}

/**
 * Resolves one spec to its inclusive [first, last] span and step, or null
 * when argv does not fit it (a syntax error the command will report).
 */
function findKeys(
  ks: KeySpec,
  first: number,
  argv: string[],
): { first: number; last: number; step: number } | null {
  const fk = ks.findKeys;
  const argc = argv.length;
  if (fk === "unknown") return null;
  let last: number;
  let step: number;
  if ("lastkey" in fk) {
    step = fk.keystep;
    if (fk.lastkey >= 0) last = first + fk.lastkey;
    else if (!fk.limit) last = argc + fk.lastkey;
    // A limit divides the remaining arguments: XREAD's STREAMS k1 k2 id1 id2.
    else last = first + (Math.trunc((argc - first) / fk.limit) + fk.lastkey);
  } else {
    step = fk.keystep;
    const countAt = first + fk.keynumidx;
    if (countAt >= argc) return null;
    const count = parseKeyCount(argv[countAt]);
    if (count === null) return null;
    first += fk.firstkey;
    last = first + count - 1;
  }
  if (last >= argc || last < first || first >= argc) return null;
  return { first, last, step };
}

/**
 * The keys of `argv` found from the command's key specs alone (Redis's
 * getKeysUsingKeySpecs), in spec order. Returns null when a spec cannot be
 * resolved (unknown search, bad key count, out of range, or an `incomplete`
 * spec), unless `returnPartial` is set, which skips such specs instead.
 */
export function keysFromSpecs(
  spec: CommandSpec,
  argv: string[],
  options: KeySearchOptions = {},
): KeyReference[] | null {
  const keys: KeyReference[] = [];
  for (const ks of spec.keySpecs) {
    if (ks.flags.includes("not_key") && !options.includeNotKeys) continue;
    const begin = searchBegin(ks, argv);
    if (begin === 0) continue; // keyword absent: this spec has no keys here
    const span = begin === null ? null : findKeys(ks, begin, argv);
    if (span) {
      for (let i = span.first; i <= span.last; i += span.step) {
        keys.push({ pos: i, flags: ks.flags });
      }
    }
    // Keys of an incomplete spec are kept only for a partial answer.
    if (!span || ks.flags.includes("incomplete")) {
      if (options.returnPartial) continue;
      return null;
    }
  }
  return keys;
}

/**
 * True when the command can take keys at all (Redis's doesCommandHaveKeys):
 * it has a getKeys function or a key spec not flagged `not_key`.
 */
export function hasKeyArguments(spec: CommandSpec): boolean {
  return spec.getKeys !== undefined ||
    spec.keySpecs.some((ks) => !ks.flags.includes("not_key"));
}

/**
 * The keys of a full command line `argv` (argv[0] is the command name, and
 * for a subcommand argv[1] its name), as Redis's getKeysFromCommandWithSpecs
 * finds them: from the key specs when they are reliable, otherwise from the
 * command's getKeys. A command whose key flags vary is expected to have
 * getKeys; without one its spec positions and flags are the best answer.
 * An empty result means no keys (or a line the command will reject).
 */
export function commandKeys(
  spec: CommandSpec,
  argv: string[],
  options: KeySearchOptions = {},
): KeyReference[] {
  const hasKeySpec = spec.keySpecs.some((ks) => !ks.flags.includes("not_key"));
  const variableFlags = spec.keySpecs.some((ks) =>
    ks.flags.includes("variable_flags")
  );
  if (hasKeySpec && (!variableFlags || !spec.getKeys)) {
    const keys = keysFromSpecs(spec, argv, options);
    if (keys) return keys;
  }
  return spec.getKeys?.(argv) ?? [];
}

/** COMMAND INFO's legacy key range (0, 0, 0 for none) and movablekeys flag. */
export interface LegacyKeyRange {
  first: number;
  /** Absolute index of the last key, or negative: counted from the end. */
  last: number;
  step: number;
  /** The range cannot describe every key: COMMAND INFO adds `movablekeys`. */
  movable: boolean;
}

/** A spec Redis can express as first/last/step: a fixed index and a range. */
function isIndexRange(
  ks: KeySpec,
): ks is KeySpec & {
  beginSearch: { index: number };
  findKeys: { lastkey: number; keystep: number; limit: number };
} {
  return typeof ks.beginSearch === "object" && "index" in ks.beginSearch &&
    typeof ks.findKeys === "object" && "lastkey" in ks.findKeys;
}

/**
 * Derives COMMAND INFO's first/last/step and the movablekeys flag from the
 * key specs exactly as Redis 7.0's populateCommandLegacyRangeSpec does: one
 * index+range spec is taken as it is; otherwise consecutive step-1 index+range
 * specs are merged, and any spec left out (or incomplete) makes keys movable.
 */
export function legacyKeyRange(spec: CommandSpec): LegacyKeyRange {
  const specs = spec.keySpecs;
  if (specs.length === 0) return { first: 0, last: 0, step: 0, movable: false };
  if (specs.length === 1 && isIndexRange(specs[0])) {
    const ks = specs[0];
    const first = ks.beginSearch.index;
    const lastkey = ks.findKeys.lastkey;
    return {
      first,
      last: lastkey >= 0 ? first + lastkey : lastkey,
      step: ks.findKeys.keystep,
      movable: ks.flags.includes("incomplete"),
    };
  }
  let first = Infinity;
  let last = 0;
  let prevLast = 0;
  let movable = false;
  for (const ks of specs) {
    if (
      !isIndexRange(ks) || ks.findKeys.keystep !== 1 ||
      (prevLast && prevLast !== ks.beginSearch.index - 1)
    ) {
      movable = true;
      continue;
    }
    if (ks.flags.includes("incomplete")) movable = true;
    first = Math.min(first, ks.beginSearch.index);
    let absLast = ks.findKeys.lastkey;
    if (absLast >= 0) absLast += ks.beginSearch.index;
    // Redis compares as unsigned, so a negative (from the end) last wins.
    if ((absLast >>> 0) > (last >>> 0)) last = absLast;
    prevLast = last;
  }
  if (first === Infinity) return { first: 0, last: 0, step: 0, movable: true };
  return { first, last, step: 1, movable };
}
