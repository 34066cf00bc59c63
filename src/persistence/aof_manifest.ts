/**
 * The AOF manifest of Redis 7.0's multi-part AOF: which files in
 * `appenddirname` make up the log. One line per file,
 * `file <name> seq <n> type <b|h|i>`: at most one base (`b`, a snapshot, as
 * RDB or as commands), history files (`h`, replaced by a rewrite and due for
 * deletion) and incr files (`i`, the commands since, in sequence order).
 * Parsing reports Redis's error texts; formatting writes Redis's bytes.
 * @module
 */

import { splitArgs } from "../protocol/decoder.ts";

/** One file of the manifest. */
export interface AofFileInfo {
  name: string;
  seq: number;
  /** "b" base, "h" history, "i" incr. */
  type: string;
}

/** The manifest: the base, history and incr files and the last sequences used. */
export class AofManifest {
  base: AofFileInfo | undefined;
  history: AofFileInfo[] = [];
  incr: AofFileInfo[] = [];
  baseSeq = 0;
  incrSeq = 0;

  /** A deep copy, changed and then swapped in when its files are in place. */
  clone(): AofManifest {
    const copy = new AofManifest();
    copy.base = this.base && { ...this.base };
    copy.history = this.history.map((f) => ({ ...f }));
    copy.incr = this.incr.map((f) => ({ ...f }));
    copy.baseSeq = this.baseSeq;
    copy.incrSeq = this.incrSeq;
    return copy;
  }

  /** True when no base and no incr file is listed. */
  get empty(): boolean {
    return this.base === undefined && this.incr.length === 0;
  }

  /**
   * Names a new base `<appendfilename>.<seq>.base.rdb|aof` and makes the old
   * base a history file (getNewBaseFileNameAndMarkPreAsHistory).
   */
  newBase(appendFilename: string, rdbPreamble: boolean): string {
    if (this.base) this.history.unshift({ ...this.base, type: "h" });
    const seq = ++this.baseSeq;
    const name = `${appendFilename}.${seq}.base.${rdbPreamble ? "rdb" : "aof"}`;
    this.base = { name, seq, type: "b" };
    return name;
  }

  /** Names and lists a new incr file `<appendfilename>.<seq>.incr.aof`. */
  newIncr(appendFilename: string): string {
    const seq = ++this.incrSeq;
    const name = `${appendFilename}.${seq}.incr.aof`;
    this.incr.push({ name, seq, type: "i" });
    return name;
  }

  /** The incr file writes go to, created when there is none. */
  lastIncr(appendFilename: string): string {
    const last = this.incr.at(-1);
    return last ? last.name : this.newIncr(appendFilename);
  }

  /**
   * After a rewrite: every incr file but the one being written (the last,
   * when `keepLast`) becomes history (markRewrittenIncrAofAsHistory).
   */
  markIncrAsHistory(keepLast: boolean): void {
    const kept = keepLast ? this.incr.splice(-1) : [];
    for (const file of this.incr.reverse()) {
      this.history.unshift({ ...file, type: "h" });
    }
    this.incr = kept;
  }
}

/** A manifest Redis would refuse to start with. */
export class ManifestError extends Error {
  constructor(
    message: string,
    /** 1-based line number and its text, when a line is at fault. */
    readonly line?: [number, string],
  ) {
    super(message);
  }
}

/** The longest line Redis reads from a manifest. */
const MAX_LINE = 1024;

/** Parses a manifest as aofLoadManifestFromFile does; throws ManifestError. */
export function parseManifest(text: string): AofManifest {
  const manifest = new AofManifest();
  if (text.length === 0) throw new ManifestError("Found an empty AOF manifest");
  let maxSeq = 0;
  let lineNumber = 0;
  let at = 0;
  while (at < text.length) {
    const newline = text.indexOf("\n", at);
    const end = newline === -1 ? text.length : newline + 1;
    const raw = text.slice(at, Math.min(end, at + MAX_LINE));
    at += raw.length;
    lineNumber++;
    if (raw.startsWith("#")) continue;
    const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    const fail = (message: string): never => {
      throw new ManifestError(message, [lineNumber, line]);
    };
    if (!raw.includes("\n")) {
      fail("The AOF manifest file contains too long line");
    }
    if (line.length === 0) fail("Invalid AOF manifest file format");
    const args = splitArgs(line);
    if (args === null || args.length < 6 || args.length % 2 !== 0) {
      fail("Invalid AOF manifest file format");
    }
    let name: string | undefined;
    let seq = 0;
    let type = "";
    for (let i = 0; i < args!.length; i += 2) {
      const key = args![i].toLowerCase();
      const value = args![i + 1];
      if (key === "file") {
        name = value;
        if (name.includes("/")) fail("File can't be a path, just a filename");
      } else if (key === "seq") {
        seq = atoll(value);
      } else if (key === "type") {
        type = value[0] ?? "";
      }
    }
    if (!name || seq === 0 || type === "") {
      fail("Invalid AOF manifest file format");
    }
    const info: AofFileInfo = { name: name!, seq, type };
    if (type === "b") {
      if (manifest.base) fail("Found duplicate base file information");
      manifest.base = info;
      manifest.baseSeq = seq;
    } else if (type === "h") {
      manifest.history.push(info);
    } else if (type === "i") {
      if (seq <= maxSeq) fail("Found a non-monotonic sequence number");
      manifest.incr.push(info);
      manifest.incrSeq = maxSeq = seq;
    } else {
      fail("Unknown AOF file type");
    }
  }
  return manifest;
}

/** The manifest's text: base, then history, then incr files. */
export function formatManifest(manifest: AofManifest): string {
  const files = [
    ...(manifest.base ? [manifest.base] : []),
    ...manifest.history,
    ...manifest.incr,
  ];
  return files.map((f) =>
    `file ${
      needsRepr(f.name) ? repr(f.name) : f.name
    } seq ${f.seq} type ${f.type}\n`
  ).join("");
}

/** C's atoll: leading blanks, a sign, then digits. */
function atoll(text: string): number {
  const match = /^[ \t\n\v\f\r]*([+-]?[0-9]+)/.exec(text);
  return match === null ? 0 : Number(match[1]);
}

/** Whether sdscatrepr would be needed to write `s` (sdsneedsrepr). */
function needsRepr(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    // Printable, not blank, and not a quote or backslash.
    if (code <= 0x20 || code >= 0x7f || code === 0x22 || code === 0x5c) {
      return true;
    }
  }
  return false;
}

/** `s` quoted and escaped as sdscatrepr writes it. */
function repr(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.charCodeAt(0);
    if (ch === "\\" || ch === '"') out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\x07") out += "\\a";
    else if (ch === "\b") out += "\\b";
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else out += "\\x" + code.toString(16).padStart(2, "0");
  }
  return out + '"';
}
