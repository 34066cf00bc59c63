/**
 * Seeded differential fuzzing in the test suite: a fixed script per command
 * group (and one mixing them all) must get the same replies from
 * redis-server 7.0 and redeno. On a mismatch the script up to it is saved
 * to a temp file named in the failure, ready to replay as a compat script.
 * FUZZ_SEED moves every seed, for a longer hunt:
 * `FUZZ_SEED=1000 deno test -A tests/compat/fuzz_test.ts`.
 * @module
 */

import {
  type RunningServer,
  startRedeno,
  startRedis,
} from "../helpers/servers.ts";
import { fuzzScript, GROUPS, reproducer } from "./fuzz.ts";
import { formatMismatches, runScript } from "./harness.ts";

const COMMANDS = 3000;
const SERVER_ARGS = ["--enable-debug-command", "yes"];

Deno.test("seeded random command scripts get redis-server 7.0's replies", async (t) => {
  const base = Number(Deno.env.get("FUZZ_SEED") ?? "1");
  const servers: RunningServer[] = [];
  try {
    servers.push(await startRedis(SERVER_ARGS));
    servers.push(await startRedeno(SERVER_ARGS));
    const [redis, redeno] = servers;
    const groups = [undefined, ...Object.keys(GROUPS)];
    for (const [i, group] of groups.entries()) {
      const script = fuzzScript(base + i, COMMANDS, group);
      await t.step(script.name, async () => {
        const mismatches = await runScript(script, redis.port, redeno.port);
        if (mismatches.length === 0) return;
        const path = Deno.makeTempFileSync({ suffix: ".txt" });
        Deno.writeTextFileSync(path, reproducer(script, mismatches[0].line));
        throw new Error(
          `${mismatches.length} replies differ (script up to the first: ${path}):\n${
            formatMismatches(mismatches.slice(0, 5))
          }`,
        );
      });
    }
  } finally {
    for (const server of servers) await server.stop();
  }
});
