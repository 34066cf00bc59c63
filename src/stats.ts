/**
 * Counters behind INFO stats, commandstats and errorstats.
 * @module
 */

/** Per-command counters (INFO commandstats). */
export interface CommandStats {
  calls: number;
  /** Microseconds spent in the handler. */
  usec: number;
  /** Refused before running (arity, unknown subcommand, MULTI errors...). */
  rejectedCalls: number;
  /** Ran and replied with an error. */
  failedCalls: number;
}

/** Server-wide counters; CONFIG RESETSTAT clears them. */
export class Stats {
  totalConnections = 0;
  rejectedConnections = 0;
  totalCommands = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  expiredKeys = 0;
  evictedKeys = 0;
  keyspaceHits = 0;
  keyspaceMisses = 0;
  totalErrorReplies = 0;
  /** `totalErrorReplies` when a command was last charged with its errors. */
  errorsCharged = 0;
  readonly commands = new Map<string, CommandStats>();
  /** Error replies by their first word (ERR, WRONGTYPE...). */
  readonly errors = new Map<string, number>();

  /** The counters of a command, created on first use. */
  command(fullName: string): CommandStats {
    let s = this.commands.get(fullName);
    if (!s) {
      s = { calls: 0, usec: 0, rejectedCalls: 0, failedCalls: 0 };
      this.commands.set(fullName, s);
    }
    return s;
  }

  /** Counts an error reply under its code, as Redis's afterErrorReply does. */
  recordError(message: string): void {
    this.totalErrorReplies++;
    // The code is the first word if it ends within 32 bytes, else ERR.
    const space = message.indexOf(" ");
    const code = space === -1 || space >= 32 ? "ERR" : message.slice(0, space);
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  /** CONFIG RESETSTAT. */
  reset(): void {
    this.totalConnections = this.rejectedConnections = this.totalCommands = 0;
    this.netInputBytes = this.netOutputBytes = 0;
    this.expiredKeys = this.evictedKeys = 0;
    this.keyspaceHits = this.keyspaceMisses = 0;
    this.totalErrorReplies = this.errorsCharged = 0;
    this.commands.clear();
    this.errors.clear();
  }
}
