/**
 * The differential harness: runs command scripts against the real
 * redis-server 7.0 and against redeno, and compares the raw reply bytes.
 *
 * Script format (tests/compat/scripts/*.txt; adding a file adds a test):
 *
 * - One command per line, written as redis-cli takes it: words split on
 *   spaces, "double quotes" with `\n \r \t \b \a \\ \" \xHH` escapes,
 *   'single quotes' with `\'` (Redis's sdssplitargs, {@linkcode splitArgs}).
 *   The file is read as bytes, so UTF-8 text arrives as its UTF-8 bytes.
 * - `#` at the start of a line (after spaces) makes a comment; blank lines
 *   are skipped.
 * - A command may be prefixed by a reply marker:
 *   - `@unordered CMD ...`: compare arrays, sets and maps as multisets,
 *     recursively (SMEMBERS, HGETALL, KEYS ...).
 *   - `@type CMD ...`: the reply is legitimately different (random, times,
 *     ids): only its RESP type byte must match.
 * - Directives, each on a line of its own:
 *   - `@conn name`: later lines use connection `name` (opened on first use;
 *     the script starts on `default`).
 *   - `@proto 2|3`: switches the current connection with `HELLO 2|3` (only
 *     the type of HELLO's reply is compared).
 *   - `@sleep ms`: waits, for expiry tests.
 *   - `@inline text`: sends `text\r\n` as an inline command, byte for byte,
 *     and compares its one reply.
 *   - `@send CMD ...`: sends a command without reading its reply (blocking
 *     commands, pipelines); `@read` later reads and compares one reply of
 *     the current connection.
 *   - `@closed`: both servers must have closed the current connection (after
 *     QUIT, protocol errors); the next command on it opens a new one.
 *   - `@pending reason`: the whole script is expected to fail until
 *     something lands; it is reported as ignored with the reason, and run
 *     only when COMPAT_PENDING=1.
 *
 * Every script runs on fresh connections after FLUSHALL on one shared pair of
 * servers; a script that changes other server state (CONFIG SET ...) must
 * restore it before it ends.
 * @module
 */

import { binaryToBytes, bytesToBinary } from "../../src/protocol/binary.ts";
import { splitArgs } from "../../src/protocol/decoder.ts";
import { encodeCommand, RespClient } from "../helpers/resp_client.ts";

/** How long one reply may take before the harness gives up on it. */
const REPLY_TIMEOUT_MS = 5000;
/** How long a server may take to close a connection for `@closed`. */
const CLOSE_TIMEOUT_MS = 2000;

/** How two replies are compared. */
export type ReplyMode = "exact" | "unordered" | "type";

/** One parsed line of a script. */
export type Step =
  | { kind: "call"; line: number; argv: string[]; mode: ReplyMode }
  | { kind: "send"; line: number; argv: string[] }
  | { kind: "read"; line: number; mode: ReplyMode }
  | { kind: "inline"; line: number; text: string }
  | { kind: "conn"; line: number; name: string }
  | { kind: "proto"; line: number; version: 2 | 3 }
  | { kind: "sleep"; line: number; ms: number }
  | { kind: "closed"; line: number };

/** A parsed script. */
export interface Script {
  name: string;
  steps: Step[];
  /** Why the script is expected to fail for now, or undefined. */
  pending?: string;
}

/** Parses script text (a binary string); throws on malformed lines. */
export function parseScript(name: string, text: string): Script {
  const steps: Step[] = [];
  let pending: string | undefined;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i].replace(/\r$/, "");
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const where = `${name}:${line}`;
    if (!trimmed.startsWith("@")) {
      steps.push({
        kind: "call",
        line,
        argv: words(raw, where),
        mode: "exact",
      });
      continue;
    }
    const space = trimmed.indexOf(" ");
    const directive = space === -1 ? trimmed : trimmed.slice(0, space);
    const rest = space === -1 ? "" : trimmed.slice(space + 1).trim();
    switch (directive) {
      case "@unordered":
      case "@type":
        steps.push({
          kind: "call",
          line,
          argv: words(rest, where),
          mode: directive === "@type" ? "type" : "unordered",
        });
        break;
      case "@send":
        steps.push({ kind: "send", line, argv: words(rest, where) });
        break;
      case "@read":
        steps.push({ kind: "read", line, mode: readMode(rest, where) });
        break;
      case "@inline":
        // Keep the text as written after the directive, spaces included.
        steps.push({
          kind: "inline",
          line,
          text: raw.slice(raw.indexOf("@inline") + 8),
        });
        break;
      case "@conn":
        if (!/^\S+$/.test(rest)) {
          throw new Error(`${where}: @conn needs a name`);
        }
        steps.push({ kind: "conn", line, name: rest });
        break;
      case "@proto":
        if (rest !== "2" && rest !== "3") {
          throw new Error(`${where}: @proto takes 2 or 3`);
        }
        steps.push({ kind: "proto", line, version: rest === "3" ? 3 : 2 });
        break;
      case "@sleep":
        if (!/^\d+$/.test(rest)) throw new Error(`${where}: @sleep takes ms`);
        steps.push({ kind: "sleep", line, ms: Number(rest) });
        break;
      case "@closed":
        steps.push({ kind: "closed", line });
        break;
      case "@pending":
        if (rest === "") throw new Error(`${where}: @pending needs a reason`);
        pending = rest;
        break;
      default:
        throw new Error(`${where}: unknown directive ${directive}`);
    }
  }
  return { name, steps, pending };
}

