/**
 * Starts servers for tests on free ports: redeno on the runtime named by
 * REDENO_TARGET (deno, bun, or binary for dist/redeno), or the real
 * redis-server 7.0 as the oracle. Every server binds 127.0.0.1 and is stopped
 * by the test that started it.
 * @module
 */

import { freePort } from "./ports.ts";
import { RespClient } from "./resp_client.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Where redeno runs: under Deno, under Bun, or as the built executable. */
export type Target = "deno" | "bun" | "binary";

/** The target from REDENO_TARGET (default deno). */
export function currentTarget(): Target {
  const t = Deno.env.get("REDENO_TARGET") ?? "deno";
  if (t !== "deno" && t !== "bun" && t !== "binary") {
    throw new Error(`REDENO_TARGET must be deno, bun or binary, not ${t}`);
  }
  return t;
}

/** A running server process. */
export interface RunningServer {
  port: number;
  process: Deno.ChildProcess;
  /** Output so far (stdout and stderr), for assertions on log lines. */
  output(): string;
  /** Connects a test client. */
  connect(): Promise<RespClient>;
  /** Stops the process (SIGTERM, then SIGKILL) and waits for it. */
  stop(): Promise<Deno.CommandStatus>;
}

/** The command line that runs redeno on `target`. */
export function redenoCommand(target: Target = currentTarget()): string[] {
  const deno = Deno.execPath();
  switch (target) {
    case "deno":
      return [deno, "run", "--allow-all", `${ROOT}main.ts`];
    case "bun":
      return [`${ROOT}node_modules/.bin/bun`, `${ROOT}main.ts`];
    case "binary":
      return [`${ROOT}dist/redeno`];
  }
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  sink: string[],
): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) sink.push(decoder.decode(chunk));
}

/**
 * The process_id from INFO server on `conn`, or undefined when the server
 * refuses INFO (a password is set) so the owner cannot be told.
 */
async function processIdOf(conn: Deno.Conn): Promise<number | undefined> {
  await conn.write(
    new TextEncoder().encode("*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n"),
  );
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(16384);
  let text = "";
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error("connection closed during INFO");
    text += decoder.decode(buffer.subarray(0, n));
    if (text.startsWith("-")) return undefined;
    const match = /process_id:(\d+)\r\n/.exec(text);
    if (match) return Number(match[1]);
  }
}

async function waitForPort(
  port: number,
  child: Deno.ChildProcess,
  output: () => string,
): Promise<void> {
  let exited = false;
  child.status.then(() => (exited = true));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`server exited during start:\n${output()}`);
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const pid = await processIdOf(conn).finally(() => conn.close());
      // Another process may own the port if our child failed to bind it.
      if (pid === undefined || pid === child.pid) return;
      throw new Error(`port ${port} is served by process ${pid}`);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("port ")) {
        throw new Error(`${error.message}, not ours:\n${output()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`server did not listen on ${port}:\n${output()}`);
}

/** Spawns `cmd` with `args`, waits for `port`, returns a handle. */
export async function spawnServer(
  cmd: string[],
  port: number,
  options: { cwd?: string; env?: Record<string, string>; clearEnv?: boolean } =
    {},
): Promise<RunningServer> {
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: options.cwd,
    env: options.env,
    clearEnv: options.clearEnv,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const sink: string[] = [];
  const readers = Promise.all([
    collect(child.stdout, sink),
    collect(child.stderr, sink),
  ]);
  const output = () => sink.join("");
  let status: Deno.CommandStatus | undefined;
  const stop = async () => {
    if (status) return status;
    try {
      child.kill("SIGTERM");
    } catch {
      // already exited
    }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
    }, 5000);
    status = await child.status;
    clearTimeout(timer);
    await readers;
    return status;
  };
  try {
    await waitForPort(port, child, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    process: child,
    output,
    connect: () => RespClient.connect(port),
    stop,
  };
}

/**
 * Runs `start` on a free port, again on another one when the port was taken
 * between choosing and binding it (another test's client or server got it).
 */
async function onFreePort(
  start: (port: number) => Promise<RunningServer>,
): Promise<RunningServer> {
  for (let attempt = 1;; attempt++) {
    try {
      return await start(freePort());
    } catch (error) {
      const taken = error instanceof Error &&
        /already in use|not ours/.test(error.message);
      if (!taken || attempt === 3) throw error;
    }
  }
}

/** Starts redeno on a free port with extra redis-server style arguments. */
export function startRedeno(
  args: string[] = [],
  target: Target = currentTarget(),
): Promise<RunningServer> {
  return onFreePort((port) =>
    spawnServer(
      [
        ...redenoCommand(target),
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        // Its own directory: the dump it saves at shutdown must not reach others.
        "--dir",
        Deno.makeTempDirSync(),
        ...args,
      ],
      port,
      { cwd: ROOT },
    )
  );
}

/** Starts the real redis-server 7.0 on a free port, without persistence. */
export function startRedis(args: string[] = []): Promise<RunningServer> {
  return onFreePort((port) =>
    spawnServer(
      [
        "redis-server",
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        Deno.makeTempDirSync(),
        ...args,
      ],
      port,
    )
  );
}
