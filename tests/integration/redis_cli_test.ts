/**
 * redis-cli 7.0 against redeno: one-shot commands, output modes, `-x`,
 * `--pipe` mass insertion, a command session on stdin, and exit codes. The
 * expected outputs are what redis-cli prints against redis-server 7.0.
 * @module
 */

import assert from "node:assert/strict";
import { binaryToBytes } from "../../src/protocol/binary.ts";
import { encodeCommand } from "../helpers/resp_client.ts";
import { type RunningServer, startRedeno } from "../helpers/servers.ts";

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs redis-cli with `args`, feeding `stdin` (or nothing); 30 s at most. */
async function cli(
  args: string[],
  stdin: Uint8Array | string = "",
): Promise<CliResult> {
  const child = new Deno.Command("redis-cli", {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const writer = child.stdin.getWriter();
  await writer.write(
    typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin,
  );
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** redis-cli against `server`. */
function cliOn(server: RunningServer) {
  return (args: string[], stdin?: Uint8Array | string) =>
    cli(["-h", "127.0.0.1", "-p", String(server.port), ...args], stdin);
}

Deno.test("redis-cli", async (t) => {
  const server = await startRedeno();
  const run = cliOn(server);
  try {
    await t.step("ping", async () => {
      assert.deepEqual(await run(["ping"]), {
        code: 0,
        stdout: "PONG\n",
        stderr: "",
      });
      assert.equal((await run(["-2", "ping"])).stdout, "PONG\n");
    });

    await t.step("-3 switches to RESP3 with HELLO", async () => {
      assert.equal((await run(["-3", "ping"])).stdout, "PONG\n");
      assert.equal(
        (await run(["-3", "--no-raw", "config", "get", "databases"])).stdout,
        '1# "databases" => "16"\n',
      );
    });

    await t.step("set and get, raw and formatted output", async () => {
      assert.equal((await run(["set", "k", "v"])).stdout, "OK\n");
      assert.equal((await run(["get", "k"])).stdout, "v\n");
      assert.equal((await run(["get", "missing"])).stdout, "\n");
      assert.equal(
        (await run(["--no-raw", "get", "missing"])).stdout,
        "(nil)\n",
      );
      assert.equal((await run(["--no-raw", "get", "k"])).stdout, '"v"\n');
      assert.equal(
        (await run(["--no-raw", "del", "k"])).stdout,
        "(integer) 1\n",
      );
    });

    await t.step("-x takes the last argument from stdin", async () => {
      assert.equal((await run(["-x", "set", "nl"], "a\nb")).stdout, "OK\n");
      assert.equal((await run(["--raw", "get", "nl"])).stdout, "a\nb\n");
      assert.equal((await run(["--no-raw", "get", "nl"])).stdout, '"a\\nb"\n');
      // Bytes that are not text survive the trip and print escaped.
      const bytes = new Uint8Array([0, 1, 200, 255, 13, 10]);
      assert.equal((await run(["-x", "set", "bin"], bytes)).stdout, "OK\n");
      assert.equal(
        (await run(["--no-raw", "get", "bin"])).stdout,
        '"\\x00\\x01\\xc8\\xff\\r\\n"\n',
      );
    });

    await t.step("a command session on stdin", async () => {
      const result = await run(
        [],
        'set a 1\nget a\nttl a\nping "x y"\nexists a nope\n',
      );
      assert.deepEqual(result, {
        code: 0,
        stdout: "OK\n1\n-1\nx y\n1\n",
        stderr: "",
      });
    });

    await t.step("error replies and exit codes", async () => {
      const unknown = await run(["foo", "bar"]);
      assert.equal(unknown.code, 0);
      assert.equal(
        unknown.stdout,
        "ERR unknown command 'foo', with args beginning with: 'bar' \n\n",
      );
      assert.equal(
        (await run(["--no-raw", "get"])).stdout,
        "(error) ERR wrong number of arguments for 'get' command\n",
      );
      // -e makes a failed command fail the process.
      assert.equal((await run(["-e", "foo"])).code, 1);
      assert.equal((await run(["-e", "ping"])).code, 0);
    });

    await t.step("--pipe mass insertion of 100k SETs", async () => {
      assert.equal((await run(["flushall"])).stdout, "OK\n");
      const count = 100_000;
      const frames: Uint8Array[] = [];
      let size = 0;
      for (let i = 0; i < count; i++) {
        const frame = encodeCommand(["SET", `key:${i}`, `value:${i}`]);
        frames.push(frame);
        size += frame.length;
      }
      const payload = new Uint8Array(size);
      let offset = 0;
      for (const frame of frames) {
        payload.set(frame, offset);
        offset += frame.length;
      }
      const result = await run(["--pipe"], payload);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /errors: 0, replies: 100000\n$/);
      assert.equal((await run(["dbsize"])).stdout, "100000\n");
      assert.equal((await run(["get", "key:99999"])).stdout, "value:99999\n");
    });

    await t.step("--pipe counts error replies and exits 1", async () => {
      const payload = binaryToBytes(
        "*1\r\n$3\r\nFOO\r\n*3\r\n$3\r\nSET\r\n$1\r\np\r\n$1\r\nq\r\n",
      );
      const result = await run(["--pipe"], payload);
      assert.equal(result.code, 1);
      assert.match(result.stdout, /errors: 1, replies: 2\n$/);
    });
  } finally {
    await server.stop();
  }
});
