/**
 * SORT and SORT_RO (Redis's sort.c): sort a list, set or sorted set
 * numerically or byte-wise, by its elements or by external keys and hash
 * fields (BY), fetch related values (GET), page (LIMIT) and store the result
 * as a list (STORE).
 *
 * Redis breaks numeric ties by comparing the elements, so most results are
 * fully determined; only ALPHA with BY can leave ties, whose order then
 * follows the sort algorithm. That is why the algorithms are Redis's too:
 * glibc's stable merge sort (Array.prototype.sort is stable as well) for a
 * full sort, and Redis's partial quicksort when BY meets a LIMIT.
 * @module
 */

import type { Client } from "../client.ts";
import { Notify } from "../config.ts";
import { HashValue } from "../store/hash.ts";
import { isString, type RedisValue } from "../store/keyspace.ts";
import { ListValue } from "../store/list.ts";
import { RedisSet } from "../store/set.ts";
import { stringOf } from "../store/string.ts";
import { SortedSet } from "../store/zset.ts";
import { parseDouble } from "../util/numbers.ts";
import { type CommandSpec, type KeyReference, keysAt } from "./table.ts";
import {
  cString,
  Errors,
  integerArg,
  isKeyword,
  keyChanged,
  lookupRead,
} from "./util.ts";

const NOT_DOUBLE = "ERR One or more scores can't be converted into double";

/** One element being sorted, with what it sorts by. */
interface SortItem {
  element: string;
  /** Numeric sort key (0 when the BY key is missing). */
  score: number;
  /** ALPHA sort key from BY, or null when missing (sorts first). */
  by: string | null;
}

/** The parsed options of one SORT call. */
interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  by: string | null;
  /** BY given without `*`: keep the collection's own order. */
  dontSort: boolean;
  gets: string[];
  store: string | null;
}

