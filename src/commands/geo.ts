/**
 * Geo commands (Redis's geo.c) over sorted sets whose scores are 52-bit
 * geohashes (store/geohash.ts): GEOADD, GEODIST, GEOHASH, GEOPOS, GEOSEARCH,
 * GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and their _RO forms.
 *
 * The search commands share one parser, as Redis's georadiusGeneric does,
 * so options are accepted and errors reported in the same order.
 * @module
 */

import type { Client } from "../client.ts";
import { Notify } from "../config.ts";
import {
  decodeScore,
  distance,
  distanceIfWithin,
  encodeScore,
  formatCoordinate,
  formatFixed,
  geohashString,
  searchSpans,
  type Shape,
  validLonLat,
} from "../store/geohash.ts";
import { SortedSet } from "../store/zset.ts";
import { binaryToBytes } from "../protocol/binary.ts";
import { parseDouble, parseInt64 } from "../util/numbers.ts";
import { type CommandSpec, keysAt, type KeySpec } from "./table.ts";
import { Errors, keyChanged, lookupRead, lookupWrite } from "./util.ts";
import { buildSortedSet, listpackLimits } from "./zsets.ts";

const Messages = {
  unit: "ERR unsupported unit provided. please use M, KM, FT, MI",
  radius: "ERR need numeric radius",
  negativeRadius: "ERR radius cannot be negative",
  width: "ERR need numeric width",
  height: "ERR need numeric height",
  negativeBox: "ERR height or width cannot be negative",
  member: "ERR could not decode requested zset member",
  count: "ERR COUNT must be > 0",
  any: "ERR the ANY argument requires COUNT argument",
} as const;

/** Meters per unit. */
const UNITS: Record<string, number> = {
  m: 1,
  km: 1000,
  ft: 0.3048,
  mi: 1609.34,
};

/** `value` as a sorted set (undefined when missing), or null after WRONGTYPE. */
function asZset(
  client: Client,
  value: unknown,
): SortedSet | undefined | null {
  if (value === undefined || value instanceof SortedSet) return value;
  client.out.error(Errors.wrongType);
  return null;
}

/** Meters per `unit`, or null after replying the unit error. */
function unitArg(client: Client, unit: string): number | null {
  const meters = UNITS[unit.toLowerCase()];
  if (meters === undefined) {
    client.out.error(Messages.unit);
    return null;
  }
  return meters;
}

/** A double argument, or null after replying `message`. */
function doubleArg(
  client: Client,
  text: string,
  message: string = Errors.notFloat,
): number | null {
  const d = parseDouble(text);
  if (d === null) client.out.error(message);
  return d;
}

/** [lon, lat] from two arguments, or null after replying the error. */
function lonLatArgs(
  client: Client,
  lonText: string,
  latText: string,
): [number, number] | null {
  const lon = doubleArg(client, lonText);
  if (lon === null) return null;
  const lat = doubleArg(client, latText);
  if (lat === null) return null;
  if (!validLonLat(lon, lat)) {
    client.out.error(
      `ERR invalid longitude,latitude pair ${formatFixed(lon, 6)},${
        formatFixed(lat, 6)
      }`,
    );
    return null;
  }
  return [lon, lat];
}

/** A distance in `unit`'s units as Redis prints it (`%.4f`, a bulk string). */
function replyDistance(client: Client, meters: number, unit: number): void {
  client.out.bulk(formatFixed(meters / unit, 4));
}

/** A coordinate: a bulk string in RESP2, a double in RESP3, same digits. */
function replyCoordinate(client: Client, d: number): void {
  const text = formatCoordinate(d);
  if (client.out.protover === 3) client.out.raw(binaryToBytes(`,${text}\r\n`));
  else client.out.bulk(text);
}

