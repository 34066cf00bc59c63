import assert from "node:assert/strict";
import {
  cachedCardinality,
  createHll,
  decodeSparse,
  denseGet,
  denseWrite,
  elementPattern,
  estimateCardinality,
  HLL_DENSE,
  HLL_DENSE_SIZE,
  HLL_HASH_SEED,
  HLL_REGISTERS,
  HLL_SPARSE,
  hllAdd,
  hllEncoding,
  invalidateCache,
  isHll,
  mergeInto,
  murmurHash64A,
  rawHistogram,
  registerHistogram,
  setCachedCardinality,
  setRegisters,
  sparseSet,
  sparseToDense,
} from "../../src/store/hyperloglog.ts";
import { MutableString } from "../../src/store/string.ts";

const MASK64 = (1n << 64n) - 1n;

/** MurmurHash64A written directly from its definition with BigInt, as a reference. */
function referenceMurmur(key: string, seed: number): bigint {
  const m = 0xc6a4a7935bd1e995n;
  const len = key.length;
  let h = (BigInt(seed) ^ (BigInt(len) * m)) & MASK64;
  const blocks = len - (len & 7);
  for (let i = 0; i < blocks; i += 8) {
    let k = 0n;
    for (let b = 7; b >= 0; b--) k = (k << 8n) | BigInt(key.charCodeAt(i + b));
    k = (k * m) & MASK64;
    k ^= k >> 47n;
    k = (k * m) & MASK64;
    h ^= k;
    h = (h * m) & MASK64;
  }
  const rest = len & 7;
  if (rest > 0) {
    for (let b = rest - 1; b >= 0; b--) {
      h ^= BigInt(key.charCodeAt(blocks + b)) << BigInt(8 * b);
    }
    h = (h * m) & MASK64;
  }
  h ^= h >> 47n;
  h = (h * m) & MASK64;
  h ^= h >> 47n;
  return h;
}

function randomBinary(length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) {
    s += String.fromCharCode(Math.floor(Math.random() * 256));
  }
  return s;
}

/** Register index and value for an element, unpacked. */
function pattern(element: string): [number, number] {
  const p = elementPattern(element);
  return [p % HLL_REGISTERS, Math.floor(p / HLL_REGISTERS)];
}

Deno.test("murmurHash64A matches a BigInt reference on random binary keys", () => {
  for (let i = 0; i < 2000; i++) {
    const key = randomBinary(i % 40);
    const seed = i % 3 === 0 ? HLL_HASH_SEED : (i * 2654435761) >>> 0;
    assert.equal(murmurHash64A(key, seed), referenceMurmur(key, seed), key);
  }
  // High bytes stress the signed 32-bit paths.
  const high = "\xff".repeat(23);
  assert.equal(
    murmurHash64A(high, HLL_HASH_SEED),
    referenceMurmur(high, HLL_HASH_SEED),
  );
});

Deno.test("elementPattern picks the register and value Redis does", () => {
  // Observed with PFADD + PFDEBUG DECODE on redis-server 7.0.
  assert.deepEqual(pattern("a"), [12711, 2]);
  assert.deepEqual(pattern("b"), [15780, 1]);
  assert.deepEqual(pattern("c"), [8436, 1]);
  assert.deepEqual(pattern("hello"), [9216, 1]);
  assert.deepEqual(pattern("foobar"), [1910, 4]);
  assert.deepEqual(pattern("12345678"), [10579, 3]);
  assert.deepEqual(pattern("123456789abcdefgh"), [1958, 3]);
});

Deno.test("elementPattern agrees with the hash and caps the run at Q + 1", () => {
  for (let i = 0; i < 500; i++) {
    const key = randomBinary(i % 20);
    const hash = referenceMurmur(key, HLL_HASH_SEED);
    let rest = (hash >> 14n) | (1n << 50n);
    let count = 1;
    while ((rest & 1n) === 0n) {
      count++;
      rest >>= 1n;
    }
    assert.deepEqual(pattern(key), [Number(hash & 16383n), count]);
  }
});

