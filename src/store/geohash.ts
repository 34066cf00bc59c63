/**
 * Redis's geohash (geohash.c, geohash_helper.c): points encoded as 52-bit
 * interleaved hashes (26 steps each for longitude and latitude) over the
 * Web Mercator latitude limits, decoded to the centre of their cell; the
 * haversine distance on Redis's earth radius; the 3x3 cell cover Redis
 * searches for a radius or box query; GEOHASH's 11-character strings; and
 * the exact `%f`-style formatting geo replies need.
 *
 * Hashes are kept as doubles, the way they live in sorted-set scores: a
 * 52-bit value is exact in a double, and bit arithmetic is done on 26-bit
 * halves so no BigInt is needed on the hot paths.
 * @module
 */

/** Longitude limits. */
export const LONG_MIN = -180;
/** Longitude limits. */
export const LONG_MAX = 180;
/** Latitude limits: the square Web Mercator projection's. */
export const LAT_MIN = -85.05112878;
/** Latitude limits: the square Web Mercator projection's. */
export const LAT_MAX = 85.05112878;
/** Steps (bits per coordinate) of a stored hash. */
export const STEP_MAX = 26;
/** Redis's earth radius in meters (WGS-84 quadratic mean). */
export const EARTH_RADIUS_M = 6372797.560856;

const MERCATOR_MAX = 20037726.37;
const DEG_TO_RAD = Math.PI / 180;
const GEOHASH_ALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz";

/** A coordinate range one axis is encoded over. */
interface Range {
  min: number;
  max: number;
}

const LONG_RANGE: Range = { min: LONG_MIN, max: LONG_MAX };
const LAT_RANGE: Range = { min: LAT_MIN, max: LAT_MAX };
const STANDARD_LAT_RANGE: Range = { min: -90, max: 90 };

/** A cell: the hash's longitude and latitude indexes at `step` bits each. */
export interface Cell {
  lon: number;
  lat: number;
  step: number;
}

/** A cell's bounds in degrees. */
export interface Area {
  lonMin: number;
  lonMax: number;
  latMin: number;
  latMax: number;
}

/** True when the pair is inside the limits GEOADD accepts. */
export function validLonLat(lon: number, lat: number): boolean {
  return lon >= LONG_MIN && lon <= LONG_MAX && lat >= LAT_MIN &&
    lat <= LAT_MAX;
}

/**
 * The cell holding (lon, lat) at `step` bits per axis (geohashEncode). The
 * fixed-point offsets are truncated as C's double-to-uint32 conversion
 * does; a coordinate on the upper limit gives index 2^step, as in Redis.
 */
function encodeCell(
  lon: number,
  lat: number,
  step: number,
  latRange: Range = LAT_RANGE,
): Cell {
  const scale = 2 ** step;
  const latOffset = (lat - latRange.min) / (latRange.max - latRange.min);
  const lonOffset = (lon - LONG_RANGE.min) / (LONG_RANGE.max - LONG_RANGE.min);
  return {
    lon: Math.trunc(lonOffset * scale),
    lat: Math.trunc(latOffset * scale),
    step,
  };
}

/** Spreads the bits of a non-negative integer (up to 27 bits) to even positions. */
function spread(value: number): number {
  let result = 0;
  let weight = 1;
  for (let v = value; v !== 0; v = Math.floor(v / 2)) {
    if (v % 2 === 1) result += weight;
    weight *= 4;
  }
  return result;
}

