/**
 * Pipelining: every command decoded from one read is answered with one
 * socket write, long pipelines come back complete and in order, and a client
 * that pipelines without reading holds up nobody else.
 * @module
 */

import assert from "node:assert/strict";
import { binaryToBytes, bytesToBinary } from "../../src/protocol/binary.ts";
import { Client } from "../../src/client.ts";
import type { Connection } from "../../src/net/types.ts";
import { inProcessServer } from "../helpers/in_process.ts";
import { encodeCommand } from "../helpers/resp_client.ts";
import { startRedeno } from "../helpers/servers.ts";

const PING = "*1\r\n$4\r\nPING\r\n";

/** `argv` frames for `count` commands made by `make`, in one buffer. */
function pipelineOf(
  count: number,
  make: (i: number) => (string | number)[],
): Uint8Array {
  const frames = Array.from(
    { length: count },
    (_, i) => encodeCommand(make(i)),
  );
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let offset = 0;
  for (const frame of frames) {
    out.set(frame, offset);
    offset += frame.length;
  }
  return out;
}

/** Resolves with `promise`, or rejects after `ms` saying what timed out. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: over ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resident memory of process `pid` in bytes (Linux /proc). */
function residentBytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  assert.ok(kb, "no VmRSS");
  return Number(kb[1]) * 1024;
}

/** A Connection that records every write instead of sending it. */
class RecordingConnection implements Connection {
  readonly remoteAddress = "127.0.0.1:50000";
  readonly localAddress = "127.0.0.1:6379";
  readonly unix = false;
  readonly writes: string[] = [];
  write(bytes: Uint8Array): undefined {
    this.writes.push(bytesToBinary(bytes));
  }
  close(): void {}
  setKeepAlive(): void {}
}

Deno.test("commands from one read are answered with exactly one write", () => {
  // In process, so the writes themselves can be counted; TCP cannot show them.
  const server = inProcessServer();
  const conn = new RecordingConnection();
  const client = new Client(server, conn);
  client.data(binaryToBytes(PING.repeat(100)));
  assert.deepEqual(conn.writes, ["+PONG\r\n".repeat(100)]);

  // A command split across reads is answered once it is complete.
  client.data(binaryToBytes(PING + "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r"));
  client.data(binaryToBytes("\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"));
  assert.deepEqual(conn.writes.slice(1), ["+PONG\r\n", "+OK\r\n$1\r\nv\r\n"]);
  client.close();
});

Deno.test("pipelines over TCP", async (t) => {
  const server = await startRedeno();
  try {
    await t.step(
      "100 PINGs in one write come back in very few reads",
      async () => {
        const conn = await Deno.connect({
          hostname: "127.0.0.1",
          port: server.port,
        });
        try {
          const request = binaryToBytes(PING.repeat(100));
          assert.equal(await conn.write(request), request.length);
          const expected = "+PONG\r\n".repeat(100);
          const buf = new Uint8Array(64 * 1024);
          let received = "";
          let reads = 0;
          while (received.length < expected.length) {
            const n = await within(5000, "replies", conn.read(buf));
            assert.ok(n !== null, "connection closed");
            received += bytesToBinary(buf.subarray(0, n));
            reads++;
          }
          assert.equal(received, expected);
          // The write count itself is checked in process above; over TCP
          // the observable part is that the replies arrive together.
          assert.ok(reads <= 2, `replies took ${reads} reads`);
        } finally {
          conn.close();
        }
      },
    );

    await t.step(
      "100k commands in one pipeline are answered in order",
      async () => {
        const client = await server.connect();
        try {
          const count = 100_000;
          const sending = client.send(pipelineOf(count, (i) => ["ECHO", i]));
          for (let i = 0; i < count; i++) {
            const reply = await within(10_000, `reply ${i}`, client.read());
            if (reply !== String(i)) assert.equal(reply, String(i));
          }
          await sending;
          assert.equal(await client.call("PING"), "PONG");
        } finally {
          client.close();
        }
      },
    );

    await t.step("a client that never reads holds up nobody else", async () => {
      const setup = await server.connect();
      await setup.call("SET", "kb", "x".repeat(1024));
      setup.close();
      const rssBefore = residentBytes(server.process.pid);
      // 8 MB of GETs asks for ~340 MB of replies that are never read: the
      // server must stop reading this client rather than queue them all.
      const greedy = await Deno.connect({
        hostname: "127.0.0.1",
        port: server.port,
      });
      const flood = pipelineOf(340_000, () => ["GET", "kb"]);
      const flooding = (async () => {
        let offset = 0;
        while (offset < flood.length) {
          offset += await greedy.write(flood.subarray(offset));
        }
      })().catch(() => {/* closed below while still writing */});
      const other = await server.connect();
      try {
        for (let i = 0; i < 200; i++) {
          assert.equal(
            await within(2000, "other client", other.call("SET", `o:${i}`, i)),
            "OK",
          );
          assert.equal(await other.call("GET", `o:${i}`), String(i));
        }
        assert.equal(await other.call("PING"), "PONG");
        const grown = residentBytes(server.process.pid) - rssBefore;
        assert.ok(grown < 150 * 2 ** 20, `server grew ${grown} bytes`);
      } finally {
        greedy.close();
        await flooding;
        other.close();
      }
      const after = await server.connect();
      assert.equal(await within(5000, "after", after.call("PING")), "PONG");
      after.close();
    });
  } finally {
    await server.stop();
  }
});
