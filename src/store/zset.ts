/**
 * Sorted sets (Redis's t_zset.c data structures): a skip list with spans,
 * ordered by (score, member bytes), so rank, range and deletion take
 * O(log N), plus a hash table from member to its skip-list node for O(1)
 * score lookups and stateless ZSCAN cursors. Pure data: no I/O.
 *
 * Redis keeps small sorted sets in a listpack and converts them to a skip
 * list once `zset-max-listpack-entries` or `-value` is exceeded, never back.
 * redeno always uses the skip list and only tracks that state, so OBJECT
 * ENCODING, ZSCAN and the digest answer as Redis would.
 * @module
 */

import { KeyTable, type ScanStep } from "./keytable.ts";

/** Levels a node may have (Redis's ZSKIPLIST_MAXLEVEL). */
const MAX_LEVEL = 32;
/** Chance that a node gets one more level (Redis's ZSKIPLIST_P). */
const LEVEL_P = 0.25;

/**
 * One member of the skip list. Most nodes (three in four) have a single
 * level, so level 0 lives in plain fields and only taller nodes carry arrays
 * for the levels above; the span of a level-0 link is always 1.
 */
export class ZNode {
  /** The next node at level 0 (in ascending order), or null at the tail. */
  next: ZNode | null = null;
  /** The previous node, or null for the first. */
  backward: ZNode | null = null;
  /** Forward links of levels 1 and up; null for one-level nodes. */
  upper: (ZNode | null)[] | null;
  /** Ranks each upper link skips over (Redis's spans). */
  spans: number[] | null;

  constructor(
    /** The member (a binary string). */
    readonly member: string,
    /** The score; never NaN. */
    public score: number,
    level: number,
  ) {
    if (level > 1) {
      this.upper = new Array(level - 1).fill(null);
      this.spans = new Array(level - 1).fill(0);
    } else {
      this.upper = null;
      this.spans = null;
    }
  }
}

function forwardAt(x: ZNode, i: number): ZNode | null {
  return i === 0 ? x.next : x.upper![i - 1];
}

function setForwardAt(x: ZNode, i: number, node: ZNode | null): void {
  if (i === 0) x.next = node;
  else x.upper![i - 1] = node;
}

function spanAt(x: ZNode, i: number): number {
  return i === 0 ? 1 : x.spans![i - 1];
}

function setSpanAt(x: ZNode, i: number, span: number): void {
  if (i !== 0) x.spans![i - 1] = span;
}

/** True when `x` sorts before (score, member). */
function sortsBefore(x: ZNode, score: number, member: string): boolean {
  return x.score < score || (x.score === score && x.member < member);
}

function randomLevel(): number {
  let level = 1;
  while (Math.random() < LEVEL_P && level < MAX_LEVEL) level++;
  return level;
}

/** A score interval; `(` bounds are exclusive. */
export interface ScoreRange {
  min: number;
  max: number;
  minExclusive: boolean;
  maxExclusive: boolean;
}

/**
 * One end of a lexicographic interval: `-` (inf -1) and `+` (inf 1) are
 * below and above every member; otherwise `value`, inclusive (`[`) or
 * exclusive (`(`).
 */
export interface LexBound {
  inf: -1 | 0 | 1;
  value: string;
  exclusive: boolean;
}

/** A lexicographic interval, as ZRANGEBYLEX takes it. */
export interface LexRange {
  min: LexBound;
  max: LexBound;
}

function scoreAboveMin(score: number, range: ScoreRange): boolean {
  return range.minExclusive ? score > range.min : score >= range.min;
}

function scoreBelowMax(score: number, range: ScoreRange): boolean {
  return range.maxExclusive ? score < range.max : score <= range.max;
}

/** True when no score can lie in `range`. */
function scoreRangeEmpty(range: ScoreRange): boolean {
  return range.min > range.max ||
    (range.min === range.max && (range.minExclusive || range.maxExclusive));
}

function memberAboveMin(member: string, range: LexRange): boolean {
  const { inf, value, exclusive } = range.min;
  if (inf !== 0) return inf < 0;
  return exclusive ? member > value : member >= value;
}

