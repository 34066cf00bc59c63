/**
 * Sorted-set commands (Redis's t_zset.c) over SortedSet values
 * (store/zset.ts): ZADD and ZINCRBY, lookups, the ZRANGE family and its
 * STORE form, removals by member and range, pops, the set operations with
 * their STORE forms, ZINTERCARD, ZRANDMEMBER and ZSCAN.
 *
 * Argument errors are checked in Redis's order: ranges and options are
 * parsed before the key is looked up, so a bad range on a key of another
 * type reports the range error.
 * @module
 */

import type { Client } from "../client.ts";
import { Notify } from "../config.ts";
import type { RedisValue } from "../store/keyspace.ts";
import { RedisSet } from "../store/set.ts";
import {
  type LexBound,
  type LexRange,
  type ListpackLimits,
  type ScoreRange,
  SortedSet,
  type ZNode,
} from "../store/zset.ts";
import { globMatch } from "../util/glob.ts";
import {
  formatDouble,
  parseDouble,
  parseInt64,
  parseInteger,
} from "../util/numbers.ts";
import { cursorArg, replyScan, scanOptions } from "./scan.ts";
import { type CommandSpec, keysAt, keysCounted } from "./table.ts";
import {
  Errors,
  isKeyword,
  keyChanged,
  lookupRead,
  lookupWrite,
  notify,
  signalKey,
} from "./util.ts";

const LONG_MAX = 9223372036854775807n;

const Messages = {
  notFloatRange: "ERR min or max is not a float",
  notLexRange: "ERR min or max not valid string range item",
  nan: "ERR resulting score is not a number (NaN)",
  xxNx: "ERR XX and NX options at the same time are not compatible",
  gtLtNx: "ERR GT, LT, and/or NX options at the same time are not compatible",
  incrPair: "ERR INCR option supports a single increment-element pair",
  withScoresLex:
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
  limitRank:
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
  notPositive: "ERR value is out of range, must be positive",
  numkeys: "ERR numkeys should be greater than 0",
  count: "ERR count should be greater than 0",
  weight: "ERR weight value is not a float",
  limit: "ERR LIMIT can't be negative",
  outOfRange: "ERR value is out of range",
  countRange:
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
} as const;

/** A member with its score: a skip-list node or a computed result. */
interface Scored {
  readonly member: string;
  readonly score: number;
}

/** The listpack thresholds in force now. */
export function listpackLimits(client: Client): ListpackLimits {
  const config = client.server.config;
  return {
    maxEntries: config.number("zset-max-listpack-entries"),
    maxValue: config.number("zset-max-listpack-value"),
  };
}

/** `value` as a sorted set, or null after replying WRONGTYPE. */
function asSortedSet(client: Client, value: RedisValue): SortedSet | null {
  if (value instanceof SortedSet) return value;
  client.out.error(Errors.wrongType);
  return null;
}

/**
 * Looks `key` up for reading: the sorted set, undefined when missing, or
 * null after replying WRONGTYPE.
 */
function readSortedSet(
  client: Client,
  key: string,
): SortedSet | undefined | null {
  const value = lookupRead(client, key);
  return value === undefined ? undefined : asSortedSet(client, value);
}

/** Like {@linkcode readSortedSet}, for writing. */
function writeSortedSet(
  client: Client,
  key: string,
): SortedSet | undefined | null {
  const value = lookupWrite(client, key);
  return value === undefined ? undefined : asSortedSet(client, value);
}

/**
 * Replies members, with their scores when asked: in RESP3 each pair is a
 * nested [member, double] array, in RESP2 the pairs are flattened.
 */
function replyScored(
  client: Client,
  items: readonly Scored[],
  withScores: boolean,
): void {
  const out = client.out;
  if (!withScores) {
    out.array(items.length);
    for (const item of items) out.bulk(item.member);
  } else if (out.protover === 3) {
    out.array(items.length);
    for (const item of items) {
      out.array(2);
      out.bulk(item.member);
      out.double(item.score);
    }
  } else {
    out.array(items.length * 2);
    for (const item of items) {
      out.bulk(item.member);
      out.double(item.score);
    }
  }
}

/**
 * How a computed sorted set is encoded: `result` as Redis stores a set
 * operation's result (zsetConvertToListpackIfNeeded: a listpack only when
 * every item fits, otherwise a skiplist from the start, which keeps -0
 * scores), `count` as ZRANGESTORE's zsetTypeCreate (the count alone picks,
 * and a long member converts it on the way as in ZADD), `skiplist` for a
 * result that is only replied (Redis builds it as a skiplist).
 */
export type BuildEncoding = "result" | "count" | "skiplist";

/** A new sorted set holding `items`, encoded as `how` says. */
export function buildSortedSet(
  client: Client,
  items: readonly Scored[],
  how: BuildEncoding = "result",
): SortedSet {
  const limits = listpackLimits(client);
  const zset = new SortedSet();
  if (
    how === "skiplist" || items.length > limits.maxEntries ||
    (how === "result" && items.some((i) => i.member.length > limits.maxValue))
  ) {
    zset.encoding = "skiplist";
  }
  for (const item of items) zset.set(item.member, item.score, limits);
  return zset;
}

/**
 * Stores `zset` at `dst` for the STORE forms, replacing what is there (and
 * its TTL) and firing `event`; an empty result deletes `dst` (a `del`
 * event). Replies the cardinality.
 */
export function storeSortedSet(
  client: Client,
  dst: string,
  zset: SortedSet,
  event: string,
): void {
  if (zset.size > 0) {
    client.db.set(dst, zset);
    client.server.blocking.signalKeyAsReady(client.db, dst);
    keyChanged(client, Notify.zset, event, dst);
    client.server.dirty++;
  } else if (client.db.delete(dst)) {
    keyChanged(client, Notify.generic, "del", dst);
    client.server.dirty++;
  }
  client.out.integer(zset.size);
}

/**
 * A range endpoint as Redis's zslParseRange reads it with strtod: leading
 * whitespace, overflow to infinity and an empty string (0) are accepted;
 * NaN and trailing bytes are not. Null when invalid.
 */
function parseRangeScore(text: string): number | null {
  if (text === "") return 0;
  const trimmed = text.replace(/^[ \t\n\v\f\r]+/, "");
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) {
    return Number(trimmed);
  }
  return parseDouble(trimmed);
}