/** Gathers the even bits of a 32-bit word into 16 bits. */
function squash(word: number): number {
  let x = word & 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

/** The interleaved hash of a cell: latitude bits even, longitude bits odd. */
function interleave(cell: Cell): number {
  return spread(cell.lat) + 2 * spread(cell.lon);
}

/** A cell's hash shifted to 52 bits, the form stored as a score. */
function align52(cell: Cell): number {
  return interleave(cell) * 2 ** (52 - 2 * cell.step);
}

/**
 * The 64-bit integer C gets from `(uint64_t)score`: truncation, negative
 * values wrapping as x86-64's conversion does.
 */
function scoreToUint64(score: number): bigint | number {
  const t = Math.trunc(score);
  if (t >= 0 && t < 2 ** 64) return t;
  if (t >= 2 ** 64) return 0;
  if (t >= -(2 ** 63)) return (BigInt(t) + (1n << 64n)) & ((1n << 64n) - 1n);
  return 1n << 63n;
}

/** The step-26 cell a score decodes to (deinterleave64 of the truncated score). */
export function cellOfScore(score: number): Cell {
  const bits = scoreToUint64(score);
  let hi: number, lo: number;
  if (typeof bits === "number") {
    hi = Math.floor(bits / 2 ** 32);
    lo = bits - hi * 2 ** 32;
  } else {
    hi = Number(bits >> 32n);
    lo = Number(bits & 0xffffffffn);
  }
  const lat = ((squash(hi) << 16) | squash(lo)) >>> 0;
  const lon = ((squash(hi >>> 1) << 16) | squash(lo >>> 1)) >>> 0;
  return { lon, lat, step: STEP_MAX };
}

/** The bounds of a cell over the given ranges (geohashDecode). */
function cellArea(cell: Cell, latRange: Range = LAT_RANGE): Area {
  const scale = 2 ** cell.step;
  const latSpan = latRange.max - latRange.min;
  const lonSpan = LONG_RANGE.max - LONG_RANGE.min;
  // uint32 arithmetic: index + 1 wraps like C's.
  const latNext = (cell.lat + 1) >>> 0;
  const lonNext = (cell.lon + 1) >>> 0;
  return {
    latMin: latRange.min + (cell.lat * 1.0 / scale) * latSpan,
    latMax: latRange.min + (latNext * 1.0 / scale) * latSpan,
    lonMin: LONG_RANGE.min + (cell.lon * 1.0 / scale) * lonSpan,
    lonMax: LONG_RANGE.min + (lonNext * 1.0 / scale) * lonSpan,
  };
}

/** The 52-bit score of a valid (lon, lat) pair, as GEOADD stores it. */
export function encodeScore(lon: number, lat: number): number {
  return align52(encodeCell(lon, lat, STEP_MAX));
}

/** The [lon, lat] centre of the cell a score names, clamped to the limits. */
export function decodeScore(score: number): [number, number] {
  const area = cellArea(cellOfScore(score));
  const lon = (area.lonMin + area.lonMax) / 2;
  const lat = (area.latMin + area.latMax) / 2;
  return [
    Math.min(Math.max(lon, LONG_MIN), LONG_MAX),
    Math.min(Math.max(lat, LAT_MIN), LAT_MAX),
  ];
}

/**
 * GEOHASH's 11-character string: the decoded point re-encoded over the
 * standard latitude range (-90, 90), five bits per character.
 */
export function geohashString(score: number): string {
  const [lon, lat] = decodeScore(score);
  const hash = interleave(encodeCell(lon, lat, STEP_MAX, STANDARD_LAT_RANGE));
  let text = "";
  for (let i = 0; i < 11; i++) {
    // The last character's shift is negative in Redis too: x86 masks the
    // count to 61, which always reads 0.
    const shift = 52 - (i + 1) * 5;
    const index = shift >= 0 ? Math.floor(hash / 2 ** shift) % 32 : 0;
    text += GEOHASH_ALPHABET[index];
  }
  return text;
}

/** Great-circle distance in meters (Redis 7.0's geohashGetDistance). */
export function distance(
  lon1: number,
  lat1: number,
  lon2: number,
  lat2: number,
): number {
  const lat1r = lat1 * DEG_TO_RAD;
  const lon1r = lon1 * DEG_TO_RAD;
  const lat2r = lat2 * DEG_TO_RAD;
  const lon2r = lon2 * DEG_TO_RAD;
  const u = Math.sin((lat2r - lat1r) / 2);
  const v = Math.sin((lon2r - lon1r) / 2);
  return 2.0 * EARTH_RADIUS_M *
    Math.asin(Math.sqrt(u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v));
}

/** A search area: a circle (radius) or an axis-aligned box, in meters. */
export type Shape =
  | { kind: "radius"; lon: number; lat: number; radius: number }
  | { kind: "box"; lon: number; lat: number; width: number; height: number };

/**
 * The distance from the shape's centre to (lon, lat) in meters when the
 * point is inside the shape, else -1 (geoWithinShape).
 */
export function distanceIfWithin(shape: Shape, lon: number, lat: number) {
  if (shape.kind === "radius") {
    const d = distance(shape.lon, shape.lat, lon, lat);
    return d > shape.radius ? -1 : d;
  }
  const lonDistance = distance(lon, lat, shape.lon, lat);
  const latDistance = distance(lon, lat, lon, shape.lat);
  if (lonDistance > shape.width / 2 || latDistance > shape.height / 2) {
    return -1;
  }
  return distance(shape.lon, shape.lat, lon, lat);
}

/** The step whose cells are about as large as a radius (geohashEstimateStepsByRadius). */
function estimateStep(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  return Math.min(Math.max(step, 1), 26);
}

/** [lonMin, latMin, lonMax, latMax] bounding the shape (geohashBoundingBox). */
function boundingBox(shape: Shape): [number, number, number, number] {
  const height = shape.kind === "radius" ? shape.radius : shape.height / 2;
  const width = shape.kind === "radius" ? shape.radius : shape.width / 2;
  const latDelta = (height / EARTH_RADIUS_M) / DEG_TO_RAD;
  const lonDeltaTop = (width / EARTH_RADIUS_M /
    Math.cos((shape.lat + latDelta) * DEG_TO_RAD)) / DEG_TO_RAD;
  const lonDeltaBottom = (width / EARTH_RADIUS_M /
    Math.cos((shape.lat - latDelta) * DEG_TO_RAD)) / DEG_TO_RAD;
  // Going away from the equator the box widens: use the wider edge.
  const lonDelta = shape.lat < 0 ? lonDeltaBottom : lonDeltaTop;
  return [
    shape.lon - lonDelta,
    shape.lat - latDelta,
    shape.lon + lonDelta,
    shape.lat + latDelta,
  ];
}

/**
 * The cell `dLon`, `dLat` cells away, wrapping around at the edges. As in
 * Redis, only a moved axis is wrapped: an index of 2^step (a point on the
 * upper limit) stays out of range on the other axis.
 */
function moveCell(cell: Cell, dLon: number, dLat: number): Cell {
  const cells = 2 ** cell.step;
  const wrap = (index: number, delta: number) =>
    delta === 0 ? index : (((index + delta) % cells) + cells) % cells;
  return {
    lon: wrap(cell.lon, dLon),
    lat: wrap(cell.lat, dLat),
    step: cell.step,
  };
}

/** A half-open score range [min, max) holding every point of one cell. */
export interface ScoreSpan {
  min: number;
  max: number;
}

/**
 * The score ranges to scan for a search, in Redis's order (centre, north,
 * south, east, west, north-east, north-west, south-east, south-west), with
 * useless cells left out and a cell equal to the previous scanned one
 * skipped (geohashCalculateAreasByShapeWGS84 and membersOfAllNeighbors).
 */
export function searchSpans(shape: Shape): ScoreSpan[] {
  const [lonMin, latMin, lonMax, latMax] = boundingBox(shape);
  const radius = shape.kind === "radius" ? shape.radius : Math.sqrt(
    (shape.width / 2) * (shape.width / 2) +
      (shape.height / 2) * (shape.height / 2),
  );
  let step = estimateStep(radius, shape.lat);
  let centre = encodeCell(shape.lon, shape.lat, step);
  // Cells too small at the edge of the cover: one step coarser.
  const north = cellArea(moveCell(centre, 0, 1));
  const south = cellArea(moveCell(centre, 0, -1));
  const east = cellArea(moveCell(centre, 1, 0));
  const west = cellArea(moveCell(centre, -1, 0));
  if (
    step > 1 &&
    (north.latMax < latMax || south.latMin > latMin ||
      east.lonMax < lonMax || west.lonMin > lonMin)
  ) {
    step--;
    centre = encodeCell(shape.lon, shape.lat, step);
  }
  const area = cellArea(centre);
  let useSouth = true, useNorth = true, useWest = true, useEast = true;
  if (step >= 2) {
    if (area.latMin < latMin) useSouth = false;
    if (area.latMax > latMax) useNorth = false;
    if (area.lonMin < lonMin) useWest = false;
    if (area.lonMax > lonMax) useEast = false;
  }
  const cells: (Cell | null)[] = [
    centre,
    useNorth ? moveCell(centre, 0, 1) : null,
    useSouth ? moveCell(centre, 0, -1) : null,
    useEast ? moveCell(centre, 1, 0) : null,
    useWest ? moveCell(centre, -1, 0) : null,
    useNorth && useEast ? moveCell(centre, 1, 1) : null,
    useNorth && useWest ? moveCell(centre, -1, 1) : null,
    useSouth && useEast ? moveCell(centre, 1, -1) : null,
    useSouth && useWest ? moveCell(centre, -1, -1) : null,
  ];
  const spans: ScoreSpan[] = [];
  let previous: Cell | null = null;
  for (const cell of cells) {
    if (cell === null) continue;
    if (
      previous !== null && cell.lon === previous.lon &&
      cell.lat === previous.lat
    ) continue;
    const unit = 2 ** (52 - 2 * cell.step);
    const hash = interleave(cell);
    spans.push({ min: hash * unit, max: (hash + 1) * unit });
    previous = cell;
  }
  return spans;
}

/** The exact value of a finite double as mantissa * 2^exponent. */
function exactParts(a: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, a);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return [mantissa, -1074];
  mantissa |= 1n << 52n;
  return [mantissa, biased - 1075];
}