function memberBelowMax(member: string, range: LexRange): boolean {
  const { inf, value, exclusive } = range.max;
  if (inf !== 0) return inf > 0;
  return exclusive ? member < value : member <= value;
}

/** Orders two lex bounds, `-` lowest and `+` highest. */
function compareLexBounds(a: LexBound, b: LexBound): number {
  if (a.inf !== 0 || b.inf !== 0) return a.inf - b.inf;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** True when no member can lie in `range`. */
function lexRangeEmpty(range: LexRange): boolean {
  const cmp = compareLexBounds(range.min, range.max);
  return cmp > 0 ||
    (cmp === 0 && (range.min.exclusive || range.max.exclusive));
}

/**
 * The skip list alone: nodes ordered by (score, member), with spans so a
 * node's rank is found on the way down. Ranks here are 1-based, as in Redis.
 */
export class SkipList {
  private readonly header = new ZNode("", 0, MAX_LEVEL);
  /** The last node, or null when empty. */
  tail: ZNode | null = null;
  /** Number of nodes. */
  length = 0;
  private level = 1;
  /** Scratch for the nodes whose links a change touches (Redis's update[]). */
  private readonly update: ZNode[] = new Array(MAX_LEVEL).fill(this.header);
  private readonly rank = new Array<number>(MAX_LEVEL).fill(0);

  /** The first node, or null when empty. */
  get first(): ZNode | null {
    return this.header.next;
  }

  /** Inserts a node for (score, member); the member must not be present. */
  insert(score: number, member: string): ZNode {
    const update = this.update;
    const rank = this.rank;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1];
      for (;;) {
        const next = forwardAt(x, i);
        if (next === null || !sortsBefore(next, score, member)) break;
        rank[i] += spanAt(x, i);
        x = next;
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.header;
        setSpanAt(this.header, i, this.length);
      }
      this.level = level;
    }
    const node = new ZNode(member, score, level);
    for (let i = 0; i < level; i++) {
      const u = update[i];
      setForwardAt(node, i, forwardAt(u, i));
      setForwardAt(u, i, node);
      setSpanAt(node, i, spanAt(u, i) - (rank[0] - rank[i]));
      setSpanAt(u, i, rank[0] - rank[i] + 1);
    }
    for (let i = level; i < this.level; i++) {
      setSpanAt(update[i], i, spanAt(update[i], i) + 1);
    }
    node.backward = update[0] === this.header ? null : update[0];
    if (node.next !== null) node.next.backward = node;
    else this.tail = node;
    this.length++;
    return node;
  }

  /** Unlinks `x`, given the last node before it on every level in `update`. */
  private unlink(x: ZNode, update: ZNode[]): void {
    for (let i = 0; i < this.level; i++) {
      const u = update[i];
      if (forwardAt(u, i) === x) {
        setSpanAt(u, i, spanAt(u, i) + spanAt(x, i) - 1);
        setForwardAt(u, i, forwardAt(x, i));
      } else {
        setSpanAt(u, i, spanAt(u, i) - 1);
      }
    }
    if (x.next !== null) x.next.backward = x.backward;
    else this.tail = x.backward;
    while (this.level > 1 && forwardAt(this.header, this.level - 1) === null) {
      this.level--;
    }
    this.length--;
  }

  /** Removes the node for (score, member); false when absent. */
  delete(score: number, member: string): boolean {
    const x = this.findUpdateWhile((n) => sortsBefore(n, score, member)).next;
    if (x === null || x.score !== score || x.member !== member) return false;
    this.unlink(x, this.update);
    return true;
  }

  /**
   * Gives `node` a new score, in place when its position does not change
   * (Redis's zslUpdateScore); returns the node now holding the member.
   */
  updateScore(node: ZNode, score: number): ZNode {
    const prev = node.backward;
    const next = node.next;
    if (
      (prev === null || sortsBefore(prev, score, node.member)) &&
      (next === null || !sortsBefore(next, score, node.member))
    ) {
      node.score = score;
      return node;
    }
    this.delete(node.score, node.member);
    return this.insert(score, node.member);
  }

  /** 1-based rank of (score, member), or 0 when absent. */
  rankOf(score: number, member: string): number {
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const next = forwardAt(x, i);
        if (
          next === null ||
          !(next.score < score ||
            (next.score === score && next.member <= member))
        ) break;
        rank += spanAt(x, i);
        x = next;
      }
      if (x !== this.header && x.member === member) return rank;
    }
    return 0;
  }

  /** The node of 1-based `rank`, or null when out of range. */
  byRank(rank: number): ZNode | null {
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const next = forwardAt(x, i);
        if (next === null || traversed + spanAt(x, i) > rank) break;
        traversed += spanAt(x, i);
        x = next;
      }
      if (traversed === rank) return x === this.header ? null : x;
    }
    return null;
  }

  /** The first node with a score in `range`, or null. */
  firstInScoreRange(range: ScoreRange): ZNode | null {
    if (!this.touchesScoreRange(range)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const next = forwardAt(x, i);
        if (next === null || scoreAboveMin(next.score, range)) break;
        x = next;
      }
    }
    const first = x.next!;
    return scoreBelowMax(first.score, range) ? first : null;
  }

  /** The last node with a score in `range`, or null. */
  lastInScoreRange(range: ScoreRange): ZNode | null {
    if (!this.touchesScoreRange(range)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const next = forwardAt(x, i);
        if (next === null || !scoreBelowMax(next.score, range)) break;
        x = next;
      }
    }
    return x !== this.header && scoreAboveMin(x.score, range) ? x : null;
  }

  /** The first node with a member in `range`, or null. */
  firstInLexRange(range: LexRange): ZNode | null {
    if (!this.touchesLexRange(range)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const next = forwardAt(x, i);
        if (next === null || memberAboveMin(next.member, range)) break;
        x = next;
      }
    }
    const first = x.next!;
    return memberBelowMax(first.member, range) ? first : null;
  }

  /** The last node with a member in `range`, or null. */
  lastInLexRange(range: LexRange): ZNode | null {
    if (!this.touchesLexRange(range)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const next = forwardAt(x, i);
        if (next === null || !memberBelowMax(next.member, range)) break;
        x = next;
      }
    }
    return x !== this.header && memberAboveMin(x.member, range) ? x : null;
  }

  /**
   * Removes nodes from `x.next` (with `update` filled for `x`) while
   * `inside` accepts them, calling `removed` for each; returns the count.
   */
  private deleteFrom(
    x: ZNode,
    inside: (node: ZNode, index: number) => boolean,
    removed: (node: ZNode) => void,
  ): number {
    let node = x.next;
    let count = 0;
    while (node !== null && inside(node, count)) {
      const next = node.next;
      this.unlink(node, this.update);
      removed(node);
      count++;
      node = next;
    }
    return count;
  }

  /**
   * Fills `update` with the last node on each level that `before` accepts
   * (`before` must hold for a prefix of the list); returns the level-0 one.
   */
  private findUpdateWhile(before: (x: ZNode) => boolean): ZNode {
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const next = forwardAt(x, i);
        if (next === null || !before(next)) break;
        x = next;
      }
      this.update[i] = x;
    }
    return x;
  }

  /** Removes every node with a score in `range`; returns the count. */
  deleteScoreRange(range: ScoreRange, removed: (node: ZNode) => void): number {
    const x = this.findUpdateWhile((n) => !scoreAboveMin(n.score, range));
    return this.deleteFrom(x, (n) => scoreBelowMax(n.score, range), removed);
  }

  /** Removes every node with a member in `range`; returns the count. */
  deleteLexRange(range: LexRange, removed: (node: ZNode) => void): number {
    const x = this.findUpdateWhile((n) => !memberAboveMin(n.member, range));
    return this.deleteFrom(x, (n) => memberBelowMax(n.member, range), removed);
  }

  /** Removes the nodes of 1-based ranks `start..end`; returns the count. */
  deleteRankRange(
    start: number,
    end: number,
    removed: (node: ZNode) => void,
  ): number {
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (;;) {
        const next = forwardAt(x, i);
        if (next === null || traversed + spanAt(x, i) >= start) break;
        traversed += spanAt(x, i);
        x = next;
      }
      this.update[i] = x;
    }
    const count = end - start + 1;
    return this.deleteFrom(x, (_, index) => index < count, removed);
  }

  private touchesScoreRange(range: ScoreRange): boolean {
    if (scoreRangeEmpty(range)) return false;
    const tail = this.tail;
    if (tail === null || !scoreAboveMin(tail.score, range)) return false;
    return scoreBelowMax(this.header.next!.score, range);
  }

  /** False when `range` cannot hold a member (zslIsInLexRange): empty, or past either end. */
  touchesLexRange(range: LexRange): boolean {
    if (lexRangeEmpty(range)) return false;
    const tail = this.tail;
    if (tail === null || !memberAboveMin(tail.member, range)) return false;
    return memberBelowMax(this.header.next!.member, range);
  }
}