/** Parses a score interval (`(` for exclusive ends); null after replying. */
function scoreRangeArg(
  client: Client,
  minText: string,
  maxText: string,
): ScoreRange | null {
  const minExclusive = minText[0] === "(";
  const maxExclusive = maxText[0] === "(";
  const min = parseRangeScore(minExclusive ? minText.slice(1) : minText);
  const max = parseRangeScore(maxExclusive ? maxText.slice(1) : maxText);
  if (min === null || max === null) {
    client.out.error(Messages.notFloatRange);
    return null;
  }
  return { min, max, minExclusive, maxExclusive };
}

/** One lex endpoint: `-`, `+`, `[value` or `(value`; null when invalid. */
function parseLexBound(text: string): LexBound | null {
  switch (text[0]) {
    case "+":
      return text.length === 1 ? { inf: 1, value: "", exclusive: false } : null;
    case "-":
      return text.length === 1
        ? { inf: -1, value: "", exclusive: false }
        : null;
    case "[":
      return { inf: 0, value: text.slice(1), exclusive: false };
    case "(":
      return { inf: 0, value: text.slice(1), exclusive: true };
    default:
      return null;
  }
}

/** Parses a lex interval; null after replying. */
function lexRangeArg(
  client: Client,
  minText: string,
  maxText: string,
): LexRange | null {
  const min = parseLexBound(minText);
  const max = parseLexBound(maxText);
  if (min === null || max === null) {
    client.out.error(Messages.notLexRange);
    return null;
  }
  return { min, max };
}

/** Parses a score argument (ZADD, ZINCRBY); null after replying. */
function scoreArg(
  client: Client,
  text: string,
  message: string = Errors.notFloat,
): number | null {
  const score = parseDouble(text);
  if (score === null) client.out.error(message);
  return score;
}

/** The options of ZADD. */
interface AddFlags {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
  incr: boolean;
}

/** What {@linkcode addMember} did. */
type AddOutcome = "added" | "updated" | "unchanged" | "skipped" | "nan";

/**
 * Adds or updates one member under ZADD's flags, as Redis's zsetAdd; with
 * `incr` the score is an increment. Returns what happened and the
 * resulting score (for INCR replies).
 */
function addMember(
  zset: SortedSet,
  member: string,
  score: number,
  flags: AddFlags,
  limits: ListpackLimits,
): [AddOutcome, number] {
  const current = zset.score(member);
  if (current === undefined) {
    if (flags.xx) return ["skipped", score];
    zset.set(member, score, limits);
    return ["added", score];
  }
  if (flags.nx) return ["skipped", current];
  if (flags.incr) {
    score += current;
    if (Number.isNaN(score)) return ["nan", current];
  }
  if ((flags.lt && score >= current) || (flags.gt && score <= current)) {
    return ["skipped", current];
  }
  if (score === current) return ["unchanged", score];
  zset.set(member, score, limits);
  return ["updated", score];
}

function zadd(client: Client, argv: string[]): void {
  const flags: AddFlags = {
    nx: false,
    xx: false,
    gt: false,
    lt: false,
    incr: false,
  };
  let ch = false;
  let scoreIndex = 2;
  for (; scoreIndex < argv.length; scoreIndex++) {
    const word = argv[scoreIndex].toLowerCase();
    if (word === "nx") flags.nx = true;
    else if (word === "xx") flags.xx = true;
    else if (word === "gt") flags.gt = true;
    else if (word === "lt") flags.lt = true;
    else if (word === "ch") ch = true;
    else if (word === "incr") flags.incr = true;
    else break;
  }
  const pairs = argv.length - scoreIndex;
  if (pairs === 0 || pairs % 2 !== 0) {
    client.out.error(Errors.syntax);
    return;
  }
  if (flags.nx && flags.xx) {
    client.out.error(Messages.xxNx);
    return;
  }
  if (
    (flags.gt && flags.nx) || (flags.lt && flags.nx) || (flags.gt && flags.lt)
  ) {
    client.out.error(Messages.gtLtNx);
    return;
  }
  if (flags.incr && pairs > 2) {
    client.out.error(Messages.incrPair);
    return;
  }
  const scores: number[] = [];
  for (let i = scoreIndex; i < argv.length; i += 2) {
    const score = scoreArg(client, argv[i]);
    if (score === null) return;
    scores.push(score);
  }
  const key = argv[1];
  let zset = writeSortedSet(client, key);
  if (zset === null) return;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  if (zset === undefined && !flags.xx) {
    zset = new SortedSet();
    client.db.set(key, zset);
    client.server.blocking.signalKeyAsReady(client.db, key);
  }
  if (zset !== undefined) {
    const limits = listpackLimits(client);
    for (let i = 0; i < scores.length; i++) {
      const [outcome, result] = addMember(
        zset,
        argv[scoreIndex + 2 * i + 1],
        scores[i],
        flags,
        limits,
      );
      if (outcome === "nan") {
        // Redis still signals the members changed before the error.
        zaddChanged(client, key, added + updated, flags.incr);
        client.out.error(Messages.nan);
        return;
      }
      if (outcome === "added") added++;
      else if (outcome === "updated") updated++;
      if (outcome !== "skipped") processed++;
      score = result;
    }
    client.server.dirty += added + updated;
    zaddChanged(client, key, added + updated, flags.incr);
  }
  if (!flags.incr) client.out.integer(ch ? added + updated : added);
  else if (processed > 0) client.out.double(score);
  else client.out.null();
}

/** ZADD's signal and `zadd` (`zincr` with INCR) event once members changed. */
function zaddChanged(
  client: Client,
  key: string,
  changed: number,
  incr: boolean,
): void {
  if (changed !== 0) {
    keyChanged(client, Notify.zset, incr ? "zincr" : "zadd", key);
  }
}

function zincrby(client: Client, argv: string[]): void {
  const increment = scoreArg(client, argv[2]);
  if (increment === null) return;
  const key = argv[1];
  let zset = writeSortedSet(client, key);
  if (zset === null) return;
  if (zset === undefined) {
    zset = new SortedSet();
    client.db.set(key, zset);
    client.server.blocking.signalKeyAsReady(client.db, key);
  }
  const flags = { nx: false, xx: false, gt: false, lt: false, incr: true };
  const [outcome, score] = addMember(
    zset,
    argv[3],
    increment,
    flags,
    listpackLimits(client),
  );
  if (outcome === "nan") {
    client.out.error(Messages.nan);
    return;
  }
  if (outcome !== "unchanged") {
    client.server.dirty++;
    keyChanged(client, Notify.zset, "zincr", key);
  }
  client.out.double(score);
}