/** GEOADD key [NX|XX] [CH] lon lat member [lon lat member ...] */
function geoadd(client: Client, argv: string[]): void {
  let nx = false, xx = false, ch = false;
  let index = 2;
  for (; index < argv.length; index++) {
    const word = argv[index].toLowerCase();
    if (word === "nx") nx = true;
    else if (word === "xx") xx = true;
    else if (word === "ch") ch = true;
    else break;
  }
  const rest = argv.length - index;
  if (rest === 0 || rest % 3 !== 0 || (nx && xx)) {
    client.out.error(Errors.syntax);
    return;
  }
  const scores: number[] = [];
  for (let i = index; i < argv.length; i += 3) {
    const pair = lonLatArgs(client, argv[i], argv[i + 1]);
    if (pair === null) return;
    scores.push(encodeScore(pair[0], pair[1]));
  }
  const key = argv[1];
  let zset = asZset(client, lookupWrite(client, key));
  if (zset === null) return;
  let added = 0, updated = 0;
  if (zset === undefined && !xx) {
    zset = new SortedSet();
    client.db.set(key, zset);
  }
  if (zset !== undefined) {
    const limits = listpackLimits(client);
    for (let i = 0; i < scores.length; i++) {
      const member = argv[index + 3 * i + 2];
      const current = zset.score(member);
      if (current === undefined) {
        if (xx) continue;
        zset.set(member, scores[i], limits);
        added++;
      } else if (!nx && current !== scores[i]) {
        zset.set(member, scores[i], limits);
        updated++;
      }
    }
    // GEOADD is ZADD underneath in Redis, events included.
    if (added + updated !== 0) keyChanged(client, Notify.zset, "zadd", key);
    client.server.dirty += added + updated;
    // And propagates as the ZADD it runs, named in lowercase as Redis does.
    const pairs = scores.flatMap((score, i) => [
      String(score),
      argv[index + 3 * i + 2],
    ]);
    client.server.propagation.rewrite([
      "zadd",
      ...argv.slice(1, index),
      ...pairs,
    ]);
  }
  client.out.integer(ch ? added + updated : added);
}

/** GEODIST key member1 member2 [unit] */
function geodist(client: Client, argv: string[]): void {
  let unit = 1;
  if (argv.length === 5) {
    const meters = unitArg(client, argv[4]);
    if (meters === null) return;
    unit = meters;
  } else if (argv.length > 5) {
    client.out.error(Errors.syntax);
    return;
  }
  const zset = asZset(client, lookupRead(client, argv[1]));
  if (zset === null) return;
  const score1 = zset?.score(argv[2]);
  const score2 = zset?.score(argv[3]);
  if (score1 === undefined || score2 === undefined) {
    client.out.null();
    return;
  }
  const [lon1, lat1] = decodeScore(score1);
  const [lon2, lat2] = decodeScore(score2);
  replyDistance(client, distance(lon1, lat1, lon2, lat2), unit);
}

/** GEOHASH key [member ...] */
function geohash(client: Client, argv: string[]): void {
  const zset = asZset(client, lookupRead(client, argv[1]));
  if (zset === null) return;
  client.out.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const score = zset?.score(argv[i]);
    client.out.bulk(score === undefined ? null : geohashString(score));
  }
}

/** GEOPOS key [member ...] */
function geopos(client: Client, argv: string[]): void {
  const zset = asZset(client, lookupRead(client, argv[1]));
  if (zset === null) return;
  client.out.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const score = zset?.score(argv[i]);
    if (score === undefined) {
      client.out.nullArray();
      continue;
    }
    const [lon, lat] = decodeScore(score);
    client.out.array(2);
    replyCoordinate(client, lon);
    replyCoordinate(client, lat);
  }
}

/** Which command is searching: where its arguments start and what it allows. */
interface SearchKind {
  /** GEORADIUS: centre given as lon lat; GEORADIUSBYMEMBER: as a member. */
  centre: "lonlat" | "member" | "options";
  /** STORE/STOREDIST key options accepted (GEORADIUS and BYMEMBER). */
  storeOption: boolean;
  /** GEOSEARCHSTORE: the destination is argv[1], the source argv[2]. */
  searchStore: boolean;
}

/** One point found by a search. */
interface Found {
  member: string;
  score: number;
  lon: number;
  lat: number;
  dist: number;
}

/** A parsed radius or box (in the unit given) before its centre is known. */
type Extent =
  | { kind: "radius"; radius: number; unit: number }
  | { kind: "box"; width: number; height: number; unit: number };

/** Radius and unit arguments, or null after replying the error. */
function radiusArgs(
  client: Client,
  radiusText: string,
  unitText: string,
): Extent | null {
  const radius = doubleArg(client, radiusText, Messages.radius);
  if (radius === null) return null;
  if (radius < 0) {
    client.out.error(Messages.negativeRadius);
    return null;
  }
  const unit = unitArg(client, unitText);
  return unit === null ? null : { kind: "radius", radius, unit };
}

/** Width, height and unit arguments, or null after replying the error. */
function boxArgs(client: Client, argv: string[], at: number): Extent | null {
  const width = doubleArg(client, argv[at], Messages.width);
  if (width === null) return null;
  const height = doubleArg(client, argv[at + 1], Messages.height);
  if (height === null) return null;
  if (height < 0 || width < 0) {
    client.out.error(Messages.negativeBox);
    return null;
  }
  const unit = unitArg(client, argv[at + 2]);
  return unit === null ? null : { kind: "box", width, height, unit };
}