/** The thresholds of the listpack encoding, read from the config at each write. */
export interface ListpackLimits {
  /** zset-max-listpack-entries */
  maxEntries: number;
  /** zset-max-listpack-value: longest member in bytes. */
  maxValue: number;
}

/** A sorted set value. */
export class SortedSet {
  readonly type = "zset";
  /** What Redis would use for the same history; listpack turns into skiplist once. */
  encoding: "listpack" | "skiplist" = "listpack";
  private readonly list = new SkipList();
  private readonly nodes = new KeyTable<ZNode>();

  /** Number of members. */
  get size(): number {
    return this.list.length;
  }

  /** The lowest-ranked node, or null when empty. */
  get first(): ZNode | null {
    return this.list.first;
  }

  /** The highest-ranked node, or null when empty. */
  get last(): ZNode | null {
    return this.list.tail;
  }

  /** The score of `member`, or undefined. */
  score(member: string): number | undefined {
    return this.nodes.get(member)?.score;
  }

  /** True when `member` is present. */
  has(member: string): boolean {
    return this.nodes.has(member);
  }

  /**
   * Sets the score of `member`, adding it when absent (converting to the
   * skiplist encoding as Redis's zsetAdd would); true when it was added.
   * A listpack stores scores as text, where -0 reads back as 0.
   */
  set(member: string, score: number, limits: ListpackLimits): boolean {
    const node = this.nodes.get(member);
    if (
      node === undefined && this.encoding === "listpack" &&
      (this.size + 1 > limits.maxEntries || member.length > limits.maxValue)
    ) {
      this.encoding = "skiplist";
    }
    if (this.encoding === "listpack") score += 0; // -0 becomes 0
    if (node !== undefined) {
      // Like Redis, 0 and -0 count as equal: the stored sign stays.
      if (node.score !== score) {
        const moved = this.list.updateScore(node, score);
        if (moved !== node) this.nodes.set(member, moved, 0);
      }
      return false;
    }
    this.nodes.set(member, this.list.insert(score, member), 0);
    return true;
  }