function zrem(client: Client, argv: string[]): void {
  const key = argv[1];
  const zset = writeSortedSet(client, key);
  if (zset === null) return;
  let removed = 0;
  if (zset !== undefined) {
    for (let i = 2; i < argv.length; i++) {
      if (!zset.delete(argv[i])) continue;
      removed++;
      if (zset.size === 0) break;
    }
  }
  if (removed !== 0) {
    notify(client, Notify.zset, "zrem", key);
    if (zset!.size === 0) {
      client.db.delete(key);
      notify(client, Notify.generic, "del", key);
    }
    signalKey(client, key);
  }
  client.server.dirty += removed;
  client.out.integer(removed);
}

function zcard(client: Client, argv: string[]): void {
  const zset = readSortedSet(client, argv[1]);
  if (zset !== null) client.out.integer(zset?.size ?? 0);
}

function zscore(client: Client, argv: string[]): void {
  const zset = readSortedSet(client, argv[1]);
  if (zset === null) return;
  const score = zset?.score(argv[2]);
  if (score === undefined) client.out.null();
  else client.out.double(score);
}

function zmscore(client: Client, argv: string[]): void {
  const zset = readSortedSet(client, argv[1]);
  if (zset === null) return;
  client.out.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const score = zset?.score(argv[i]);
    if (score === undefined) client.out.null();
    else client.out.double(score);
  }
}

/** ZRANK and ZREVRANK. */
function rankGeneric(client: Client, argv: string[], reverse: boolean): void {
  const zset = readSortedSet(client, argv[1]);
  if (zset === null) return;
  const rank = zset === undefined ? -1 : zset.rank(argv[2], reverse);
  if (rank === -1) client.out.null();
  else client.out.integer(rank);
}

function zcount(client: Client, argv: string[]): void {
  const range = scoreRangeArg(client, argv[2], argv[3]);
  if (range === null) return;
  const zset = readSortedSet(client, argv[1]);
  if (zset !== null) client.out.integer(zset?.countInScoreRange(range) ?? 0);
}

function zlexcount(client: Client, argv: string[]): void {
  const range = lexRangeArg(client, argv[2], argv[3]);
  if (range === null) return;
  const zset = readSortedSet(client, argv[1]);
  if (zset !== null) client.out.integer(zset?.countInLexRange(range) ?? 0);
}

/** How a ZRANGE-family command reads its min and max. */
type RangeKind = "rank" | "score" | "lex";

/** A parsed range request of the ZRANGE family. */
type RangeQuery =
  | { kind: "rank"; start: number; end: number }
  | { kind: "score"; range: ScoreRange }
  | { kind: "lex"; range: LexRange };

/**
 * The 0-based inclusive rank interval `start..end` (negative counting from
 * the end) clamped to a set of `length`, or null when it is empty.
 */
function clampRanks(
  start: number,
  end: number,
  length: number,
): [number, number] | null {
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (start > end || start >= length) return null;
  return [start, Math.min(end, length - 1)];
}

/**
 * The nodes `query` selects, in ascending order or from the top when
 * `reverse`, skipping `offset` and taking at most `limit` (negative: all).
 */
function selectRange(
  zset: SortedSet,
  query: RangeQuery,
  reverse: boolean,
  offset: number,
  limit: number,
): ZNode[] {
  const found: ZNode[] = [];
  if (query.kind === "rank") {
    const ranks = clampRanks(query.start, query.end, zset.size);
    if (ranks === null) return found;
    const [start, end] = ranks;
    let node = reverse
      ? zset.byRank(zset.size - 1 - start)
      : zset.byRank(start);
    for (let n = end - start + 1; n > 0 && node !== null; n--) {
      found.push(node);
      node = reverse ? node.backward : node.next;
    }
    return found;
  }
  if (offset < 0 || (offset > 0 && offset >= zset.size)) return found;
  let node: ZNode | null;
  let inside: (node: ZNode) => boolean;
  if (query.kind === "score") {
    const range = query.range;
    node = reverse
      ? zset.lastInScoreRange(range)
      : zset.firstInScoreRange(range);
    inside = reverse
      ? (n) => range.minExclusive ? n.score > range.min : n.score >= range.min
      : (n) => range.maxExclusive ? n.score < range.max : n.score <= range.max;
  } else {
    const range = query.range;
    node = reverse ? zset.lastInLexRange(range) : zset.firstInLexRange(range);
    inside = reverse
      ? (n) => lexAboveMin(n.member, range.min)
      : (n) => lexBelowMax(n.member, range.max);
  }
  for (; node !== null && offset > 0; offset--) {
    node = reverse ? node.backward : node.next;
  }
  while (node !== null && limit !== 0 && inside(node)) {
    found.push(node);
    limit--;
    node = reverse ? node.backward : node.next;
  }
  return found;
}

function lexAboveMin(member: string, min: LexBound): boolean {
  if (min.inf !== 0) return min.inf < 0;
  return min.exclusive ? member > min.value : member >= min.value;
}

function lexBelowMax(member: string, max: LexBound): boolean {
  if (max.inf !== 0) return max.inf > 0;
  return max.exclusive ? member < max.value : member <= max.value;
}

/**
 * The ZRANGE family (Redis's zrangeGenericCommand). `first` is the index of
 * the key; `kind` and `reverse` are fixed by the legacy commands, or null
 * when ZRANGE's options choose them; `dst` is ZRANGESTORE's destination.
 */
