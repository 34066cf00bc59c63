/**
 * dist/redeno stands alone: copied into an empty directory and run with an
 * empty environment whose PATH reaches no node, deno or bun, it serves RESP,
 * answers --version and --help, and exits 0 on SIGTERM. Runs with
 * REDENO_TARGET=binary, after `make binary`.
 * @module
 */

import assert from "node:assert/strict";
import { REDENO_VERSION, REDIS_VERSION } from "../../src/server.ts";
import { freePort } from "../helpers/ports.ts";
import { currentTarget, spawnServer } from "../helpers/servers.ts";

const BINARY = new URL("../../dist/redeno", import.meta.url).pathname;

/** The shared libraries the Dockerfile's base image must provide (glibc only). */
const GLIBC =
  /^(linux-vdso|libc|libm|libdl|libpthread|librt|ld-linux[-\w]*)\.so/;

/**
 * A fresh directory whose `bin/` holds nothing but a copy of the binary; the
 * environment is that `bin/` as PATH and nothing else.
 */
function isolatedCopy(): {
  dir: string;
  exe: string;
  env: Record<string, string>;
} {
  const dir = Deno.makeTempDirSync({ prefix: "redeno-standalone-" });
  const bin = `${dir}/bin`;
  Deno.mkdirSync(bin);
  const exe = `${bin}/redeno`;
  Deno.copyFileSync(BINARY, exe);
  return { dir, exe, env: { PATH: bin } };
}

/** Runs a command to completion, environment cleared except `env`. */
async function runIsolated(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
) {
  const { code, stdout, stderr } = await new Deno.Command(cmd, {
    args,
    cwd,
    env,
    clearEnv: true,
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

Deno.test({
  name: "dist/redeno runs with no node, deno or bun reachable",
  ignore: currentTarget() !== "binary",
  async fn(t) {
    const { dir, exe, env } = isolatedCopy();
    try {
      await t.step("PATH finds redeno and no JavaScript runtime", async () => {
        const which = (...names: string[]) =>
          runIsolated("/usr/bin/which", names, dir, env);
        assert.deepEqual(await which("redeno"), {
          code: 0,
          stdout: `${exe}\n`,
          stderr: "",
        });
        const runtimes = await which("node", "deno", "bun");
        assert.equal(runtimes.stdout, "");
        assert.notEqual(runtimes.code, 0);
      });

      await t.step("links nothing but glibc", async () => {
        const ldd = await new Deno.Command("ldd", { args: [exe] }).output();
        const libs = new TextDecoder().decode(ldd.stdout).trim().split("\n")
          .map((line) => line.trim().split(/\s+/)[0].replace(/^.*\//, ""));
        assert.ok(libs.length > 0);
        for (const lib of libs) assert.match(lib, GLIBC);
      });

      await t.step("--version and --help", async () => {
        const version = await runIsolated(exe, ["--version"], dir, env);
        assert.equal(version.code, 0, version.stderr);
        assert.ok(
          version.stdout.includes(`redis_version=${REDIS_VERSION}`),
          version.stdout,
        );
        assert.equal(REDIS_VERSION, "7.0.15");
        assert.ok(
          version.stdout.includes(`v=${REDENO_VERSION}`),
          version.stdout,
        );
        const help = await runIsolated(exe, ["--help"], dir, env);
        assert.equal(help.code, 0, help.stderr);
        assert.match(help.stdout, /^Usage: redeno /);
      });

      await t.step("serves RESP and exits 0 on SIGTERM", async () => {
        const port = freePort();
        const server = await spawnServer(
          [exe, "--port", String(port), "--bind", "127.0.0.1"],
          port,
          { cwd: dir, env, clearEnv: true },
        );
        let stopped = false;
        try {
          const client = await server.connect();
          try {
            assert.equal(await client.call("PING"), "PONG");
            assert.equal(await client.call("SET", "k", "\x00\xff"), "OK");
            assert.equal(await client.call("GET", "k"), "\x00\xff");
          } finally {
            client.close();
          }
          const status = await server.stop();
          stopped = true;
          assert.equal(status.code, 0, server.output());
          assert.equal(status.signal, null);
          assert.match(server.output(), /ready to accept connections/);
        } finally {
          if (!stopped) await server.stop();
        }
      });
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