/** Points of `zset` inside `shape`, scanning the cells Redis scans; stops at `limit` (ANY). */
function findPoints(zset: SortedSet, shape: Shape, limit: number): Found[] {
  const found: Found[] = [];
  for (const span of searchSpans(shape)) {
    let node = zset.firstInScoreRange({
      min: span.min,
      max: span.max,
      minExclusive: false,
      maxExclusive: true,
    });
    for (; node !== null && node.score < span.max; node = node.next) {
      const [lon, lat] = decodeScore(node.score);
      const dist = distanceIfWithin(shape, lon, lat);
      if (dist < 0) continue;
      found.push({ member: node.member, score: node.score, lon, lat, dist });
      if (limit > 0 && found.length >= limit) return found;
    }
  }
  return found;
}

/** The search commands' common body (Redis's georadiusGeneric). */
function search(client: Client, argv: string[], kind: SearchKind): void {
  const srcKey = kind.searchStore ? argv[2] : argv[1];
  const zset = asZset(client, lookupRead(client, srcKey));
  if (zset === null) return;
  let centre: [number, number] | null = null;
  let extent: Extent | null = null;
  let base: number;
  if (kind.centre === "lonlat") {
    base = 6;
    centre = lonLatArgs(client, argv[2], argv[3]);
    if (centre === null) return;
    extent = radiusArgs(client, argv[4], argv[5]);
    if (extent === null) return;
  } else if (kind.centre === "member") {
    base = 5;
    // A missing key still parses the options, to pick the right reply.
    if (zset !== undefined) {
      const score = zset.score(argv[2]);
      if (score === undefined) {
        client.out.error(Messages.member);
        return;
      }
      centre = decodeScore(score);
      extent = radiusArgs(client, argv[3], argv[4]);
      if (extent === null) return;
    }
  } else {
    base = kind.searchStore ? 3 : 2;
  }
  let storeKey: string | null = kind.searchStore ? argv[1] : null;
  let storeDist = false;
  let withDist = false, withHash = false, withCoord = false, any = false;
  let fromMember = false, fromLonLat = false, byRadius = false, byBox = false;
  let sort: "none" | "asc" | "desc" = "none";
  let count = 0;
  const searching = kind.centre === "options";
  for (let i = base; i < argv.length; i++) {
    const arg = argv[i].toLowerCase();
    const remaining = argv.length - i - 1;
    if (arg === "withdist") withDist = true;
    else if (arg === "withhash") withHash = true;
    else if (arg === "withcoord") withCoord = true;
    else if (arg === "any") any = true;
    else if (arg === "asc") sort = "asc";
    else if (arg === "desc") sort = "desc";
    else if (arg === "count" && remaining >= 1) {
      const n = parseInt64(argv[++i]);
      if (n === null) {
        client.out.error(Errors.notInteger);
        return;
      }
      if (n <= 0n) {
        client.out.error(Messages.count);
        return;
      }
      count = Number(n);
    } else if (
      (arg === "store" || arg === "storedist") && remaining >= 1 &&
      kind.storeOption
    ) {
      storeKey = argv[++i];
      storeDist = arg === "storedist";
    } else if (arg === "storedist" && kind.searchStore) {
      storeDist = true;
    } else if (
      arg === "frommember" && remaining >= 1 && searching && !fromLonLat
    ) {
      i++;
      if (zset !== undefined) {
        const score = zset.score(argv[i]);
        if (score === undefined) {
          client.out.error(Messages.member);
          return;
        }
        centre = decodeScore(score);
      }
      fromMember = true;
    } else if (
      arg === "fromlonlat" && remaining >= 2 && searching && !fromMember
    ) {
      centre = lonLatArgs(client, argv[i + 1], argv[i + 2]);
      if (centre === null) return;
      fromLonLat = true;
      i += 2;
    } else if (arg === "byradius" && remaining >= 2 && searching && !byBox) {
      extent = radiusArgs(client, argv[i + 1], argv[i + 2]);
      if (extent === null) return;
      byRadius = true;
      i += 2;
    } else if (arg === "bybox" && remaining >= 3 && searching && !byRadius) {
      extent = boxArgs(client, argv, i + 1);
      if (extent === null) return;
      byBox = true;
      i += 3;
    } else {
      client.out.error(Errors.syntax);
      return;
    }
  }
  if (storeKey !== null && (withDist || withHash || withCoord)) {
    client.out.error(
      `ERR ${
        kind.searchStore ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS"
      } is not compatible with WITHDIST, WITHHASH and WITHCOORD options`,
    );
    return;
  }
  if (searching && !fromMember && !fromLonLat) {
    client.out.error(
      `ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${
        argv[0]
      }`,
    );
    return;
  }
  if (searching && !byRadius && !byBox) {
    client.out.error(
      `ERR exactly one of BYRADIUS and BYBOX can be specified for ${argv[0]}`,
    );
    return;
  }
  if (any && count === 0) {
    client.out.error(Messages.any);
    return;
  }
  if (zset === undefined) {
    if (storeKey === null) client.out.array(0);
    else {
      if (client.db.delete(storeKey)) {
        keyChanged(client, Notify.generic, "del", storeKey);
        client.server.dirty++;
      }
      client.out.integer(0);
    }
    return;
  }
  if (count !== 0 && sort === "none" && !any) sort = "asc";
  const [lon, lat] = centre!;
  const shape: Shape = extent!.kind === "radius"
    ? { kind: "radius", lon, lat, radius: extent!.radius * extent!.unit }
    : {
      kind: "box",
      lon,
      lat,
      width: extent!.width * extent!.unit,
      height: extent!.height * extent!.unit,
    };
  const found = findPoints(zset, shape, any ? count : 0);
  // Array.prototype.sort is stable, like glibc's merge-sort qsort.
  if (sort === "asc") found.sort((a, b) => a.dist - b.dist);
  else if (sort === "desc") found.sort((a, b) => b.dist - a.dist);
  const returned = count === 0 ? found : found.slice(0, count);
  const unit = extent!.unit;
  if (storeKey !== null) {
    const event = searching ? "geosearchstore" : "georadiusstore";
    storeFound(client, storeKey, returned, storeDist, unit, event);
    return;
  }
  const extras = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoord ? 1 : 0);
  client.out.array(returned.length);
  for (const point of returned) {
    if (extras === 0) {
      client.out.bulk(point.member);
      continue;
    }
    client.out.array(extras + 1);
    client.out.bulk(point.member);
    if (withDist) replyDistance(client, point.dist, unit);
    if (withHash) client.out.integer(point.score);
    if (withCoord) {
      client.out.array(2);
      replyCoordinate(client, point.lon);
      replyCoordinate(client, point.lat);
    }
  }
}