function rangeGeneric(
  client: Client,
  argv: string[],
  first: number,
  fixedKind: RangeKind | null,
  fixedReverse: boolean | null,
  dst?: string,
): void {
  let kind: RangeKind | null = fixedKind;
  let reverse = fixedReverse ?? false;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = first + 3; j < argv.length; j++) {
    const left = argv.length - j - 1;
    if (dst === undefined && isKeyword(argv[j], "withscores")) {
      withScores = true;
    } else if (isKeyword(argv[j], "limit") && left >= 2) {
      const o = parseInteger(argv[j + 1]);
      const l = o === null ? null : parseInteger(argv[j + 2]);
      if (o === null || l === null) {
        client.out.error(Errors.notInteger);
        return;
      }
      offset = o;
      limit = l;
      j += 2;
    } else if (
      fixedReverse === null && !reverse && isKeyword(argv[j], "rev")
    ) {
      reverse = true;
    } else if (kind === null && isKeyword(argv[j], "bylex")) {
      kind = "lex";
    } else if (kind === null && isKeyword(argv[j], "byscore")) {
      kind = "score";
    } else {
      client.out.error(Errors.syntax);
      return;
    }
  }
  kind ??= "rank";
  if (withScores && kind === "lex") {
    client.out.error(Messages.withScoresLex);
    return;
  }
  // Redis refuses only a count: LIMIT <offset> -1 passes and is ignored.
  if (limit !== -1 && kind === "rank") {
    client.out.error(Messages.limitRank);
    return;
  }
  let minText = argv[first + 1];
  let maxText = argv[first + 2];
  if (reverse && kind !== "rank") [minText, maxText] = [maxText, minText];
  let query: RangeQuery;
  if (kind === "rank") {
    const start = parseInteger(minText);
    const end = start === null ? null : parseInteger(maxText);
    if (start === null || end === null) {
      client.out.error(Errors.notInteger);
      return;
    }
    query = { kind, start, end };
  } else if (kind === "score") {
    const range = scoreRangeArg(client, minText, maxText);
    if (range === null) return;
    query = { kind, range };
  } else {
    const range = lexRangeArg(client, minText, maxText);
    if (range === null) return;
    query = { kind, range };
  }
  const zset = readSortedSet(client, argv[first]);
  if (zset === null) return;
  const found = zset === undefined
    ? []
    : selectRange(zset, query, reverse, offset, limit);
  if (dst === undefined) replyScored(client, found, withScores);
  else {
    storeSortedSet(
      client,
      dst,
      buildSortedSet(client, found, "count"),
      "zrangestore",
    );
  }
}

/** ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX. */
function removeRangeGeneric(
  client: Client,
  argv: string[],
  kind: RangeKind,
): void {
  let remove: (zset: SortedSet) => number;
  if (kind === "rank") {
    const start = parseInteger(argv[2]);
    const end = start === null ? null : parseInteger(argv[3]);
    if (start === null || end === null) {
      client.out.error(Errors.notInteger);
      return;
    }
    remove = (zset) => {
      const ranks = clampRanks(start, end, zset.size);
      return ranks === null ? 0 : zset.deleteRankRange(ranks[0], ranks[1]);
    };
  } else if (kind === "score") {
    const range = scoreRangeArg(client, argv[2], argv[3]);
    if (range === null) return;
    remove = (zset) => zset.deleteScoreRange(range);
  } else {
    const range = lexRangeArg(client, argv[2], argv[3]);
    if (range === null) return;
    remove = (zset) => zset.deleteLexRange(range);
  }
  const key = argv[1];
  const zset = writeSortedSet(client, key);
  if (zset === null) return;
  const removed = zset === undefined ? 0 : remove(zset);
  if (removed !== 0) {
    keyChanged(client, Notify.zset, `zremrangeby${kind}`, key);
    if (zset!.size === 0) {
      client.db.delete(key);
      notify(client, Notify.generic, "del", key);
    }
  }
  client.server.dirty += removed;
  client.out.integer(removed);
}

/** Which end a pop takes from. */
export type PopEnd = "min" | "max";

/**
 * Pops up to `count` members from `end` of the sorted set at `key`,
 * deleting the key once empty and counting the change; returns the popped
 * members in pop order. The key must hold a sorted set. Blocking pops
 * (BZPOPMIN, BZPOPMAX, BZMPOP) call this when they serve a waiter.
 */
export function popFromSortedSet(
  client: Client,
  key: string,
  end: PopEnd,
  count: number,
): Scored[] {
  const zset = client.db.get(key, client.server.now) as SortedSet;
  const popped: Scored[] = [];
  while (popped.length < count) {
    const node = end === "min" ? zset.first : zset.last;
    if (node === null) break;
    popped.push({ member: node.member, score: node.score });
    zset.delete(node.member);
  }
  if (popped.length !== 0) {
    notify(client, Notify.zset, end === "min" ? "zpopmin" : "zpopmax", key);
    if (zset.size === 0) {
      client.db.delete(key);
      notify(client, Notify.generic, "del", key);
    }
    signalKey(client, key);
  }
  client.server.dirty += popped.length;
  return popped;
}

/**
 * Replies popped members as ZPOPMIN/ZPOPMAX do: nested [member, score]
 * pairs in RESP3 when `nested`, flat pairs otherwise; ZMPOP and BZMPOP nest
 * in both protocols.
 */
export function replyPopped(
  client: Client,
  popped: readonly Scored[],
  nested: boolean,
): void {
  const out = client.out;
  if (!nested) {
    out.array(popped.length * 2);
    for (const item of popped) {
      out.bulk(item.member);
      out.double(item.score);
    }
    return;
  }
  out.array(popped.length);
  for (const item of popped) {
    out.array(2);
    out.bulk(item.member);
    out.double(item.score);
  }
}

/**
 * The first of `keys` holding a non-empty sorted set: the key, undefined
 * when none does, or null after replying WRONGTYPE.
 */
export function firstSortedSetKey(
  client: Client,
  keys: readonly string[],
): string | undefined | null {
  for (const key of keys) {
    const zset = writeSortedSet(client, key);
    if (zset === null) return null;
    if (zset !== undefined) return key;
  }
  return undefined;
}

/** ZPOPMIN and ZPOPMAX. */
function popGeneric(client: Client, argv: string[], end: PopEnd): void {
  if (argv.length > 3) {
    client.out.error(Errors.syntax);
    return;
  }
  let count = 1;
  if (argv.length === 3) {
    const n = parseInteger(argv[2]);
    if (n === null || n < 0) {
      client.out.error(Messages.notPositive);
      return;
    }
    count = n;
  }
  const key = firstSortedSetKey(client, [argv[1]]);
  if (key === null) return;
  if (key === undefined || count === 0) {
    client.out.emptyArray();
    return;
  }
  const popped = popFromSortedSet(client, key, end, count);
  replyPopped(
    client,
    popped,
    argv.length === 3 && client.out.protover === 3,
  );
}

/**
 * Parses `MIN|MAX [COUNT count]` at `argv[at]` for ZMPOP and BZMPOP;
 * null after replying.
 */