function words(text: string, where: string): string[] {
  const argv = splitArgs(text);
  if (argv === null) throw new Error(`${where}: unbalanced quotes`);
  if (argv.length === 0) throw new Error(`${where}: empty command`);
  return argv;
}

function readMode(rest: string, where: string): ReplyMode {
  if (rest === "") return "exact";
  if (rest === "@unordered") return "unordered";
  if (rest === "@type") return "type";
  throw new Error(`${where}: @read takes nothing, @unordered or @type`);
}

/** Reads every script in `dir` (sorted by name). */
export function loadScripts(dir: string): Script[] {
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith(".txt"))
    .map((e) => e.name)
    .sort()
    .map((name) =>
      parseScript(name, bytesToBinary(Deno.readFileSync(`${dir}/${name}`)))
    );
}

/** A reply as received: its bytes, or why there were none. */
export type Outcome = Uint8Array | "connection closed" | "timeout";

/** One side (redis or redeno): a port and the script's open connections. */
class Side {
  readonly conns = new Map<string, RespClient>();
  constructor(readonly port: number) {}

  async conn(name: string): Promise<RespClient> {
    let c = this.conns.get(name);
    if (!c) {
      c = await RespClient.connect(this.port);
      this.conns.set(name, c);
    }
    return c;
  }

  async read(name: string): Promise<Outcome> {
    const c = await this.conn(name);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), REPLY_TIMEOUT_MS);
    });
    try {
      const result = await Promise.race([c.readWithBytes(), timeout]);
      if (result === "timeout") this.drop(name);
      return result === "timeout" ? result : result.bytes;
    } catch {
      this.drop(name);
      return "connection closed";
    } finally {
      clearTimeout(timer);
    }
  }

  async send(name: string, bytes: Uint8Array): Promise<void> {
    try {
      await (await this.conn(name)).send(bytes);
    } catch {
      // A closed connection shows up as the next read's outcome.
    }
  }

  drop(name: string): void {
    this.conns.get(name)?.close();
    this.conns.delete(name);
  }

  closeAll(): void {
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }
}

/** A reply frame: its own bytes (type line, or a whole bulk) and its children. */
interface Frame {
  head: string;
  children: Frame[];
}

/** Parses one RESP2/RESP3 frame from `s` (a binary string) at `pos`. */
function parseFrame(s: string, pos: number): { frame: Frame; end: number } {
  const eol = s.indexOf("\r\n", pos);
  if (eol === -1) throw new Error("truncated reply");
  const type = s[pos];
  const line = s.slice(pos, eol + 2);
  const n = Number(s.slice(pos + 1, eol));
  if ((type === "$" || type === "!" || type === "=") && n >= 0) {
    const end = eol + 2 + n + 2;
    return { frame: { head: s.slice(pos, end), children: [] }, end };
  }
  if ("*~>%|".includes(type) && n > 0) {
    const count = type === "%" || type === "|" ? n * 2 : n;
    const children: Frame[] = [];
    let at = eol + 2;
    for (let i = 0; i < count; i++) {
      const parsed = parseFrame(s, at);
      children.push(parsed.frame);
      at = parsed.end;
    }
    return { frame: { head: line, children }, end: at };
  }
  return { frame: { head: line, children: [] }, end: eol + 2 };
}

/** The frame's bytes with aggregate elements (map pairs) sorted at every level. */
function canonical(frame: Frame): string {
  const parts = frame.children.map(canonical);
  if (frame.head[0] === "%" || frame.head[0] === "|") {
    const pairs: string[] = [];
    for (let i = 0; i < parts.length; i += 2) {
      pairs.push(parts[i] + parts[i + 1]);
    }
    return frame.head + pairs.sort().join("");
  }
  return frame.head + parts.sort().join("");
}

/**
 * True when two replies match under `mode`. A missing reply never matches,
 * even on both sides: a script must expect a close with `@closed`.
 */
export function sameReply(
  a: Outcome,
  b: Outcome,
  mode: ReplyMode,
): boolean {
  if (typeof a === "string" || typeof b === "string") return false;
  if (mode === "type") return a[0] === b[0];
  const sa = bytesToBinary(a);
  const sb = bytesToBinary(b);
  if (sa === sb) return true;
  if (mode === "exact") return false;
  try {
    return canonical(parseFrame(sa, 0).frame) ===
      canonical(parseFrame(sb, 0).frame);
  } catch {
    return false;
  }
}