  /** Removes `member`; true when it was present. */
  delete(member: string): boolean {
    const node = this.nodes.get(member);
    if (node === undefined) return false;
    this.list.delete(node.score, member);
    this.nodes.delete(member);
    return true;
  }

  /** 0-based rank of `member` (from the highest score when `reverse`), or -1. */
  rank(member: string, reverse = false): number {
    const node = this.nodes.get(member);
    if (node === undefined) return -1;
    const rank = this.list.rankOf(node.score, member) - 1;
    return reverse ? this.size - 1 - rank : rank;
  }

  /** The node at 0-based `rank` in ascending order, or null. */
  byRank(rank: number): ZNode | null {
    return rank < 0 ? null : this.list.byRank(rank + 1);
  }

  /** The first node with a score in `range`, or null. */
  firstInScoreRange(range: ScoreRange): ZNode | null {
    return this.list.firstInScoreRange(range);
  }

  /** The last node with a score in `range`, or null. */
  lastInScoreRange(range: ScoreRange): ZNode | null {
    return this.list.lastInScoreRange(range);
  }

  /**
   * The first node with a member in `range`, or null. Members of different
   * scores need not be in lex order; a listpack is then walked in order, as
   * Redis's zzlFirstInLexRange does, so the answer is Redis's (for a
   * skiplist Redis's own answer depends on its random levels).
   */
  firstInLexRange(range: LexRange): ZNode | null {
    if (this.encoding === "skiplist") return this.list.firstInLexRange(range);
    if (!this.list.touchesLexRange(range)) return null;
    for (let x = this.list.first; x !== null; x = x.next) {
      if (memberAboveMin(x.member, range)) {
        return memberBelowMax(x.member, range) ? x : null;
      }
    }
    return null;
  }