export function parsePopEnd(
  client: Client,
  argv: string[],
  at: number,
): { end: PopEnd; count: number } | null {
  if (at >= argv.length) {
    client.out.error(Errors.syntax);
    return null;
  }
  let end: PopEnd;
  if (isKeyword(argv[at], "min")) end = "min";
  else if (isKeyword(argv[at], "max")) end = "max";
  else {
    client.out.error(Errors.syntax);
    return null;
  }
  let count = 1;
  let seen = false;
  for (let j = at + 1; j < argv.length; j += 2) {
    if (isKeyword(argv[j], "count") && j + 1 < argv.length && !seen) {
      const n = parseInteger(argv[j + 1]);
      if (n === null || n < 1) {
        client.out.error(Messages.count);
        return null;
      }
      count = n;
      seen = true;
    } else {
      client.out.error(Errors.syntax);
      return null;
    }
  }
  return { end, count };
}

/** Parses a numkeys argument at `argv[at]` (ZMPOP's rule); null after replying. */
export function numkeysArg(
  client: Client,
  argv: string[],
  at: number,
): number | null {
  const n = parseInteger(argv[at]);
  if (n === null || n < 1) {
    client.out.error(Messages.numkeys);
    return null;
  }
  return n;
}

/**
 * The ZPOPMIN or ZPOPMAX of `count` members that a multi-key pop propagates
 * as (ZMPOP and BZMPOP: the replica pops from the key that was chosen).
 */
export function zsetPopForm(
  end: PopEnd,
  key: string,
  count: number,
): string[] {
  return [end === "min" ? "ZPOPMIN" : "ZPOPMAX", key, String(count)];
}

function zmpop(client: Client, argv: string[]): void {
  const numkeys = numkeysArg(client, argv, 1);
  if (numkeys === null) return;
  const options = parsePopEnd(client, argv, numkeys + 2);
  if (options === null) return;
  const key = firstSortedSetKey(client, argv.slice(2, 2 + numkeys));
  if (key === null) return;
  if (key === undefined) {
    client.out.nullArray();
    return;
  }
  const popped = popFromSortedSet(client, key, options.end, options.count);
  client.server.propagation.rewrite(
    zsetPopForm(options.end, key, popped.length),
  );
  client.out.array(2);
  client.out.bulk(key);
  replyPopped(client, popped, true);
}

/** The set operation of ZUNION, ZINTER and ZDIFF. */
type SetOperation = "union" | "inter" | "diff";

/** How ZUNION and ZINTER combine the scores of a member. */
type Aggregate = "sum" | "min" | "max";

/** A source of a set operation: its members with scores (1 for plain sets). */
interface Source {
  size: number;
  has(member: string): boolean;
  score(member: string): number | undefined;
  entries(): Iterable<Scored>;
  weight: number;
}

/** Wraps a sorted set, a plain set or a missing key as a {@linkcode Source}. */
function sourceOf(value: SortedSet | RedisSet | undefined): Source {
  if (value instanceof SortedSet) {
    return {
      size: value.size,
      has: (m) => value.has(m),
      score: (m) => value.score(m),
      entries: () => value,
      weight: 1,
    };
  }
  if (value instanceof RedisSet) {
    return {
      size: value.size,
      has: (m) => value.has(m),
      score: (m) => value.has(m) ? 1 : undefined,
      entries: function* () {
        for (const member of value.members()) yield { member, score: 1 };
      },
      weight: 1,
    };
  }
  return {
    size: 0,
    has: () => false,
    score: () => undefined,
    entries: () => [],
    weight: 1,
  };
}

/** Combines two scores as Redis's zunionInterAggregate (inf + -inf is 0). */
function aggregateScores(a: number, b: number, how: Aggregate): number {
  if (how === "sum") {
    const sum = a + b;
    return Number.isNaN(sum) ? 0 : sum;
  }
  // C's comparisons: a NaN (0 * inf) or an equal -0 never replaces `a`.
  return how === "min" ? (b < a ? b : a) : (b > a ? b : a);
}

/**
 * A weighted score; NaN (0 * inf) counts as 0, as Redis counts it for every
 * union member and for the first set of an intersection.
 */
function weighted(score: number, weight: number): number {
  const product = score * weight;
  return Number.isNaN(product) ? 0 : product;
}

/** The result of a set operation as member -> score. */
function computeSetOperation(
  sources: Source[],
  op: SetOperation,
  how: Aggregate,
): Map<string, number> {
  const result = new Map<string, number>();
  if (op === "union") {
    // Smallest first, as Redis sorts them: the order decides what NaN and
    // -0 aggregate to.
    for (const source of [...sources].sort((a, b) => a.size - b.size)) {
      for (const { member, score } of source.entries()) {
        const value = weighted(score, source.weight);
        const previous = result.get(member);
        result.set(
          member,
          previous === undefined
            ? value
            : aggregateScores(previous, value, how),
        );
      }
    }
  } else if (op === "inter") {
    const ordered = [...sources].sort((a, b) => a.size - b.size);
    const [smallest, ...others] = ordered;
    if (smallest.size === 0) return result;
    outer: for (const { member, score } of smallest.entries()) {
      let value = weighted(score, smallest.weight);
      for (const other of others) {
        const s = other.score(member);
        if (s === undefined) continue outer;
        // Unlike the first, these products stay NaN (Redis's zinter).
        value = aggregateScores(value, s * other.weight, how);
      }
      result.set(member, value);
    }
  } else {
    const [first, ...others] = sources;
    for (const { member, score } of first.entries()) {
      if (!others.some((other) => other.has(member))) result.set(member, score);
    }
  }
  return result;
}

/**
 * Reads the input keys of a set operation (sorted sets or plain sets);
 * null after replying WRONGTYPE. The STORE forms read them as reads too
 * (misses counted, `keymiss` fired), as Redis does.
 */
function readSources(
  client: Client,
  keys: readonly string[],
): Source[] | null {
  const sources: Source[] = [];
  for (const key of keys) {
    const value = lookupRead(client, key);
    if (
      value !== undefined && !(value instanceof SortedSet) &&
      !(value instanceof RedisSet)
    ) {
      client.out.error(Errors.wrongType);
      return null;
    }
    sources.push(sourceOf(value));
  }
  return sources;
}

/**
 * ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (Redis's
 * zunionInterDiffGenericCommand): `numkeysAt` is the index of numkeys,
 * `dst` the STORE destination.
 */
