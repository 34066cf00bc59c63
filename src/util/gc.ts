/**
 * A full garbage collection on request, where the runtime offers one: Bun's
 * `Bun.gc`, or in Deno V8's `gc` exposed through node:v8 and node:vm, and
 * the rule for when the server asks for one. Redis's allocator returns freed
 * memory at once; a JS heap keeps garbage until allocation pressure, which an
 * idle server never has, so its resident memory would stay at its peak.
 * @module
 */

import v8 from "node:v8";
import vm from "node:vm";

type Collector = () => void;

function findCollector(): Collector | undefined {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun) return () => bun.gc(true);
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc");
    return typeof gc === "function" ? gc as Collector : undefined;
  } catch {
    return undefined;
  }
}

const collector = findCollector();

/** Runs a full collection now; false when the runtime offers no way to. */
export function collectGarbage(): boolean {
  if (!collector) return false;
  collector();
  return true;
}

/** Expired keys after which an idle server collects (their memory is garbage). */
const COLLECT_AFTER_EXPIRED = 10_000;
/** Heap growth (bytes) over the last collection's live size that is always tolerated. */
const HEAP_SLACK = 32 * 1024 * 1024;
/** An idle server collects once the heap exceeds its last live size by this factor (plus the slack). */
const HEAP_GROWTH_FACTOR = 1.5;

/**
 * Collects garbage once the server goes idle after heavy work. A full
 * collection pauses the thread for tens of milliseconds, so it waits for a
 * cron period in which no command ran (a busy server collects on its own),
 * and only when garbage is likely at least half of what is live (the heap
 * grew 1.5 times past the last collection's live size, plus 32 MB), or many
 * keys expired: so its cost stays proportional to the work that made the
 * garbage.
 */
export class IdleCollector {
  private commandsSeen = -1;
  private liveAfterCollect = 0;
  private expiredAtCollect = 0;

  /**
   * Called every cron period with the running command and expiry totals and
   * the heap in use (live data plus garbage not yet collected).
   */
  tick(commands: number, expiredKeys: number, heapUsed: () => number): void {
    const idle = commands === this.commandsSeen;
    this.commandsSeen = commands;
    // CONFIG RESETSTAT restarts the totals.
    if (expiredKeys < this.expiredAtCollect) this.expiredAtCollect = 0;
    if (!idle) return;
    const heap = heapUsed();
    if (
      heap > this.liveAfterCollect * HEAP_GROWTH_FACTOR + HEAP_SLACK ||
      expiredKeys - this.expiredAtCollect >= COLLECT_AFTER_EXPIRED
    ) {
      this.expiredAtCollect = expiredKeys;
      if (collectGarbage()) this.liveAfterCollect = heapUsed();
    }
  }
}