/**
 * Stores search results as a sorted set (scores: the hashes, or with
 * STOREDIST the distances in the unit), replacing `key`; an empty result
 * deletes it. Replies the count.
 */
function storeFound(
  client: Client,
  key: string,
  points: Found[],
  storeDist: boolean,
  unit: number,
  event: string,
): void {
  if (points.length > 0) {
    const zset = buildSortedSet(
      client,
      points.map((p) => ({
        member: p.member,
        score: storeDist ? p.dist / unit : p.score,
      })),
    );
    client.db.set(key, zset);
    keyChanged(client, Notify.zset, event, key);
    client.server.dirty += points.length;
  } else if (client.db.delete(key)) {
    keyChanged(client, Notify.generic, "del", key);
    client.server.dirty++;
  }
  client.out.integer(points.length);
}

function georadius(client: Client, argv: string[]): void {
  search(client, argv, {
    centre: "lonlat",
    storeOption: true,
    searchStore: false,
  });
}

function georadiusRo(client: Client, argv: string[]): void {
  search(client, argv, {
    centre: "lonlat",
    storeOption: false,
    searchStore: false,
  });
}

function georadiusByMember(client: Client, argv: string[]): void {
  search(client, argv, {
    centre: "member",
    storeOption: true,
    searchStore: false,
  });
}

function georadiusByMemberRo(client: Client, argv: string[]): void {
  search(client, argv, {
    centre: "member",
    storeOption: false,
    searchStore: false,
  });
}

function geosearch(client: Client, argv: string[]): void {
  search(client, argv, {
    centre: "options",
    storeOption: false,
    searchStore: false,
  });
}

function geosearchstore(client: Client, argv: string[]): void {
  search(client, argv, {
    centre: "options",
    storeOption: false,
    searchStore: true,
  });
}

/** A key spec for the key after `keyword`, searched from `startfrom`. */
function keyAfter(keyword: string, startfrom: number): KeySpec {
  return {
    flags: ["OW", "update"],
    beginSearch: { keyword, startfrom },
    findKeys: { lastkey: 0, keystep: 1, limit: 0 },
  };
}

const READ_KEY = ["RO", "access"];

