import assert from "node:assert/strict";
import {
  decodeScore,
  distance,
  distanceIfWithin,
  encodeScore,
  formatCoordinate,
  formatFixed,
  geohashString,
  searchSpans,
  validLonLat,
} from "../../src/store/geohash.ts";

// Expected values come from redis-server 7.0 (GEOADD, GEOPOS, GEOHASH, GEODIST).

Deno.test("encodes points to Redis's 52-bit scores", () => {
  assert.equal(encodeScore(13.361389, 38.115556), 3479099956230698);
  assert.equal(encodeScore(15.087269, 37.502669), 3479447370796909);
  assert.equal(encodeScore(-180, -85.05112878), 0);
  assert.equal(encodeScore(0, 0), 3377699720527872);
  // The upper limits overflow to index 2^26 on both axes, as in Redis.
  assert.equal(encodeScore(180, 85.05112878), 13510798882111488);
});

Deno.test("decodes scores to the cell centre, clamped to the limits", () => {
  const [lon, lat] = decodeScore(3479099956230698);
  assert.equal(formatCoordinate(lon), "13.36138933897018433");
  assert.equal(formatCoordinate(lat), "38.11555639549629859");
  const [maxLon, maxLat] = decodeScore(13510798882111488);
  assert.equal(formatCoordinate(maxLon), "180");
  assert.equal(formatCoordinate(maxLat), "85.0511287799999991");
});

Deno.test("geohash strings use the standard latitude range", () => {
  assert.equal(geohashString(3479099956230698), "sqc8b49rny0");
  assert.equal(geohashString(encodeScore(-122.4194, 37.7749)), "9q8yyk8ytp0");
  assert.equal(geohashString(0), "00bh0hbj200");
  assert.equal(geohashString(encodeScore(180, 85.05112878)), "bp05b5048p0");
});

Deno.test("distance is Redis's haversine", () => {
  const [lon1, lat1] = decodeScore(encodeScore(13.361389, 38.115556));
  const [lon2, lat2] = decodeScore(encodeScore(15.087269, 37.502669));
  assert.equal(formatFixed(distance(lon1, lat1, lon2, lat2), 4), "166274.1516");
  assert.equal(distance(lon1, lat1, lon1, lat1), 0);
});

Deno.test("shapes include points by distance or box sides", () => {
  const circle = { kind: "radius", lon: 0, lat: 0, radius: 1000 } as const;
  assert.ok(distanceIfWithin(circle, 0.005, 0) > 0);
  assert.equal(distanceIfWithin(circle, 0.01, 0), -1);
  const box = {
    kind: "box",
    lon: 0,
    lat: 0,
    width: 2000,
    height: 200,
  } as const;
  assert.ok(distanceIfWithin(box, 0.008, 0) > 0);
  assert.equal(distanceIfWithin(box, 0, 0.008), -1);
});

Deno.test("search spans cover the centre cell first and never repeat", () => {
  const spans = searchSpans({
    kind: "radius",
    lon: 13.36,
    lat: 38.11,
    radius: 50000,
  });
  assert.ok(spans.length >= 1 && spans.length <= 9);
  const score = encodeScore(13.36, 38.11);
  assert.ok(spans[0].min <= score && score < spans[0].max);
  for (let i = 1; i < spans.length; i++) {
    assert.notEqual(spans[i].min, spans[i - 1].min);
  }
});

Deno.test("validates the longitude/latitude limits", () => {
  assert.ok(validLonLat(180, 85.05112878));
  assert.ok(!validLonLat(180.0001, 0));
  assert.ok(!validLonLat(0, 85.06));
  assert.ok(!validLonLat(NaN, 0));
});

Deno.test("formatFixed matches printf's %f, ties to even", () => {
  assert.equal(formatFixed(200, 6), "200.000000");
  assert.equal(formatFixed(-0.0000001, 6), "-0.000000");
  assert.equal(formatFixed(Infinity, 6), "inf");
  assert.equal(formatFixed(0.03125, 4), "0.0312");
  assert.equal(formatFixed(0.09375, 4), "0.0938");
  assert.equal(formatFixed(1e22, 1), "10000000000000000000000.0");
  assert.equal(formatCoordinate(-0.0), "0");
  assert.equal(formatCoordinate(2.5), "2.5");
});