/** Bytes as a readable string: printable ASCII as is, the rest escaped. */
export function escapeBytes(bytes: Uint8Array | string): string {
  const s = typeof bytes === "string" ? bytes : bytesToBinary(bytes);
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code === 13) out += "\\r";
    else if (code === 10) out += "\\n";
    else if (code === 34) out += '\\"';
    else if (code === 92) out += "\\\\";
    else if (code >= 32 && code < 127) out += s[i];
    else out += "\\x" + code.toString(16).padStart(2, "0");
  }
  return `"${out}"`;
}

/** Longest excerpt of a reply a mismatch message shows. */
const EXCERPT_BYTES = 600;

/**
 * Both outcomes readably; a long reply is cut to a window around the first
 * byte where the two differ.
 */
function describePair(a: Outcome, b: Outcome): [string, string] {
  if (typeof a === "string" || typeof b === "string") {
    return [describe(a, 0), describe(b, 0)];
  }
  let first = 0;
  while (first < a.length && first < b.length && a[first] === b[first]) first++;
  const from = Math.max(0, first - EXCERPT_BYTES / 2);
  return [describe(a, from), describe(b, from)];
}

function describe(o: Outcome, from: number): string {
  if (typeof o === "string") return `<${o}>`;
  if (o.length <= EXCERPT_BYTES) return escapeBytes(o);
  const to = Math.min(o.length, from + EXCERPT_BYTES);
  return `${from > 0 ? "..." : ""}${escapeBytes(o.subarray(from, to))}${
    to < o.length ? "..." : ""
  } (bytes ${from}-${to} of ${o.length})`;
}

/** A difference between the two servers' replies. */
export interface Mismatch {
  script: string;
  line: number;
  command: string;
  redis: string;
  redeno: string;
}

/** Formats mismatches for a failure message. */
export function formatMismatches(mismatches: Mismatch[]): string {
  return mismatches.map((m) =>
    `${m.script}:${m.line}: ${m.command}\n  redis:  ${m.redis}\n  redeno: ${m.redeno}`
  ).join("\n");
}

/**
 * Runs `script` against both servers (redis on `redisPort`, redeno on
 * `redenoPort`) after FLUSHALL, and returns every reply that differed.
 */
export async function runScript(
  script: Script,
  redisPort: number,
  redenoPort: number,
): Promise<Mismatch[]> {
  const redis = new Side(redisPort);
  const redeno = new Side(redenoPort);
  const sides = [redis, redeno];
  const mismatches: Mismatch[] = [];
  let current = "default";

  const both = <T>(f: (side: Side) => Promise<T>) =>
    Promise.all([f(redis), f(redeno)]);
  const compare = async (line: number, command: string, mode: ReplyMode) => {
    const [a, b] = await both((side) => side.read(current));
    if (!sameReply(a, b, mode)) {
      const [redisText, redenoText] = describePair(a, b);
      mismatches.push({
        script: script.name,
        line,
        command,
        redis: redisText,
        redeno: redenoText,
      });
    }
  };

  try {
    await both(async (side) => {
      const c = await RespClient.connect(side.port);
      try {
        await c.call("FLUSHALL");
      } finally {
        c.close();
      }
    });
    for (const step of script.steps) {
      switch (step.kind) {
        case "call":
        case "send": {
          const bytes = encodeCommand(step.argv);
          await both((side) => side.send(current, bytes));
          if (step.kind === "call") {
            await compare(step.line, commandText(step.argv), step.mode);
          }
          break;
        }
        case "read":
          await compare(step.line, "@read", step.mode);
          break;
        case "inline": {
          const bytes = binaryToBytes(step.text + "\r\n");
          await both((side) => side.send(current, bytes));
          await compare(
            step.line,
            `@inline ${escapeBytes(step.text)}`,
            "exact",
          );
          break;
        }
        case "conn":
          current = step.name;
          break;
        case "proto": {
          const bytes = encodeCommand(["HELLO", String(step.version)]);
          await both((side) => side.send(current, bytes));
          await compare(step.line, `HELLO ${step.version}`, "type");
          break;
        }
        case "sleep":
          await new Promise((r) => setTimeout(r, step.ms));
          break;
        case "closed": {
          const [a, b] = await both(async (side) => {
            const closed = await (await side.conn(current))
              .closedWithin(CLOSE_TIMEOUT_MS);
            side.drop(current);
            return closed ? "closed" : "still open";
          });
          if (a !== b || a !== "closed") {
            mismatches.push({
              script: script.name,
              line: step.line,
              command: "@closed",
              redis: a,
              redeno: b,
            });
          }
          break;
        }
      }
    }
  } finally {
    for (const side of sides) side.closeAll();
  }
  return mismatches;
}

/** A command as a script line would write it, for messages. */
function commandText(argv: string[]): string {
  const text = argv.map((a) =>
    /^[\x21-\x7e]+$/.test(a) && !/["'\\]/.test(a) ? a : escapeBytes(a)
  ).join(" ");
  return text.length > 300 ? text.slice(0, 300) + "..." : text;
}
