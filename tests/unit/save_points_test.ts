import assert from "node:assert/strict";
import { dueSavePoint } from "../../src/persistence/service.ts";

const POINTS: [number, number][] = [[3600, 1], [300, 100], [60, 10000]];
const T = 1_000_000;

Deno.test("save points: the first point with enough changes and seconds since the last save", () => {
  const state = { now: T, lastSave: T - 400, lastTry: 0, lastOk: true };
  assert.equal(dueSavePoint(POINTS, { ...state, dirty: 99 }), undefined);
  assert.deepEqual(dueSavePoint(POINTS, { ...state, dirty: 100 }), [300, 100]);
  // More seconds than the point's, not as many: 300 seconds are not enough.
  assert.equal(
    dueSavePoint(POINTS, { ...state, dirty: 100, lastSave: T - 300 }),
    undefined,
  );
  assert.deepEqual(
    dueSavePoint(POINTS, { ...state, dirty: 1, lastSave: T - 3601 }),
    [3600, 1],
  );
});

Deno.test("save points: a point of zero changes saves without changes, as serverCron", () => {
  const state = { now: T, lastSave: T - 2, lastTry: 0, lastOk: true };
  assert.deepEqual(dueSavePoint([[1, 0]], { ...state, dirty: 0 }), [1, 0]);
  assert.equal(dueSavePoint([[1, 1]], { ...state, dirty: 0 }), undefined);
});

Deno.test("save points: after a failed background save the next try waits CONFIG_BGSAVE_RETRY_DELAY (5 s)", () => {
  const failed = { dirty: 5, now: T, lastSave: T - 100, lastOk: false };
  for (const waited of [0, 1, 4, 5]) {
    assert.equal(
      dueSavePoint([[1, 1]], { ...failed, lastTry: T - waited }),
      undefined,
      `${waited} s after the failure`,
    );
  }
  assert.deepEqual(
    dueSavePoint([[1, 1]], { ...failed, lastTry: T - 6 }),
    [1, 1],
  );
  // A successful last save does not wait.
  assert.deepEqual(
    dueSavePoint([[1, 1]], { ...failed, lastTry: T, lastOk: true }),
    [1, 1],
  );
});