/** The geo command family. */
export const geoCommands: CommandSpec[] = [
  {
    name: "geoadd",
    arity: -5,
    flags: ["write", "denyoom"],
    acl: ["geo"],
    keySpecs: [keysAt(1, ["RW", "update"])],
    summary:
      "Adds members at longitude/latitude positions to a sorted set used as a geospatial index.",
    complexity: "O(log(N)) for each member added, N being the set's size.",
    since: "3.2.0",
    group: "geo",
    handler: geoadd,
  },
  {
    name: "geodist",
    arity: -4,
    flags: ["readonly"],
    acl: ["geo"],
    keySpecs: [keysAt(1, READ_KEY)],
    summary: "Returns the distance between two members of a geospatial index.",
    complexity: "O(1)",
    since: "3.2.0",
    group: "geo",
    handler: geodist,
  },
  {
    name: "geohash",
    arity: -2,
    flags: ["readonly"],
    acl: ["geo"],
    keySpecs: [keysAt(1, READ_KEY)],
    summary: "Returns members' positions as standard geohash strings.",
    complexity: "O(1) for each member requested.",
    since: "3.2.0",
    group: "geo",
    handler: geohash,
  },
  {
    name: "geopos",
    arity: -2,
    flags: ["readonly"],
    acl: ["geo"],
    keySpecs: [keysAt(1, READ_KEY)],
    summary: "Returns members' longitude and latitude.",
    complexity: "O(1) for each member requested.",
    since: "3.2.0",
    group: "geo",
    handler: geopos,
  },
  {
    name: "geosearch",
    arity: -7,
    flags: ["readonly"],
    acl: ["geo"],
    keySpecs: [keysAt(1, READ_KEY)],
    summary:
      "Finds members inside a circle or a box around a member or a position.",
    complexity:
      "O(N+log(M)), N being the elements in the scanned cells and M the items in the result.",
    since: "6.2.0",
    group: "geo",
    handler: geosearch,
  },
  {
    name: "geosearchstore",
    arity: -8,
    flags: ["write", "denyoom"],
    acl: ["geo"],
    keySpecs: [keysAt(1, ["OW", "update"]), keysAt(2, READ_KEY)],
    summary: "Like GEOSEARCH, storing the result in a sorted set.",
    complexity:
      "O(N+log(M)), N being the elements in the scanned cells and M the items in the result.",
    since: "6.2.0",
    group: "geo",
    handler: geosearchstore,
  },
  {
    name: "georadius",
    arity: -6,
    flags: ["write", "denyoom"],
    acl: ["geo"],
    keySpecs: [
      keysAt(1, READ_KEY),
      keyAfter("STORE", 6),
      keyAfter("STOREDIST", 6),
    ],
    summary:
      "Finds members within a radius of a position, optionally storing them.",
    complexity:
      "O(N+log(M)), N being the elements in the scanned cells and M the items in the result.",
    since: "3.2.0",
    group: "geo",
    docFlags: ["deprecated"],
    deprecatedSince: "6.2.0",
    replacedBy: "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument",
    handler: georadius,
  },
  {
    name: "georadiusbymember",
    arity: -5,
    flags: ["write", "denyoom"],
    acl: ["geo"],
    keySpecs: [
      keysAt(1, READ_KEY),
      keyAfter("STORE", 5),
      keyAfter("STOREDIST", 5),
    ],
    summary:
      "Finds members within a radius of a member, optionally storing them.",
    complexity:
      "O(N+log(M)), N being the elements in the scanned cells and M the items in the result.",
    since: "3.2.0",
    group: "geo",
    docFlags: ["deprecated"],
    deprecatedSince: "6.2.0",
    replacedBy:
      "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments",
    handler: georadiusByMember,
  },
  {
    name: "georadius_ro",
    arity: -6,
    flags: ["readonly"],
    acl: ["geo"],
    keySpecs: [keysAt(1, READ_KEY)],
    summary: "Finds members within a radius of a position (read-only).",
    complexity:
      "O(N+log(M)), N being the elements in the scanned cells and M the items in the result.",
    since: "3.2.10",
    group: "geo",
    docFlags: ["deprecated"],
    deprecatedSince: "6.2.0",
    replacedBy: "`GEOSEARCH` with the `BYRADIUS` argument",
    handler: georadiusRo,
  },
  {
    name: "georadiusbymember_ro",
    arity: -5,
    flags: ["readonly"],
    acl: ["geo"],
    keySpecs: [keysAt(1, READ_KEY)],
    summary: "Finds members within a radius of a member (read-only).",
    complexity:
      "O(N+log(M)), N being the elements in the scanned cells and M the items in the result.",
    since: "3.2.10",
    group: "geo",
    docFlags: ["deprecated"],
    deprecatedSince: "6.2.0",
    replacedBy: "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments",
    handler: georadiusByMemberRo,
  },
];
