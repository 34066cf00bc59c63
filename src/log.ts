/**
 * The server's logger. LogTape (npm) stands in for @std/log, which lives on
 * JSR and cannot be installed here. Lines use Redis's format
 * (`pid:M 21 Nov 2026 10:00:00.123 * message`) so tools that read Redis logs
 * read ours; levels follow Redis's `loglevel`.
 * @module
 */

import {
  configure,
  getLogger,
  type Logger,
  type LogLevel,
  type LogRecord,
  reset,
} from "@logtape/logtape";
import { closeSync, openSync, writeSync } from "node:fs";
import process from "node:process";

/** Redis's log levels, least to most severe. */
export type RedisLogLevel = "debug" | "verbose" | "notice" | "warning";

const LOGTAPE_LEVEL: Record<RedisLogLevel, LogLevel> = {
  debug: "trace",
  verbose: "debug",
  notice: "info",
  warning: "warning",
};

/** Redis marks each level with one character. */
const LEVEL_MARK: Partial<Record<LogLevel, string>> = {
  trace: ".",
  debug: "-",
  info: "*",
  warning: "#",
  error: "#",
  fatal: "#",
};

const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Formats a record the way Redis's serverLogRaw does. */
export function formatRecord(record: LogRecord, role: string): string {
  const d = new Date(record.timestamp);
  const stamp =
    `${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${
      pad(d.getMilliseconds(), 3)
    }`;
  const text = record.message.map((part) => String(part)).join("");
  return `${process.pid}:${role} ${stamp} ${
    LEVEL_MARK[record.level] ?? "*"
  } ${text}\n`;
}

/** The level-named methods the server logs with. */
export interface ServerLog {
  debug(message: string): void;
  verbose(message: string): void;
  notice(message: string): void;
  warning(message: string): void;
}

let fd = 1;
const encoder = new TextEncoder();

/** The current role letter in log lines: M primary, S replica, C child. */
export const logState = { role: "M" };

/**
 * (Re)configures logging: `logfile` "" writes to stdout, anything else is
 * appended to. Writes are synchronous, so nothing is lost on exit.
 */
export async function configureLog(
  level: RedisLogLevel,
  logfile: string,
): Promise<void> {
  if (fd > 2) closeSync(fd);
  fd = logfile === "" ? 1 : openSync(logfile, "a");
  await reset();
  await configure({
    sinks: {
      redis: (record: LogRecord) => {
        writeSync(fd, encoder.encode(formatRecord(record, logState.role)));
      },
    },
    loggers: [
      {
        category: ["redeno"],
        lowestLevel: LOGTAPE_LEVEL[level],
        sinks: ["redis"],
      },
      {
        category: ["logtape", "meta"],
        lowestLevel: "warning",
        sinks: ["redis"],
      },
    ],
  });
}

/** The server's log, by Redis level names. */
export function serverLog(logger: Logger = getLogger(["redeno"])): ServerLog {
  return {
    // The text goes in as a property so braces in it are not read as placeholders.
    debug: (m) => logger.trace("{m}", { m }),
    verbose: (m) => logger.debug("{m}", { m }),
    notice: (m) => logger.info("{m}", { m }),
    warning: (m) => logger.warning("{m}", { m }),
  };
}