Deno.test("a new HLL is sparse XZERO:16384 with a zero cache", () => {
  const hll = createHll();
  const bytes = hll.view();
  assert.equal(bytes.length, 18);
  assert.equal(String.fromCharCode(...bytes.subarray(0, 4)), "HYLL");
  assert.equal(hllEncoding(bytes), HLL_SPARSE);
  assert.equal(cachedCardinality(bytes), 0);
  assert.equal(decodeSparse(bytes), "Z:16384");
  assert.ok(isHll(bytes));
});

Deno.test("dense registers round-trip without touching neighbours", () => {
  const bytes = new Uint8Array(HLL_DENSE_SIZE);
  const expected = new Uint8Array(HLL_REGISTERS);
  for (let i = 0; i < HLL_REGISTERS; i++) {
    expected[i] = (i * 37 + 11) % 64;
    denseWrite(bytes, i, expected[i]);
  }
  for (let i = 0; i < HLL_REGISTERS; i++) {
    assert.equal(denseGet(bytes, i), expected[i]);
  }
  // Register 1 occupies the top 2 bits of byte 0 and the low 4 of byte 1.
  const one = new Uint8Array(HLL_DENSE_SIZE);
  denseWrite(one, 1, 63);
  assert.equal(one[16], 0xc0);
  assert.equal(one[17], 0x0f);
});

Deno.test("sparse updates split, merge and stay decodable", () => {
  const hll = createHll();
  assert.equal(sparseSet(hll, 1000, 2, 3000), 1);
  assert.equal(decodeSparse(hll.view()), "Z:1000 v:2,1 Z:15383");
  assert.equal(sparseSet(hll, 1020, 3, 3000), 1);
  assert.equal(sparseSet(hll, 1021, 3, 3000), 1);
  assert.equal(
    decodeSparse(hll.view()),
    "Z:1000 v:2,1 z:19 v:3,2 Z:15362",
  );
  // Lower or equal values change nothing.
  assert.equal(sparseSet(hll, 1021, 3, 3000), 0);
  assert.equal(sparseSet(hll, 1000, 1, 3000), 0);
  // Filling the gap merges equal neighbours up to a run of 4.
  assert.equal(sparseSet(hll, 1001, 2, 3000), 1);
  assert.equal(decodeSparse(hll.view()), "Z:1000 v:2,2 z:18 v:3,2 Z:15362");
  // Raising a register inside a VAL run splits it.
  assert.equal(sparseSet(hll, 1020, 5, 3000), 1);
  assert.equal(
    decodeSparse(hll.view()),
    "Z:1000 v:2,2 z:18 v:5,1 v:3,1 Z:15362",
  );
  // The cache is marked stale by every change.
  assert.equal(cachedCardinality(hll.view()), null);
});

Deno.test("sparse promotes to dense past VAL's range or the byte limit", () => {
  const big = createHll();
  assert.equal(sparseSet(big, 5, 33, 3000), 1);
  assert.equal(hllEncoding(big.view()), HLL_DENSE);
  assert.equal(big.length, HLL_DENSE_SIZE);
  assert.equal(denseGet(big.view(), 5), 33);

  const small = createHll();
  // XZERO:16384 -> XZERO:100 VAL XZERO:16283: 18 -> 21 bytes, still fits.
  sparseSet(small, 100, 1, 21);
  assert.equal(hllEncoding(small.view()), HLL_SPARSE);
  assert.equal(small.length, 21);
  sparseSet(small, 200, 1, 21);
  assert.equal(hllEncoding(small.view()), HLL_DENSE);
  assert.equal(denseGet(small.view(), 100), 1);
  assert.equal(denseGet(small.view(), 200), 1);
});