function setOperationGeneric(
  client: Client,
  argv: string[],
  numkeysAt: number,
  op: SetOperation,
  dst?: string,
  cardinalityOnly = false,
): void {
  const numkeys = parseInteger(argv[numkeysAt]);
  if (numkeys === null) {
    client.out.error(Errors.notInteger);
    return;
  }
  if (numkeys < 1) {
    client.out.error(
      `ERR at least 1 input key is needed for '${
        argv[0].toLowerCase()
      }' command`,
    );
    return;
  }
  if (numkeys > argv.length - numkeysAt - 1) {
    client.out.error(Errors.syntax);
    return;
  }
  const firstKey = numkeysAt + 1;
  const sources = readSources(
    client,
    argv.slice(firstKey, firstKey + numkeys),
  );
  if (sources === null) return;
  let how: Aggregate = "sum";
  let withScores = false;
  let limit = 0;
  for (let j = firstKey + numkeys; j < argv.length; j++) {
    const left = argv.length - j;
    const full = op !== "diff" && !cardinalityOnly;
    if (full && left >= numkeys + 1 && isKeyword(argv[j], "weights")) {
      for (let i = 0; i < numkeys; i++) {
        const weight = scoreArg(client, argv[++j], Messages.weight);
        if (weight === null) return;
        sources[i].weight = weight;
      }
    } else if (full && left >= 2 && isKeyword(argv[j], "aggregate")) {
      const word = argv[++j].toLowerCase();
      if (word === "sum" || word === "min" || word === "max") how = word;
      else {
        client.out.error(Errors.syntax);
        return;
      }
    } else if (cardinalityOnly && left >= 2 && isKeyword(argv[j], "limit")) {
      const n = parseInteger(argv[++j]);
      if (n === null || n < 0) {
        client.out.error(Messages.limit);
        return;
      }
      limit = n;
    } else if (
      dst === undefined && !cardinalityOnly &&
      isKeyword(argv[j], "withscores")
    ) {
      withScores = true;
    } else {
      client.out.error(Errors.syntax);
      return;
    }
  }
  const result = computeSetOperation(sources, op, how);
  if (cardinalityOnly) {
    client.out.integer(limit > 0 ? Math.min(limit, result.size) : result.size);
    return;
  }
  const items = [...result].map(([member, score]) => ({ member, score }));
  if (dst !== undefined) {
    storeSortedSet(client, dst, buildSortedSet(client, items), `z${op}store`);
    return;
  }
  replyScored(
    client,
    [...buildSortedSet(client, items, "skiplist")],
    withScores,
  );
}

/** ZRANDMEMBER copies the members once the count exceeds a third of them. */
const RANDMEMBER_SUB_STRATEGY_MUL = 3;

function zrandmember(client: Client, argv: string[]): void {
  if (argv.length === 2) {
    const zset = readSortedSet(client, argv[1]);
    if (zset === null) return;
    if (zset === undefined) client.out.null();
    else client.out.bulk(zset.randomNode().member);
    return;
  }
  const exact = parseInt64(argv[2]);
  if (exact === null) {
    client.out.error(Errors.notInteger);
    return;
  }
  if (exact < -LONG_MAX) {
    client.out.error(Messages.countRange);
    return;
  }
  if (
    argv.length > 4 || (argv.length === 4 && !isKeyword(argv[3], "withscores"))
  ) {
    client.out.error(Errors.syntax);
    return;
  }
  const withScores = argv.length === 4;
  if (withScores && (exact < -LONG_MAX / 2n || exact > LONG_MAX / 2n)) {
    client.out.error(Messages.outOfRange);
    return;
  }
  const n = Number(exact);
  const zset = readSortedSet(client, argv[1]);
  if (zset === null) return;
  if (zset === undefined || n === 0) {
    client.out.emptyArray();
    return;
  }
  replyScored(client, randomMembers(zset, n), withScores);
}

/**
 * ZRANDMEMBER's choice: `-count` members with repetition for a negative
 * count, otherwise up to `count` distinct members.
 */
function randomMembers(zset: SortedSet, count: number): ZNode[] {
  const picked: ZNode[] = [];
  if (count < 0) {
    for (let i = 0; i < -count; i++) picked.push(zset.randomNode());
    return picked;
  }
  if (count >= zset.size) return [...zset];
  if (count * RANDMEMBER_SUB_STRATEGY_MUL > zset.size) {
    // Shuffle the first `count` places of a copy (partial Fisher-Yates).
    const all = [...zset];
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (all.length - i));
      [all[i], all[j]] = [all[j], all[i]];
      picked.push(all[i]);
    }
    return picked;
  }
  const seen = new Set<ZNode>();
  while (seen.size < count) seen.add(zset.randomNode());
  return [...seen];
}

function zscan(client: Client, argv: string[]): void {
  const cursor = cursorArg(client, argv[2]);
  if (cursor === null) return;
  const zset = readSortedSet(client, argv[1]);
  if (zset === null) return;
  if (zset === undefined) {
    replyScan(client, 0, []);
    return;
  }
  const options = scanOptions(client, argv, 3, false);
  if (!options) return;
  const { count, pattern } = options;
  // A listpack is returned whole, in order; a skiplist is scanned by hash.
  let next = 0;
  let members: string[];
  if (zset.encoding === "listpack") {
    members = [...zset].map((node) => node.member);
  } else {
    const step = zset.scan(cursor, count);
    next = step.cursor;
    members = step.keys;
  }
  const found: string[] = [];
  for (const member of members) {
    if (pattern !== undefined && !globMatch(pattern, member)) continue;
    found.push(member, formatDouble(zset.score(member)!));
  }
  replyScan(client, next, found);
}

