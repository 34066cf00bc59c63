/**
 * redeno: a Redis-compatible server. `deno task start [redis.conf] [--name value ...]`.
 * @module
 */

import process from "node:process";
import { main, programArgs } from "./src/cli.ts";

if (import.meta.main) {
  process.exit(await main(programArgs()));
}