/** memcmp order, shorter first on a common prefix. */
function compareBinary(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** strcoll in the C locale: byte order up to the first NUL. */
function compareCollated(a: string, b: string): number {
  return compareBinary(cString(a), cString(b));
}

const LEADING_SPACE = /^[ \t\n\v\f\r]*/;

/**
 * The element or BY value as a number, as Redis reads it with strtod:
 * leading whitespace allowed, nothing may follow but a NUL byte, and NaN or
 * out-of-range values fail (null). An empty text counts as 0.
 */
function sortScore(text: string): number | null {
  const c = cString(text);
  if (c.length === 0) return 0;
  return parseDouble(c.slice(LEADING_SPACE.exec(c)![0].length));
}

/**
 * What `pattern` gives for `element` (Redis's lookupKeyByPattern): `#` is
 * the element itself; otherwise the first `*` is replaced by the element and
 * the resulting key's string value, or with `->field` its hash field, is
 * returned. Null when the key, the field or a `*` is missing, or the key
 * holds another type. Looked up as a read even with STORE, as Redis does
 * (misses counted, `keymiss` fired).
 */
function lookupByPattern(
  client: Client,
  pattern: string,
  element: string,
): string | null {
  if (pattern[0] === "#" && (pattern.length === 1 || pattern[1] === "\0")) {
    return element;
  }
  const c = cString(pattern);
  const star = c.indexOf("*");
  if (star < 0) return null;
  const arrow = c.indexOf("->", star + 1);
  const field = arrow >= 0 && arrow + 2 < c.length
    ? pattern.slice(arrow + 2)
    : null;
  const keyEnd = field === null ? pattern.length : arrow;
  const key = pattern.slice(0, star) + element +
    pattern.slice(star + 1, keyEnd);
  const value: RedisValue | undefined = lookupRead(client, key);
  if (value === undefined) return null;
  if (field !== null) {
    return value instanceof HashValue ? value.get(field) ?? null : null;
  }
  return isString(value) ? stringOf(value) : null;
}

/** Parses the options after the key; replies and returns null on error. */
function parseOptions(
  client: Client,
  argv: string[],
  readonly: boolean,
): SortOptions | null {
  const options: SortOptions = {
    desc: false,
    alpha: false,
    limitStart: 0,
    limitCount: -1,
    by: null,
    dontSort: false,
    gets: [],
    store: null,
  };
  for (let j = 2; j < argv.length; j++) {
    const arg = argv[j];
    const left = argv.length - j - 1;
    if (isKeyword(arg, "asc")) options.desc = false;
    else if (isKeyword(arg, "desc")) options.desc = true;
    else if (isKeyword(arg, "alpha")) options.alpha = true;
    else if (isKeyword(arg, "limit") && left >= 2) {
      const start = integerArg(client, argv[j + 1]);
      if (start === null) return null;
      const count = integerArg(client, argv[j + 2]);
      if (count === null) return null;
      options.limitStart = start;
      options.limitCount = count;
      j += 2;
    } else if (!readonly && isKeyword(arg, "store") && left >= 1) {
      options.store = argv[++j];
    } else if (isKeyword(arg, "by") && left >= 1) {
      options.by = argv[++j];
      options.dontSort = !cString(options.by).includes("*");
    } else if (isKeyword(arg, "get") && left >= 1) {
      options.gets.push(argv[++j]);
    } else {
      client.out.error(Errors.syntax);
      return null;
    }
  }
  return options;
}

/** The elements in the collection's own order (descending reverses lists and sorted sets). */
function collectionElements(
  value: ListValue | RedisSet | SortedSet,
  desc: boolean,
): string[] {
  const elements: string[] = [];
  if (value instanceof ListValue) {
    for (let i = 0; i < value.length; i++) elements.push(value.at(i));
    if (desc) elements.reverse();
  } else if (value instanceof RedisSet) {
    for (const member of value.members()) elements.push(member);
  } else {
    let node = desc ? value.last : value.first;
    while (node !== null) {
      elements.push(node.member);
      node = desc ? node.backward : node.next;
    }
  }
  return elements;
}

/** Redis's sortCompare for the given options. */
function comparator(
  options: SortOptions,
  byPattern: boolean,
): (a: SortItem, b: SortItem) => number {
  const { alpha, desc } = options;
  const store = options.store !== null;
  const compareText = store ? compareBinary : compareCollated;
  return (a, b) => {
    let cmp: number;
    if (!alpha) {
      cmp = a.score > b.score
        ? 1
        : a.score < b.score
        ? -1
        : compareBinary(a.element, b.element);
    } else if (byPattern) {
      if (a.by === null || b.by === null) {
        cmp = a.by === b.by ? 0 : a.by === null ? -1 : 1;
      } else cmp = compareText(a.by, b.by);
    } else cmp = compareText(a.element, b.element);
    return desc ? -cmp : cmp;
  };
}

/**
 * Sorts `items` only as far as positions `low`..`high` need (Redis's
 * pqsort, Bentley-McIlroy quicksort that skips partitions outside the
 * range). Reproduced step for step so ties land where Redis puts them.
 */
function partialSort<T>(
  items: T[],
  compare: (a: T, b: T) => number,
  low: number,
  high: number,
): void {
  const cmp = (i: number, j: number) => compare(items[i], items[j]);
  const swap = (i: number, j: number) => {
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  };
  const swapRun = (i: number, j: number, n: number) => {
    for (let k = 0; k < n; k++) swap(i + k, j + k);
  };
  const median = (a: number, b: number, c: number) =>
    cmp(a, b) < 0
      ? (cmp(b, c) < 0 ? b : cmp(a, c) < 0 ? c : a)
      : (cmp(b, c) > 0 ? b : cmp(a, c) < 0 ? a : c);
  const insertionSort = (base: number, n: number) => {
    for (let m = base + 1; m < base + n; m++) {
      for (let l = m; l > base && cmp(l - 1, l) > 0; l--) swap(l, l - 1);
    }
  };
  const outsideRange = (base: number, n: number) =>
    (low < base && high < base) || (low >= base + n && high >= base + n);

  const sort = (base: number, n: number): void => {
    for (;;) {
      if (n < 7) return insertionSort(base, n);
      let pm = base + Math.floor(n / 2);
      if (n > 7) {
        let pl = base;
        let pn = base + n - 1;
        if (n > 40) {
          const d = Math.floor(n / 8);
          pl = median(pl, pl + d, pl + 2 * d);
          pm = median(pm - d, pm, pm + d);
          pn = median(pn - 2 * d, pn - d, pn);
        }
        pm = median(pl, pm, pn);
      }
      swap(base, pm);
      let swapped = false;
      let pa = base + 1, pb = base + 1;
      let pc = base + n - 1, pd = base + n - 1;
      for (;;) {
        let r: number;
        while (pb <= pc && (r = cmp(pb, base)) <= 0) {
          if (r === 0) {
            swapped = true;
            swap(pa++, pb);
          }
          pb++;
        }
        while (pb <= pc && (r = cmp(pc, base)) >= 0) {
          if (r === 0) {
            swapped = true;
            swap(pc, pd--);
          }
          pc--;
        }
        if (pb > pc) break;
        swap(pb++, pc--);
        swapped = true;
      }
      // No swap at all: the range looks sorted, finish by insertion.
      if (!swapped) return insertionSort(base, n);
      const end = base + n;
      let r = Math.min(pa - base, pb - pa);
      swapRun(base, pb - r, r);
      r = Math.min(pd - pc, end - pd - 1);
      swapRun(pb, end - r, r);
      if ((r = pb - pa) > 1 && !outsideRange(base, r)) sort(base, r);
      if ((r = pd - pc) <= 1) return;
      base = end - r;
      n = r;
      if (outsideRange(base, n)) return;
    }
  };
  sort(0, items.length);
}

/** SORT and SORT_RO. */
function sortGeneric(client: Client, argv: string[], readonly: boolean): void {
  const options = parseOptions(client, argv, readonly);
  if (options === null) return;
  const value = lookupRead(client, argv[1]);
  if (
    value !== undefined && !(value instanceof ListValue) &&
    !(value instanceof RedisSet) && !(value instanceof SortedSet)
  ) {
    return client.out.error(Errors.wrongType);
  }
  const source = value ?? new ListValue();
  let byPattern = options.by !== null && !options.dontSort;
  // An unsorted set would store in hash order: sort it byte-wise instead,
  // so the stored list is the same everywhere.
  if (options.dontSort && source instanceof RedisSet && options.store) {
    options.dontSort = false;
    options.alpha = true;
    byPattern = false;
  }
  // Redis converts a sorted set it sorts to the skiplist encoding.
  if (source instanceof SortedSet) source.encoding = "skiplist";

  const elements = collectionElements(
    source,
    options.dontSort && options.desc,
  );
  const length = elements.length;
  const start = Math.max(0, options.limitStart);
  let end = options.limitCount < 0
    ? length - 1
    : Math.min(start + options.limitCount - 1, length - 1);
  let first = start;
  if (start >= length) {
    first = length - 1;
    end = length - 2;
  }

  let result = elements;
  if (!options.dontSort) {
    const items: SortItem[] = elements.map((element) => ({
      element,
      score: 0,
      by: null,
    }));
    let convertError = false;
    for (const item of items) {
      const by = byPattern
        ? lookupByPattern(client, options.by!, item.element)
        : item.element;
      if (by === null) continue;
      if (options.alpha) {
        if (byPattern) item.by = by;
      } else {
        const score = sortScore(by);
        if (score === null) convertError = true;
        else item.score = score;
      }
    }
    if (convertError) return client.out.error(NOT_DOUBLE);
    const compare = comparator(options, byPattern);
    if (byPattern && (first !== 0 || end !== length - 1)) {
      partialSort(items, compare, first, end);
    } else items.sort(compare);
    result = items.map((item) => item.element);
  }

  const picked = end >= first ? result.slice(first, end + 1) : [];
  const gets = options.gets;
  const output: (string | null)[] = [];
  for (const element of picked) {
    if (gets.length === 0) output.push(element);
    for (const pattern of gets) {
      output.push(lookupByPattern(client, pattern, element));
    }
  }
  if (options.store === null) {
    client.out.array(output.length);
    for (const item of output) client.out.bulk(item);
    return;
  }
  if (output.length > 0) {
    client.db.set(
      options.store,
      ListValue.from(output.map((item) => item ?? "")),
    );
    keyChanged(client, Notify.list, "sortstore", options.store);
    client.server.dirty += output.length;
  } else if (client.db.delete(options.store)) {
    keyChanged(client, Notify.generic, "del", options.store);
    client.server.dirty++;
  }
  client.out.integer(output.length);
}

/**
 * SORT's keys (Redis's sortGetKeys): the sorted key, and the key after the
 * last STORE, skipping the arguments of LIMIT, GET and BY on the way.
 */
function sortKeys(argv: string[]): KeyReference[] {
  const keys: KeyReference[] = [{ pos: 1, flags: ["RO", "access"] }];
  let store: KeyReference | null = null;
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i];
    if (isKeyword(arg, "limit")) i += 2;
    else if (isKeyword(arg, "get") || isKeyword(arg, "by")) i += 1;
    else if (isKeyword(arg, "store") && i + 1 < argv.length) {
      store = { pos: i + 1, flags: ["OW", "update"] };
    }
  }
  if (store !== null) keys.push(store);
  return keys;
}