Deno.test("sparse and dense count the same for the same elements", () => {
  const sparse = createHll();
  const dense = createHll();
  assert.ok(sparseToDense(dense));
  for (let i = 0; i < 1500; i++) {
    hllAdd(sparse, `element:${i}`, 1_000_000);
    hllAdd(dense, `element:${i}`, 1_000_000);
  }
  assert.equal(hllEncoding(sparse.view()), HLL_SPARSE);
  const fromSparse = estimateCardinality(registerHistogram(sparse.view())!);
  const fromDense = estimateCardinality(registerHistogram(dense.view())!);
  assert.equal(fromSparse, fromDense);
  assert.ok(Math.abs(fromDense - 1500) < 1500 * 0.05, String(fromDense));

  const converted = new MutableString(sparse.view());
  assert.ok(sparseToDense(converted));
  for (let i = 0; i < HLL_REGISTERS; i++) {
    assert.equal(denseGet(converted.view(), i), denseGet(dense.view(), i));
  }
});

Deno.test("estimator: empty is 0, counts track the truth", () => {
  assert.equal(estimateCardinality(registerHistogram(createHll().view())!), 0);
  const hll = createHll();
  for (let i = 0; i < 100_000; i++) hllAdd(hll, String(i), 3000);
  assert.equal(hllEncoding(hll.view()), HLL_DENSE);
  const estimate = estimateCardinality(registerHistogram(hll.view())!);
  assert.ok(Math.abs(estimate - 100_000) < 100_000 * 0.03, String(estimate));
});

Deno.test("merging registers and writing them back", () => {
  const a = createHll();
  const b = createHll();
  for (let i = 0; i < 300; i++) hllAdd(a, `a${i}`, 3000);
  for (let i = 0; i < 300; i++) hllAdd(b, `b${i}`, 3000);
  sparseToDense(b);
  const max = new Uint8Array(HLL_REGISTERS);
  assert.ok(mergeInto(max, a.view()));
  assert.ok(mergeInto(max, b.view()));
  const union = estimateCardinality(rawHistogram(max));
  assert.ok(Math.abs(union - 600) < 30, String(union));

  const target = createHll();
  setRegisters(target, max, 3000);
  assert.equal(
    estimateCardinality(registerHistogram(target.view())!),
    union,
  );
});

Deno.test("corrupt sparse values are detected", () => {
  // A VAL run past the last register.
  const bytes = createHll().view().slice();
  const overrun = new MutableString(
    new Uint8Array([...bytes.subarray(0, 16), 0x7f, 0xff, 0x80]),
  );
  assert.equal(registerHistogram(overrun.view()), null);
  assert.equal(sparseToDense(overrun), false);
  assert.ok(!mergeInto(new Uint8Array(HLL_REGISTERS), overrun.view()));
  // Too few registers covered.
  const short = new MutableString(
    new Uint8Array([...bytes.subarray(0, 16), 0x00]),
  );
  assert.equal(registerHistogram(short.view()), null);
  assert.equal(sparseSet(short, 100, 1, 3000), -1);
});

Deno.test("isHll checks magic, encoding and the dense length", () => {
  const sparse = createHll().view();
  assert.ok(isHll(sparse));
  assert.ok(!isHll(sparse.subarray(0, 15)));
  const badMagic = sparse.slice();
  badMagic[0] = 0x68;
  assert.ok(!isHll(badMagic));
  const badEncoding = sparse.slice();
  badEncoding[4] = 2;
  assert.ok(!isHll(badEncoding));
  const dense = createHll();
  sparseToDense(dense);
  assert.ok(isHll(dense.view()));
  assert.ok(!isHll(dense.view().subarray(0, HLL_DENSE_SIZE - 1)));
});

Deno.test("cached cardinality is little-endian with a stale flag", () => {
  const bytes = createHll().view();
  setCachedCardinality(bytes, 0x0102030405);
  assert.deepEqual(
    [...bytes.subarray(8, 16)],
    [5, 4, 3, 2, 1, 0, 0, 0],
  );
  assert.equal(cachedCardinality(bytes), 0x0102030405);
  invalidateCache(bytes);
  assert.equal(bytes[15], 0x80);
  assert.equal(cachedCardinality(bytes), null);
});
