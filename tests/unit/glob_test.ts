import assert from "node:assert/strict";
import { globMatch } from "../../src/util/glob.ts";

Deno.test("glob: stars and question marks", () => {
  assert.equal(globMatch("*", ""), true);
  assert.equal(globMatch("*", "anything"), true);
  assert.equal(globMatch("h?llo", "hello"), true);
  assert.equal(globMatch("h?llo", "hllo"), false);
  assert.equal(globMatch("h*llo", "hllo"), true);
  assert.equal(globMatch("h*llo", "heeeello"), true);
  assert.equal(globMatch("*a*b*", "xxaxxbxx"), true);
  assert.equal(globMatch("*a*b", "xxaxxbxxc"), false);
  assert.equal(globMatch("a**b", "ab"), true);
  assert.equal(globMatch("", ""), true);
  assert.equal(globMatch("", "a"), false);
});

Deno.test("glob: classes, ranges and negation", () => {
  assert.equal(globMatch("h[ae]llo", "hallo"), true);
  assert.equal(globMatch("h[ae]llo", "hillo"), false);
  assert.equal(globMatch("h[^e]llo", "hallo"), true);
  assert.equal(globMatch("h[^e]llo", "hello"), false);
  assert.equal(globMatch("h[a-b]llo", "hbllo"), true);
  assert.equal(globMatch("h[b-a]llo", "hallo"), true, "reversed range");
  assert.equal(globMatch("h[a-b]llo", "hcllo"), false);
  assert.equal(globMatch("[\\]]", "]"), true);
  assert.equal(
    globMatch("[abc", "b"),
    true,
    "unterminated class ends the pattern",
  );
  assert.equal(globMatch("[abc", "bc"), false);
});

Deno.test("glob: escapes", () => {
  assert.equal(globMatch("a\\*b", "a*b"), true);
  assert.equal(globMatch("a\\*b", "axb"), false);
  assert.equal(globMatch("a\\?", "a?"), true);
  assert.equal(
    globMatch("a\\", "a\\"),
    true,
    "a trailing backslash is literal",
  );
});

Deno.test("glob: nocase", () => {
  assert.equal(globMatch("PORT", "port"), false);
  assert.equal(globMatch("PORT", "port", true), true);
  assert.equal(globMatch("P[N-P]RT", "port", true), true);
  assert.equal(globMatch("*MAX*", "maxmemory", true), true);
});

Deno.test("glob: binary strings", () => {
  assert.equal(globMatch("\xff*", "\xff\x00\x01"), true);
  assert.equal(globMatch("?", "\x00"), true);
});