/**
 * C's `%.<decimals>f` of a double: the exact value rounded half-to-even,
 * `inf`/`-inf`/`nan` for the special values, the sign of -0 kept.
 */
export function formatFixed(d: number, decimals: number): string {
  if (Number.isNaN(d)) return "nan";
  if (!Number.isFinite(d)) return d > 0 ? "inf" : "-inf";
  const negative = d < 0 || Object.is(d, -0);
  const [mantissa, exponent] = exactParts(Math.abs(d));
  const scaled = mantissa * 10n ** BigInt(decimals);
  let digits: bigint;
  if (exponent >= 0) {
    digits = scaled << BigInt(exponent);
  } else {
    const divisor = 1n << BigInt(-exponent);
    digits = scaled / divisor;
    const twice = (scaled % divisor) * 2n;
    if (twice > divisor || (twice === divisor && (digits & 1n) === 1n)) {
      digits++;
    }
  }
  const text = digits.toString().padStart(decimals + 1, "0");
  const point = text.length - decimals;
  return (negative ? "-" : "") + text.slice(0, point) +
    (decimals > 0 ? "." + text.slice(point) : "");
}

/**
 * Redis's human long double format for coordinates (`%.17Lf` with trailing
 * zeros and a bare point dropped, and "-0" turned into "0").
 */
export function formatCoordinate(d: number): string {
  let text = formatFixed(d, 17);
  if (text.includes(".")) text = text.replace(/\.?0+$/, "");
  return text === "-0" ? "0" : text;
}
