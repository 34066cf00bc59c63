/**
 * Prints command-table entry skeletons for commands, from a running
 * redis-server 7.0's COMMAND INFO and COMMAND DOCS: arity, flags, key specs,
 * ACL categories, tips, since and group. The summary, complexity and handler
 * are ours to write. The COMMAND INFO parity test keeps the entries equal to
 * Redis's. With `--args`, it instead merges the commands' argument trees
 * (COMMAND DOCS "arguments") into src/commands/args.json.
 *
 *   deno run -A tools/command_entry.ts 6379 get set config
 *   deno run -A tools/command_entry.ts --args 6379 get set config
 * @module
 */

import {
  ReplyDecoder,
  RespMap,
  type RespValue,
} from "../src/protocol/decoder.ts";

const argsMode = Deno.args[0] === "--args";
const [portText, ...names] = argsMode ? Deno.args.slice(1) : Deno.args;
const conn = await Deno.connect({
  hostname: "127.0.0.1",
  port: Number(portText),
});
const decoder = new ReplyDecoder();
const buf = new Uint8Array(1 << 16);

async function ask(...argv: string[]): Promise<RespValue> {
  let frame = `*${argv.length}\r\n`;
  for (const a of argv) frame += `$${a.length}\r\n${a}\r\n`;
  await conn.write(new TextEncoder().encode(frame));
  while (true) {
    const v = decoder.next();
    if (v !== undefined) return v;
    const n = await conn.read(buf);
    if (n === null) throw new Error("closed");
    decoder.push(buf.slice(0, n));
  }
}

/** RESP3 maps to plain objects (HELLO 3 is used so docs come as maps). */
function plain(v: RespValue): unknown {
  if (v instanceof RespMap) {
    return Object.fromEntries(v.entries.map(([k, x]) => [String(k), plain(x)]));
  }
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object" && "items" in v) {
    return (v.items as RespValue[]).map(plain);
  }
  return v;
}

const IMPLIED: Record<string, string> = {
  write: "write",
  readonly: "read",
  admin: "admin",
  pubsub: "pubsub",
  fast: "fast",
  blocking: "blocking",
};

function implied(flags: string[]): Set<string> {
  const s = new Set<string>();
  for (const f of flags) if (IMPLIED[f]) s.add(IMPLIED[f]);
  if (flags.includes("admin")) s.add("dangerous");
  if (!flags.includes("fast")) s.add("slow");
  return s;
}

function keySpec(ks: Record<string, unknown>): Record<string, unknown> {
  const bs = ks.begin_search as Record<string, unknown>;
  const fk = ks.find_keys as Record<string, unknown>;
  const out: Record<string, unknown> = { flags: ks.flags };
  if (ks.notes) out.notes = ks.notes;
  out.beginSearch = bs.type === "unknown" ? "unknown" : bs.spec;
  out.findKeys = fk.type === "unknown" ? "unknown" : fk.spec;
  return out;
}

function arg(a: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: a.name, type: a.type };
  if (a.key_spec_index !== undefined) out.keySpecIndex = a.key_spec_index;
  if (a.token !== undefined) out.token = a.token;
  if (a.since !== undefined) out.since = a.since;
  if (a.deprecated_since !== undefined) {
    out.deprecatedSince = a.deprecated_since;
  }
  if (a.display_text !== undefined) out.displayText = a.display_text;
  const flags = (a.flags as string[] | undefined) ?? [];
  if (flags.includes("optional")) out.optional = true;
  if (flags.includes("multiple")) out.multiple = true;
  if (flags.includes("multiple_token")) out.multipleToken = true;
  if (a.arguments) {
    out.args = (a.arguments as Record<string, unknown>[]).map(arg);
  }
  return out;
}

function entry(
  info: unknown[],
  docs: Record<string, unknown>,
): Record<string, unknown> {
  const [name, arity, flags, , , , cats, tips, specs, subs] = info as [
    string,
    number,
    string[],
    number,
    number,
    number,
    string[],
    string[],
    Record<string, unknown>[],
    unknown[][],
  ];
  const realFlags = flags.filter((f) => f !== "movablekeys");
  const imp = implied(realFlags);
  const fullName = name.includes("|") ? name.split("|")[1] : name;
  const out: Record<string, unknown> = {
    name: fullName,
    arity,
    flags: realFlags,
    acl: cats.map((c) => c.slice(1)).filter((c) => !imp.has(c)),
    keySpecs: specs.map(keySpec),
  };
  if (tips.length) out.tips = tips;
  out.summary = "TODO";
  out.since = docs.since;
  out.group = docs.group;
  if (docs.doc_flags) out.docFlags = docs.doc_flags;
  if (docs.deprecated_since) out.deprecatedSince = docs.deprecated_since;
  if (docs.replaced_by) out.replacedBy = docs.replaced_by;
  if (subs.length) {
    const subDocs = (docs.subcommands ?? {}) as Record<
      string,
      Record<string, unknown>
    >;
    out.subcommands = subs.map((s) => entry(s, subDocs[s[0] as string] ?? {}));
  }
  return out;
}

/** Argument trees by full name ("config|get"), for args.json. */
function argTrees(
  name: string,
  docs: Record<string, unknown>,
  into: Record<string, unknown>,
): void {
  if (docs.arguments) {
    into[name] = (docs.arguments as Record<string, unknown>[]).map(arg);
  }
  const subs = (docs.subcommands ?? {}) as Record<
    string,
    Record<string, unknown>
  >;
  for (const [sub, subDocs] of Object.entries(subs)) {
    argTrees(sub, subDocs, into);
  }
}

/** Keeps flag lists and key specs on one line each. */
function compact(key: string, value: unknown): unknown {
  if (
    (key === "flags" || key === "acl" || key === "tips") && Array.isArray(value)
  ) {
    return "@@[" + value.map((v) => JSON.stringify(v)).join(", ") + "]@@";
  }
  if (key === "keySpecs" && Array.isArray(value)) {
    return value.map((ks) =>
      "@@" +
      JSON.stringify(ks).replace(/"([a-zA-Z]+)":/g, "$1: ").replace(
        /,/g,
        ", ",
      ) + "@@"
    );
  }
  return value;
}

await ask("HELLO", "3");
const argsFile = new URL("../src/commands/args.json", import.meta.url);
const allArgs: Record<string, unknown> = argsMode
  ? JSON.parse(await Deno.readTextFile(argsFile).catch(() => "{}"))
  : {};
for (const name of names) {
  const info = plain(await ask("COMMAND", "INFO", name)) as unknown[][];
  const docs = plain(await ask("COMMAND", "DOCS", name)) as Record<
    string,
    Record<string, unknown>
  >;
  if (!info[0]) {
    console.error(`no such command: ${name}`);
    continue;
  }
  if (argsMode) {
    argTrees(name.toLowerCase(), docs[name.toLowerCase()], allArgs);
    continue;
  }
  const json = JSON.stringify(
    entry(info[0], docs[name.toLowerCase()]),
    compact,
    2,
  );
  console.log(
    json.replace(/"([a-zA-Z]+)":/g, "$1:").replace(
      /"@@(.*?)@@"/g,
      (_, inner) => JSON.parse(`"${inner}"`),
    ) + ",",
  );
}
if (argsMode) {
  const sorted = Object.fromEntries(
    Object.entries(allArgs).sort(([a], [b]) => a < b ? -1 : 1),
  );
  await Deno.writeTextFile(argsFile, JSON.stringify(sorted, null, 2) + "\n");
}
conn.close();
