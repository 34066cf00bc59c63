import assert from "node:assert/strict";
import { encodeCommand, type RespClient } from "../helpers/resp_client.ts";
import { startRedeno } from "../helpers/servers.ts";

const HALF = 500_000;
const PER_PUSH = 1_000;
const SINGLE_POPS = 100_000;

/** Sends `commands` in one write and checks each reply with `check`. */
async function pipeline(
  client: RespClient,
  commands: (string | number)[][],
  check: (reply: unknown, index: number) => void,
): Promise<void> {
  const frames = commands.map(encodeCommand);
  const buf = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let offset = 0;
  for (const frame of frames) {
    buf.set(frame, offset);
    offset += frame.length;
  }
  await client.send(buf);
  for (let i = 0; i < commands.length; i++) check(await client.read(), i);
}

/** Milliseconds `fn` takes. */
async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

Deno.test("a 1,000,000-element list pushes, reads and pops fast at both ends", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  try {
    // 500k RPUSHed as t0..t499999, 500k LPUSHed as h0..h499999, so the
    // list reads h499999 ... h0 t0 ... t499999.
    for (const [command, prefix] of [["RPUSH", "t"], ["LPUSH", "h"]]) {
      for (let batch = 0; batch < HALF; batch += 100 * PER_PUSH) {
        const commands: string[][] = [];
        for (let c = batch; c < batch + 100 * PER_PUSH; c += PER_PUSH) {
          const argv = [command, "big"];
          for (let i = c; i < c + PER_PUSH; i++) argv.push(`${prefix}${i}`);
          commands.push(argv);
        }
        await pipeline(client, commands, (reply, i) => {
          const expected = (prefix === "h" ? HALF : 0) + batch +
            (i + 1) * PER_PUSH;
          assert.equal(reply, expected);
        });
      }
    }
    assert.equal(await client.call("LLEN", "big"), 2 * HALF);

    // Index access near both ends and in the middle: each answer is quick.
    const reads: [string[], unknown][] = [
      [["LINDEX", "big", "0"], "h499999"],
      [["LINDEX", "big", "-1"], "t499999"],
      [["LINDEX", "big", "1"], "h499998"],
      [["LINDEX", "big", "-2"], "t499998"],
      [["LINDEX", "big", `${HALF}`], "t0"],
      [["LINDEX", "big", `${HALF - 1}`], "h0"],
      [["LRANGE", "big", "0", "2"], ["h499999", "h499998", "h499997"]],
      [["LRANGE", "big", "-3", "-1"], ["t499997", "t499998", "t499999"]],
      [["LRANGE", "big", `${HALF - 1}`, `${HALF}`], ["h0", "t0"]],
      [["LPOS", "big", "h499990"], 9],
      [["LPOS", "big", "t499990", "RANK", "-1"], 2 * HALF - 10],
    ];
    for (const [argv, expected] of reads) {
      let reply: unknown;
      const ms = await timed(async () => {
        reply = await client.call(...argv);
      });
      assert.deepEqual(reply, expected, argv.join(" "));
      assert.ok(ms < 100, `${argv.join(" ")} took ${ms.toFixed(1)} ms`);
    }
    const lset = await timed(async () => {
      assert.equal(await client.call("LSET", "big", "-1", "last"), "OK");
      assert.equal(await client.call("LSET", "big", "0", "first"), "OK");
    });
    assert.ok(lset < 100, `LSET at both ends took ${lset.toFixed(1)} ms`);

    // Single pops at both ends: O(1) each, so 200k of them take well under
    // the time one shift of a million-element array per pop would.
    const popMs = await timed(async () => {
      const commands: string[][] = [];
      for (let i = 0; i < SINGLE_POPS; i++) {
        commands.push(["LPOP", "big"], ["RPOP", "big"]);
      }
      await pipeline(client, commands, (reply, i) => {
        const n = i >> 1;
        if (i % 2 === 0) {
          assert.equal(reply, n === 0 ? "first" : `h${HALF - 1 - n}`);
        } else {
          assert.equal(reply, n === 0 ? "last" : `t${HALF - 1 - n}`);
        }
      });
    });
    assert.ok(popMs < 10_000, `200k single pops took ${popMs.toFixed(0)} ms`);
    assert.equal(await client.call("LLEN", "big"), 2 * (HALF - SINGLE_POPS));

    // Rotation keeps working at this size.
    assert.equal(await client.call("RPOPLPUSH", "big", "big"), "t399999");
    assert.equal(
      await client.call("LMOVE", "big", "big", "LEFT", "RIGHT"),
      "t399999",
    );

    // Pops with a count drain the rest; the emptied key disappears.
    let left = 2 * (HALF - SINGLE_POPS);
    while (left > 0) {
      const reply = await client.call("LPOP", "big", "100000") as string[];
      assert.equal(reply.length, Math.min(100_000, left));
      left -= reply.length;
      if (left > 0) {
        const tail = await client.call("RPOP", "big", "100000") as string[];
        left -= tail.length;
      }
    }
    assert.equal(await client.call("EXISTS", "big"), 0);
    assert.equal(await client.call("LPOP", "big"), null);
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("a list trimmed from 200k elements still pushes, copies and reports quicklist", async () => {
  const server = await startRedeno();
  const client = await server.connect();
  try {
    const commands: string[][] = [];
    for (let c = 0; c < 200; c++) {
      const argv = ["RPUSH", "l"];
      for (let i = 0; i < PER_PUSH; i++) argv.push(`${c}:${i}`);
      commands.push(argv);
    }
    await pipeline(client, commands, () => {});
    assert.equal(await client.call("LTRIM", "l", "0", "9"), "OK");
    assert.equal(await client.call("LLEN", "l"), 10);
    assert.deepEqual(await client.call("LRANGE", "l", "-1", "-1"), ["0:9"]);
    assert.equal(await client.call("OBJECT", "ENCODING", "l"), "quicklist");
    assert.equal(await client.call("COPY", "l", "c"), 1);
    assert.equal(await client.call("RPUSH", "c", "x"), 11);
    assert.equal(await client.call("LLEN", "l"), 10);
  } finally {
    client.close();
    await server.stop();
  }
});
