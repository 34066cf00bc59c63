import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { startRedeno } from "../helpers/servers.ts";
import { RespClient } from "../helpers/resp_client.ts";

async function redisCli(args: string[]): Promise<string> {
  const out = await new Deno.Command("redis-cli", { args, stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("unixsocket: serves on the socket with unixsocketperm, removes it at shutdown", async () => {
  const dir = Deno.makeTempDirSync();
  const path = join(dir, "redeno.sock");
  Deno.writeTextFileSync(path, "stale"); // a leftover file is replaced, as Redis does
  const server = await startRedeno([
    "--unixsocket",
    path,
    "--unixsocketperm",
    "700",
  ]);
  try {
    assert.equal(statSync(path).mode & 0o777, 0o700);
    assert.equal(await redisCli(["-s", path, "ping"]), "PONG");
    const conn = await Deno.connect({ transport: "unix", path });
    const client = RespClient.fromConn(conn);
    assert.equal(await client.call("SET", "via", "unix"), "OK");
    client.close();
    const tcp = await server.connect();
    assert.equal(await tcp.call("GET", "via"), "unix");
    tcp.close();
  } finally {
    assert.equal((await server.stop()).code, 0);
  }
  assert.equal(existsSync(path), false);
});

Deno.test("logfile and loglevel: lines in Redis's format, level changes at runtime", async () => {
  const dir = Deno.makeTempDirSync();
  const logfile = join(dir, "redeno.log");
  const server = await startRedeno([
    "--logfile",
    logfile,
    "--loglevel",
    "verbose",
  ]);
  const client = await server.connect();
  try {
    // The port can open a moment before the ready line is written.
    let startup = "";
    for (let i = 0; i < 40 && !startup.includes("ready"); i++) {
      await new Promise((r) => setTimeout(r, 50));
      startup = readFileSync(logfile, "utf8");
    }
    assert.match(
      startup,
      /^\d+:M \d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3} \* redeno .* ready to accept connections/m,
    );
    assert.equal(server.output(), "", "nothing goes to stdout with a logfile");
    // A protocol error is logged at verbose level ("-" marker) ...
    const bad = await server.connect();
    await bad.send("*1\r\n$x\r\n");
    await bad.closedWithin(2000);
    bad.close();
    assert.match(readFileSync(logfile, "utf8"), / - Protocol error/);
    // ... and not at all once the level is raised.
    assert.equal(
      await client.call("CONFIG", "SET", "loglevel", "warning"),
      "OK",
    );
    const before = readFileSync(logfile, "utf8").length;
    const bad2 = await server.connect();
    await bad2.send("*1\r\n$x\r\n");
    await bad2.closedWithin(2000);
    bad2.close();
    assert.equal(readFileSync(logfile, "utf8").length, before);
  } finally {
    client.close();
    await server.stop();
  }
  assert.match(
    readFileSync(logfile, "utf8"),
    /# Redis is now ready to exit, bye bye/,
  );
});