/** The sorted-set command family. */
export const zsetCommands: CommandSpec[] = [
  {
    name: "zadd",
    arity: -4,
    flags: ["write", "denyoom", "fast"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RW", "update"]),
    ],
    summary:
      "Adds members with scores, or updates their scores, creating the sorted set when missing.",
    complexity:
      "O(log(N)) per member added or updated, N being the number of members.",
    since: "1.2.0",
    group: "sorted-set",
    handler: zadd,
  },
  {
    name: "zincrby",
    arity: 4,
    flags: ["write", "denyoom", "fast"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RW", "access", "update"]),
    ],
    summary:
      "Adds an increment to a member's score, adding the member when absent.",
    complexity: "O(log(N)) where N is the number of members.",
    since: "1.2.0",
    group: "sorted-set",
    handler: zincrby,
  },
  {
    name: "zrem",
    arity: -3,
    flags: ["write", "fast"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RW", "delete"]),
    ],
    summary:
      "Removes members from a sorted set; deletes the key once it is empty.",
    complexity: "O(M*log(N)) for M members removed from N.",
    since: "1.2.0",
    group: "sorted-set",
    handler: zrem,
  },
  {
    name: "zcard",
    arity: 2,
    flags: ["readonly", "fast"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RO"]),
    ],
    summary: "Returns how many members a sorted set holds.",
    complexity: "O(1)",
    since: "1.2.0",
    group: "sorted-set",
    handler: zcard,
  },
  {
    name: "zscore",
    arity: 3,
    flags: ["readonly", "fast"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RO", "access"]),
    ],
    summary: "Returns a member's score.",
    complexity: "O(1)",
    since: "1.2.0",
    group: "sorted-set",
    handler: zscore,
  },
  {
    name: "zmscore",
    arity: -3,
    flags: ["readonly", "fast"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RO", "access"]),
    ],
    summary: "Returns the scores of several members.",
    complexity: "O(N) for N members asked for.",
    since: "6.2.0",
    group: "sorted-set",
    handler: zmscore,
  },
  {
    name: "zrank",
    arity: 3,
    flags: ["readonly", "fast"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RO", "access"]),
    ],
    summary: "Returns a member's position, counted from the lowest score.",
    complexity: "O(log(N))",
    since: "2.0.0",
    group: "sorted-set",
    handler: (client, argv) => rankGeneric(client, argv, false),
  },
  {
    name: "zrevrank",
    arity: 3,
    flags: ["readonly", "fast"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RO", "access"]),
    ],
    summary: "Returns a member's position, counted from the highest score.",
    complexity: "O(log(N))",
    since: "2.0.0",
    group: "sorted-set",
    handler: (client, argv) => rankGeneric(client, argv, true),
  },
  {
    name: "zcount",
    arity: 4,
    flags: ["readonly", "fast"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RO", "access"]),
    ],
    summary: "Counts the members whose scores lie in an interval.",
    complexity: "O(log(N))",
    since: "2.0.0",
    group: "sorted-set",
    handler: zcount,
  },
  {
    name: "zlexcount",
    arity: 4,
    flags: ["readonly", "fast"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RO", "access"]),
    ],
    summary:
      "Counts the members in a lexicographic interval (all scores equal).",
    complexity: "O(log(N))",
    since: "2.8.9",
    group: "sorted-set",
    handler: zlexcount,
  },
  {
    name: "zrange",
    arity: -4,
    flags: ["readonly"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RO", "access"]),
    ],
    summary:
      "Returns members by rank, score interval or lexicographic interval, in either direction.",
    complexity: "O(log(N)+M) for M members returned.",
    since: "1.2.0",
    group: "sorted-set",
    handler: (client, argv) => rangeGeneric(client, argv, 1, null, null),
  },
  {
    name: "zrangestore",
    arity: -5,
    flags: ["write", "denyoom"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["OW", "update"]),
      keysAt(2, ["RO", "access"]),
    ],
    summary:
      "Stores a range of a sorted set, chosen as ZRANGE chooses it, under another key.",
    complexity: "O(log(N)+M) for M members stored.",
    since: "6.2.0",
    group: "sorted-set",
    handler: (client, argv) =>
      rangeGeneric(client, argv, 2, null, null, argv[1]),
  },
  {
    name: "zrevrange",
    arity: -4,
    flags: ["readonly"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RO", "access"]),
    ],
    summary: "Returns members by rank from the highest score down.",
    complexity: "O(log(N)+M) for M members returned.",
    since: "1.2.0",
    group: "sorted-set",
    docFlags: [
      "deprecated",
    ],
    deprecatedSince: "6.2.0",
    replacedBy: "`ZRANGE` with the `REV` argument",
    handler: (client, argv) => rangeGeneric(client, argv, 1, "rank", true),
  },
  {
    name: "zrangebyscore",
    arity: -4,
    flags: ["readonly"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RO", "access"]),
    ],
    summary:
      "Returns the members whose scores lie in an interval, lowest first.",
    complexity: "O(log(N)+M) for M members returned.",
    since: "1.0.5",
    group: "sorted-set",
    docFlags: [
      "deprecated",
    ],
    deprecatedSince: "6.2.0",
    replacedBy: "`ZRANGE` with the `BYSCORE` argument",
    handler: (client, argv) => rangeGeneric(client, argv, 1, "score", false),
  },
  {
    name: "zrevrangebyscore",
    arity: -4,
    flags: ["readonly"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RO", "access"]),
    ],
    summary:
      "Returns the members whose scores lie in an interval, highest first.",
    complexity: "O(log(N)+M) for M members returned.",
    since: "2.2.0",
    group: "sorted-set",
    docFlags: [
      "deprecated",
    ],
    deprecatedSince: "6.2.0",
    replacedBy: "`ZRANGE` with the `REV` and `BYSCORE` arguments",
    handler: (client, argv) => rangeGeneric(client, argv, 1, "score", true),
  },
  {
    name: "zrangebylex",
    arity: -4,
    flags: ["readonly"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RO", "access"]),
    ],
    summary:
      "Returns the members in a lexicographic interval, in ascending order.",
    complexity: "O(log(N)+M) for M members returned.",
    since: "2.8.9",
    group: "sorted-set",
    docFlags: [
      "deprecated",
    ],
    deprecatedSince: "6.2.0",
    replacedBy: "`ZRANGE` with the `BYLEX` argument",
    handler: (client, argv) => rangeGeneric(client, argv, 1, "lex", false),
  },
  {
    name: "zrevrangebylex",
    arity: -4,
    flags: ["readonly"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RO", "access"]),
    ],
    summary:
      "Returns the members in a lexicographic interval, in descending order.",
    complexity: "O(log(N)+M) for M members returned.",
    since: "2.8.9",
    group: "sorted-set",
    docFlags: [
      "deprecated",
    ],
    deprecatedSince: "6.2.0",
    replacedBy: "`ZRANGE` with the `REV` and `BYLEX` arguments",
    handler: (client, argv) => rangeGeneric(client, argv, 1, "lex", true),
  },
  {
    name: "zremrangebyrank",
    arity: 4,
    flags: ["write"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RW", "delete"]),
    ],
    summary: "Removes the members in a range of ranks.",
    complexity: "O(log(N)+M) for M members removed.",
    since: "2.0.0",
    group: "sorted-set",
    handler: (client, argv) => removeRangeGeneric(client, argv, "rank"),
  },
  {
    name: "zremrangebyscore",
    arity: 4,
    flags: ["write"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RW", "delete"]),
    ],
    summary: "Removes the members whose scores lie in an interval.",
    complexity: "O(log(N)+M) for M members removed.",
    since: "1.2.0",
    group: "sorted-set",
    handler: (client, argv) => removeRangeGeneric(client, argv, "score"),
  },
  {
    name: "zremrangebylex",
    arity: 4,
    flags: ["write"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RW", "delete"]),
    ],
    summary: "Removes the members in a lexicographic interval.",
    complexity: "O(log(N)+M) for M members removed.",
    since: "2.8.9",
    group: "sorted-set",
    handler: (client, argv) => removeRangeGeneric(client, argv, "lex"),
  },
  {
    name: "zpopmin",
    arity: -2,
    flags: ["write", "fast"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RW", "access", "delete"]),
    ],
    summary: "Removes and returns the members with the lowest scores.",
    complexity: "O(log(N)*M) for M members popped.",
    since: "5.0.0",
    group: "sorted-set",
    handler: (client, argv) => popGeneric(client, argv, "min"),
  },
  {
    name: "zpopmax",
    arity: -2,
    flags: ["write", "fast"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RW", "access", "delete"]),
    ],
    summary: "Removes and returns the members with the highest scores.",
    complexity: "O(log(N)*M) for M members popped.",
    since: "5.0.0",
    group: "sorted-set",
    handler: (client, argv) => popGeneric(client, argv, "max"),
  },
  {
    name: "zmpop",
    arity: -4,
    flags: ["write"],
    acl: ["sortedset"],
    keySpecs: [
      keysCounted(1, ["RW", "access", "delete"]),
    ],
    summary:
      "Pops the lowest- or highest-scored members of the first non-empty sorted set among several keys.",
    complexity: "O(K)+O(M*log(N)) for K keys and M members popped.",
    since: "7.0.0",
    group: "sorted-set",
    handler: zmpop,
  },
  {
    name: "zunion",
    arity: -3,
    flags: ["readonly"],
    acl: ["sortedset"],
    keySpecs: [
      keysCounted(1, ["RO", "access"]),
    ],
    summary:
      "Returns the union of sorted sets (and sets), with weighted and aggregated scores.",
    complexity: "O(N)+O(M*log(M)) for N input members and M result members.",
    since: "6.2.0",
    group: "sorted-set",
    handler: (client, argv) => setOperationGeneric(client, argv, 1, "union"),
  },
  {
    name: "zinter",
    arity: -3,
    flags: ["readonly"],
    acl: ["sortedset"],
    keySpecs: [
      keysCounted(1, ["RO", "access"]),
    ],
    summary:
      "Returns the intersection of sorted sets (and sets), with weighted and aggregated scores.",
    complexity:
      "O(N*K)+O(M*log(M)) for the smallest input N, K inputs and M result members.",
    since: "6.2.0",
    group: "sorted-set",
    handler: (client, argv) => setOperationGeneric(client, argv, 1, "inter"),
  },
  {
    name: "zdiff",
    arity: -3,
    flags: ["readonly"],
    acl: ["sortedset"],
    keySpecs: [
      keysCounted(1, ["RO", "access"]),
    ],
    summary:
      "Returns the members of the first sorted set found in none of the others.",
    complexity:
      "O(L+(N-K)log(N)) in the worst case, L being the total input size.",
    since: "6.2.0",
    group: "sorted-set",
    handler: (client, argv) => setOperationGeneric(client, argv, 1, "diff"),
  },
  {
    name: "zunionstore",
    arity: -4,
    flags: ["write", "denyoom"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["OW", "update"]),
      keysCounted(2, ["RO", "access"]),
    ],
    summary: "Stores the union of sorted sets (and sets) under a key.",
    complexity: "O(N)+O(M*log(M)) for N input members and M result members.",
    since: "2.0.0",
    group: "sorted-set",
    handler: (client, argv) =>
      setOperationGeneric(client, argv, 2, "union", argv[1]),
  },
  {
    name: "zinterstore",
    arity: -4,
    flags: ["write", "denyoom"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["OW", "update"]),
      keysCounted(2, ["RO", "access"]),
    ],
    summary: "Stores the intersection of sorted sets (and sets) under a key.",
    complexity:
      "O(N*K)+O(M*log(M)) for the smallest input N, K inputs and M result members.",
    since: "2.0.0",
    group: "sorted-set",
    handler: (client, argv) =>
      setOperationGeneric(client, argv, 2, "inter", argv[1]),
  },
  {
    name: "zdiffstore",
    arity: -4,
    flags: ["write", "denyoom"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["OW", "update"]),
      keysCounted(2, ["RO", "access"]),
    ],
    summary: "Stores the difference of sorted sets under a key.",
    complexity:
      "O(L+(N-K)log(N)) in the worst case, L being the total input size.",
    since: "6.2.0",
    group: "sorted-set",
    handler: (client, argv) =>
      setOperationGeneric(client, argv, 2, "diff", argv[1]),
  },
  {
    name: "zintercard",
    arity: -3,
    flags: ["readonly"],
    acl: ["sortedset"],
    keySpecs: [
      keysCounted(1, ["RO", "access"]),
    ],
    summary:
      "Counts the members of the intersection of sorted sets, stopping at an optional limit.",
    complexity: "O(N*K) for the smallest input N and K inputs.",
    since: "7.0.0",
    group: "sorted-set",
    handler: (client, argv) =>
      setOperationGeneric(client, argv, 1, "inter", undefined, true),
  },
  {
    name: "zrandmember",
    arity: -2,
    flags: ["readonly"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RO", "access"]),
    ],
    tips: ["nondeterministic_output"],
    summary:
      "Returns random members, distinct for a positive count, possibly repeated for a negative one.",
    complexity: "O(N) for N members returned.",
    since: "6.2.0",
    group: "sorted-set",
    handler: zrandmember,
  },
  {
    name: "zscan",
    arity: -3,
    flags: ["readonly"],
    acl: ["sortedset"],
    keySpecs: [
      keysAt(1, ["RO", "access"]),
    ],
    tips: ["nondeterministic_output"],
    summary: "Walks the members and scores of a sorted set a batch at a time.",
    complexity: "O(1) per call; O(N) for a whole iteration.",
    since: "2.8.0",
    group: "sorted-set",
    handler: zscan,
  },
];