/** SORT_RO's key: only the sorted one. */
function sortReadonlyKeys(): KeyReference[] {
  return [{ pos: 1, flags: ["RO", "access"] }];
}

const BY_GET_NOTES =
  "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort";
const STORE_NOTES =
  "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array";

/** The SORT command family. */
export const sortCommands: CommandSpec[] = [
  {
    name: "sort",
    arity: -2,
    flags: ["write", "denyoom"],
    acl: ["set", "sortedset", "list", "dangerous"],
    keySpecs: [
      keysAt(1, ["RO", "access"]),
      {
        flags: ["RO", "access"],
        notes: BY_GET_NOTES,
        beginSearch: "unknown",
        findKeys: "unknown",
      },
      {
        flags: ["OW", "update"],
        notes: STORE_NOTES,
        beginSearch: "unknown",
        findKeys: "unknown",
      },
    ],
    summary:
      "Sorts the elements of a list, set or sorted set, optionally by external keys, returning or storing the result.",
    complexity:
      "O(N+M*log(M)) where N is the number of elements to sort and M the number returned.",
    since: "1.0.0",
    group: "generic",
    handler: (client, argv) => sortGeneric(client, argv, false),
    getKeys: sortKeys,
  },
  {
    name: "sort_ro",
    arity: -2,
    flags: ["readonly"],
    acl: ["set", "sortedset", "list", "dangerous"],
    keySpecs: [
      keysAt(1, ["RO", "access"]),
      {
        flags: ["RO", "access"],
        notes: BY_GET_NOTES,
        beginSearch: "unknown",
        findKeys: "unknown",
      },
    ],
    summary:
      "Sorts the elements of a list, set or sorted set like SORT, without STORE.",
    complexity:
      "O(N+M*log(M)) where N is the number of elements to sort and M the number returned.",
    since: "7.0.0",
    group: "generic",
    handler: (client, argv) => sortGeneric(client, argv, true),
    getKeys: sortReadonlyKeys,
  },
];
