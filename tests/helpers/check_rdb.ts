/**
 * redis-check-rdb, the oracle for RDB files in tests.
 * @module
 */

import assert from "node:assert/strict";

/** redis-check-rdb's exit code and report (its standard output) for `path`. */
export async function runCheckRdb(
  path: string,
): Promise<{ code: number; report: string }> {
  const { code, stdout } = await new Deno.Command("redis-check-rdb", {
    args: [path],
    stdout: "piped",
    stderr: "null",
  }).output();
  return { code, report: new TextDecoder().decode(stdout) };
}

/** Asserts that redis-check-rdb passes the file at `path`; returns its report. */
export async function assertRdbChecks(path: string): Promise<string> {
  const { code, report } = await runCheckRdb(path);
  assert.equal(code, 0, report);
  assert.match(report, /RDB looks OK!/);
  return report;
}