  /** The last node with a member in `range`, or null (see firstInLexRange). */
  lastInLexRange(range: LexRange): ZNode | null {
    if (this.encoding === "skiplist") return this.list.lastInLexRange(range);
    if (!this.list.touchesLexRange(range)) return null;
    for (let x = this.list.tail; x !== null; x = x.backward) {
      if (memberBelowMax(x.member, range)) {
        return memberAboveMin(x.member, range) ? x : null;
      }
    }
    return null;
  }

  /** Number of members with a score in `range`, in O(log N). */
  countInScoreRange(range: ScoreRange): number {
    const first = this.list.firstInScoreRange(range);
    if (first === null) return 0;
    const last = this.list.lastInScoreRange(range)!;
    return this.list.rankOf(last.score, last.member) -
      this.list.rankOf(first.score, first.member) + 1;
  }

  /**
   * Number of members in `range` (ZLEXCOUNT): from the first in range on, as
   * Redis counts, which for members not in lex order is not the number of
   * members inside the bounds.
   */
  countInLexRange(range: LexRange): number {
    const first = this.firstInLexRange(range);
    if (first === null) return 0;
    if (this.encoding === "listpack") {
      let count = 0;
      for (let x: ZNode | null = first; x !== null; x = x.next) {
        if (!memberBelowMax(x.member, range)) break;
        count++;
      }
      return count;
    }
    const list = this.list;
    const last = list.lastInLexRange(range);
    const end = last === null
      ? this.size
      : list.rankOf(last.score, last.member);
    return end - list.rankOf(first.score, first.member) + 1;
  }

  /** Removes the members with a score in `range`; returns the count. */
  deleteScoreRange(range: ScoreRange): number {
    return this.list.deleteScoreRange(
      range,
      (n) => this.nodes.delete(n.member),
    );
  }

  /** Removes the members in `range` (walked as firstInLexRange walks); returns the count. */
  deleteLexRange(range: LexRange): number {
    if (this.encoding === "skiplist") {
      return this.list.deleteLexRange(
        range,
        (n) => this.nodes.delete(n.member),
      );
    }
    let count = 0;
    for (let x = this.firstInLexRange(range); x !== null; count++) {
      if (!memberBelowMax(x.member, range)) break;
      const next = x.next;
      this.delete(x.member);
      x = next;
    }
    return count;
  }

  /** Removes the members of 0-based ranks `start..end` (valid, inclusive). */
  deleteRankRange(start: number, end: number): number {
    return this.list.deleteRankRange(
      start + 1,
      end + 1,
      (n) => this.nodes.delete(n.member),
    );
  }

  /** A member chosen uniformly at random (the set must not be empty). */
  randomNode(): ZNode {
    return this.list.byRank(1 + Math.floor(Math.random() * this.size))!;
  }

  /** One ZSCAN step over the skiplist encoding's hash table. */
  scan(cursor: number, count: number): ScanStep {
    return this.nodes.scan(cursor, count);
  }

  /** Every node in ascending order; the set must not change meanwhile. */
  *[Symbol.iterator](): IterableIterator<ZNode> {
    for (let x = this.list.first; x !== null; x = x.next) yield x;
  }

  /** A deep copy with the same encoding (COPY). */
  clone(): SortedSet {
    const copy = new SortedSet();
    copy.encoding = this.encoding;
    for (const node of this) {
      copy.nodes.set(node.member, copy.list.insert(node.score, node.member), 0);
    }
    return copy;
  }
}
