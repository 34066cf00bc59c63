/**
 * DEBUG, the subcommands Redis's own test suite leans on: HELP, OBJECT,
 * SLEEP, SET-ACTIVE-EXPIRE, PROTOCOL, RELOAD, LOADAOF, DIGEST, DIGEST-VALUE,
 * POPULATE, STRINGMATCH-TEST and CHANGE-REPL-ID. The rest answer with
 * Redis's unknown-subcommand error until their subsystems land. The dispatcher applies
 * `enable-debug-command` before the handler runs, as Redis does.
 * @module
 */

import type { Client } from "../client.ts";
import type { ReplyWriter } from "../protocol/writer.ts";
import { datasetDigest, digestHex, keyValueDigest } from "../store/digest.ts";
import { objectEncoding, objectRefcount } from "../store/encoding.ts";
import {
  encodeValue,
  listNodes,
  RdbEncoder,
} from "../persistence/rdb_encoder.ts";
import {
  accessClock,
  type RedisValue,
  tracksFrequency,
} from "../store/keyspace.ts";
import { ListValue } from "../store/list.ts";
import { globMatch } from "../util/glob.ts";
import { parseInteger } from "../util/numbers.ts";
import { Errors } from "./util.ts";
import type { CommandSpec } from "./table.ts";

/** DEBUG HELP, line for line as Redis 7.0.15 prints it. */
const HELP = [
  "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "AOF-FLUSH-SLEEP <microsec>",
  "    Server will sleep before flushing the AOF, this is used for testing.",
  "ASSERT",
  "    Crash by assertion failed.",
  "CHANGE-REPL-ID",
  "    Change the replication IDs of the instance.",
  "    Dangerous: should be used only for testing the replication subsystem.",
  "CONFIG-REWRITE-FORCE-ALL",
  "    Like CONFIG REWRITE but writes all configuration options, including",
  "    keywords not listed in original configuration file or default values.",
  "CRASH-AND-RECOVER [<milliseconds>]",
  "    Hard crash and restart after a <milliseconds> delay (default 0).",
  "DIGEST",
  "    Output a hex signature representing the current DB content.",
  "DIGEST-VALUE <key> [<key> ...]",
  "    Output a hex signature of the values of all the specified keys.",
  "ERROR <string>",
  "    Return a Redis protocol error with <string> as message. Useful for clients",
  "    unit tests to simulate Redis errors.",
  "LEAK <string>",
  "    Create a memory leak of the input string.",
  "LOG <message>",
  "    Write <message> to the server log.",
  "HTSTATS <dbid>",
  "    Return hash table statistics of the specified Redis database.",
  "HTSTATS-KEY <key>",
  "    Like HTSTATS but for the hash table stored at <key>'s value.",
  "LOADAOF",
  "    Flush the AOF buffers on disk and reload the AOF in memory.",
  "REPLICATE <string>",
  "    Replicates the provided string to replicas, allowing data divergence.",
  "MALLCTL <key> [<val>]",
  "    Get or set a malloc tuning integer.",
  "MALLCTL-STR <key> [<val>]",
  "    Get or set a malloc tuning string.",
  "OBJECT <key>",
  "    Show low level info about `key` and associated value.",
  "DROP-CLUSTER-PACKET-FILTER <packet-type>",
  "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
  "OOM",
  "    Crash the server simulating an out-of-memory error.",
  "PANIC",
  "    Crash the server simulating a panic.",
  "POPULATE <count> [<prefix>] [<size>]",
  "    Create <count> string keys named key:<num>. If <prefix> is specified then",
  "    it is used instead of the 'key' prefix. These are not propagated to",
  "    replicas. Cluster slots are not respected so keys not belonging to the",
  "    current node can be created in cluster mode.",
  "PROTOCOL <type>",
  "    Reply with a test value of the specified type. <type> can be: string,",
  "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
  "    true, false.",
  "RELOAD [option ...]",
  "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
  "    * MERGE: conflicting keys will be loaded from RDB.",
  "    * NOFLUSH: the existing database will not be removed before load, but",
  "      conflicting keys will generate an exception and kill the server.",
  "    * NOSAVE: the database will be loaded from an existing RDB file.",
  "    Examples:",
  "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
  "      the database.",
  "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
  "      existing RDB file.",
  "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
  "      file to the database.",
  "RESTART [<milliseconds>]",
  "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
  "SDSLEN <key>",
  "    Show low level SDS string info representing `key` and value.",
  "SEGFAULT",
  "    Crash the server with sigsegv.",
  "SET-ACTIVE-EXPIRE <0|1>",
  "    Setting it to 0 disables expiring keys in background when they are not",
  "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
  "    default.",
  "QUICKLIST-PACKED-THRESHOLD <size>",
  "    Sets the threshold for elements to be inserted as plain vs packed nodes",
  "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
  "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
  "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
  "SLEEP <seconds>",
  "    Stop the server for <seconds>. Decimals allowed.",
  "STRINGMATCH-TEST",
  "    Run a fuzz tester against the stringmatchlen() function.",
  "STRUCTSIZE",
  "    Return the size of different Redis core C structures.",
  "LISTPACK <key>",
  "    Show low level info about the listpack encoding of <key>.",
  "QUICKLIST <key> [<0|1>]",
  "    Show low level info about the quicklist encoding of <key>.",
  "    The optional argument (0 by default) sets the level of detail",
  "CLIENT-EVICTION",
  "    Show low level client eviction pools info (maxmemory-clients).",
  "PAUSE-CRON <0|1>",
  "    Stop periodic cron job processing.",
  "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
  "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
  "    In case NEVER is provided the last observed peak will never be reset",
  "    In case RESET is provided the peak reset time will be restored to the default value",
  "REPLYBUFFER RESIZING <0|1>",
  "    Enable or disable the reply buffer resize cron job",
  "CLUSTERLINK KILL <to|from|all> <node-id>",
  "    Kills the link based on the direction to/from (both) with the provided node.",
  "HELP",
  "    Prints this help.",
];

/** Blocks the whole thread, as Redis's nanosleep does: nothing else runs meanwhile. */
function sleepSync(ms: number): void {
  if (ms <= 0) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** C's atoi: optional spaces and sign, then the leading digits (0 if none). */
function atoi(text: string): number {
  const match = /^[ \t\n\v\f\r]*([+-]?[0-9]+)/.exec(text);
  return match === null ? 0 : parseInt(match[1], 10);
}

// ---------------------------------------------------------------------------
// OBJECT

/** The LRU clock Redis keeps per object: seconds, in 24 bits. */
const LRU_CLOCK_MAX = 0xffffff;
/**
 * DEBUG OBJECT's serializedlength: the size of the value as the RDB writer
 * saves it (without the type byte), with `rdbcompression` applied, as
 * Redis's rdbSavedObjectLen measures it.
 */
function serializedLength(value: RedisValue, compress: boolean): number {
  const encoder = new RdbEncoder(compress);
  encodeValue(encoder, value);
  return encoder.length;
}

/** The quicklist details Redis appends for a list. */
function quicklistDetails(client: Client, list: ListValue): string {
  const nodes = listNodes(list);
  const config = client.server.config;
  const bytes = nodes.reduce((sum, node) => sum + node.length, 0);
  return ` ql_nodes:${nodes.length} ql_avg_node:${
    (list.length / nodes.length).toFixed(2)
  } ql_listpack_max:${config.number("list-max-listpack-size")} ql_compressed:${
    config.number("list-compress-depth") === 0 ? 0 : 1
  } ql_uncompressed_size:${bytes}`;
}

/** A plausible, 16-byte aligned heap address: Redis prints the object's own. */
function fakeAddress(): string {
  const middle = Math.floor(Math.random() * 2 ** 36);
  return "0x7f" + middle.toString(16).padStart(9, "0") + "0";
}

/**
 * DEBUG OBJECT key. `lru` is the key's access stamp as Redis keeps it (LRU
 * clock seconds in 24 bits, or under an LFU policy minutes and counter);
 * the idle time reads it as an LRU clock either way, as Redis does.
 */
function debugObject(client: Client, key: string): void {
  // Like Redis: the raw table, no access recorded, expired keys still shown.
  const data = client.db.data;
  const slot = data.slotOf(key);
  if (slot === -1) return client.out.error(Errors.noSuchKey);
  const value = data.valueAt(slot);
  const config = client.server.config;
  const refcount = objectRefcount(
    value,
    config.number("maxmemory"),
    config.string("maxmemory-policy"),
  );
  const stamp = data.stampAt(slot);
  const lru = tracksFrequency() ? stamp : stamp & LRU_CLOCK_MAX;
  const clock = accessClock() & LRU_CLOCK_MAX;
  const idle = clock >= lru ? clock - lru : clock + (LRU_CLOCK_MAX - lru);
  client.out.simple(
    `Value at:${fakeAddress()} refcount:${refcount} encoding:${
      objectEncoding(value)
    } serializedlength:${
      serializedLength(value, config.bool("rdbcompression"))
    } lru:${lru} lru_seconds_idle:${idle}${
      value instanceof ListValue ? quicklistDetails(client, value) : ""
    }`,
  );
}

// ---------------------------------------------------------------------------
// PROTOCOL

/** The test value DEBUG PROTOCOL sends for each type, as Redis 7.0 sends it. */
const PROTOCOL_REPLIES: Record<string, (out: ReplyWriter) => void> = {
  string: (out) => out.bulk("Hello World"),
  integer: (out) => out.integer(12345),
  double: (out) => out.double(3.141),
  bignum: (out) => out.bigNumber("1234567999999999999999999999999999999"),
  null: (out) => out.null(),
  array: (out) => {
    out.array(3);
    for (let i = 0; i < 3; i++) out.integer(i);
  },
  set: (out) => {
    out.set(3);
    for (let i = 0; i < 3; i++) out.integer(i);
  },
  map: (out) => {
    out.map(3);
    for (let i = 0; i < 3; i++) {
      out.integer(i);
      out.boolean(i === 1);
    }
  },
  attrib: (out) => {
    // RESP2 has no attributes: only the reply that follows them is sent.
    if (out.protover === 3) {
      out.attribute(1);
      out.bulk("key-popularity");
      out.array(2);
      out.bulk("key:123");
      out.integer(90);
    }
    out.bulk("Some real reply following the attribute");
  },
  push: (out) => {
    if (out.protover !== 3) {
      return out.error("ERR RESP2 is not supported by this command");
    }
    out.push(2);
    out.bulk("server-cpu-usage");
    out.integer(42);
    out.bulk("Some real reply following the push reply");
  },
  verbatim: (out) => out.verbatim("This is a verbatim\nstring"),
  true: (out) => out.boolean(true),
  false: (out) => out.boolean(false),
};

function debugProtocol(client: Client, type: string): void {
  const reply = Object.hasOwn(PROTOCOL_REPLIES, type.toLowerCase())
    ? PROTOCOL_REPLIES[type.toLowerCase()]
    : undefined;
  if (reply === undefined) {
    return client.out.error(
      "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
    );
  }
  reply(client.out);
}

// ---------------------------------------------------------------------------
// POPULATE and STRINGMATCH-TEST

/** Redis formats POPULATE's key names into a 128-byte C buffer. */
const POPULATE_KEY_MAX = 127;
const NOT_POSITIVE = "ERR value is out of range, must be positive";

/** A non-negative integer argument, or null after replying Redis's error. */
function positiveArg(client: Client, text: string): number | null {
  const n = parseInteger(text);
  if (n === null || n < 0) {
    client.out.error(NOT_POSITIVE);
    return null;
  }
  return n;
}

/**
 * DEBUG POPULATE count [prefix] [size]: string keys `prefix:N` holding
 * `value:N` (zero-padded or cut to `size` bytes); existing keys are kept.
 * Like Redis it neither counts as a change nor propagates.
 */
function debugPopulate(client: Client, argv: string[]): void {
  const count = positiveArg(client, argv[2]);
  if (count === null) return;
  const size = argv.length === 5 ? positiveArg(client, argv[4]) : 0;
  if (size === null) return;
  // The prefix is a C string in Redis: it ends at the first zero byte.
  const prefix = argv.length >= 4 ? argv[3].split("\0")[0] : "key";
  const db = client.db;
  for (let i = 0; i < count; i++) {
    const key = `${prefix}:${i}`.slice(0, POPULATE_KEY_MAX);
    if (db.get(key, client.server.now) !== undefined) continue;
    const text = `value:${i}`;
    db.set(
      key,
      size === 0 ? text : text.slice(0, size).padEnd(size, "\0"),
    );
  }
  client.out.ok();
}

const FUZZ_ROUNDS = 100_000;
const FUZZ_ALPHABET = "ab*?[]^-\\\0\xff";

function randomText(maxLength: number): string {
  const length = Math.floor(Math.random() * maxLength);
  let s = "";
  for (let i = 0; i < length; i++) {
    s += FUZZ_ALPHABET[Math.floor(Math.random() * FUZZ_ALPHABET.length)];
  }
  return s;
}

/** DEBUG STRINGMATCH-TEST: random patterns against random text; the matcher must not fail. */
function debugStringmatchTest(client: Client): void {
  for (let i = 0; i < FUZZ_ROUNDS; i++) {
    globMatch(randomText(32), randomText(32), i % 2 === 1);
  }
  client.out.simple("Apparently Redis did not crash: test passed");
}

// ---------------------------------------------------------------------------

/** DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, flush and load the RDB file. */
function debugReload(client: Client, options: string[]): void {
  let save = true;
  let flush = true;
  let merge = false;
  for (const option of options) {
    const o = option.toLowerCase();
    if (o === "nosave") save = false;
    else if (o === "noflush") flush = false;
    else if (o === "merge") merge = true;
    else {
      client.out.error(
        "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
      );
      return;
    }
  }
  const error = client.server.persistence.reload(save, flush, merge);
  if (error !== null) client.out.error(error);
  else client.out.ok();
}

function debug(client: Client, argv: string[]): void {
  const sub = argv[1].toLowerCase();
  const argc = argv.length;
  const out = client.out;
  if (sub === "help" && argc === 2) {
    out.array(HELP.length);
    for (const line of HELP) out.simple(line);
  } else if (sub === "sleep" && argc === 3) {
    // Redis reads the seconds with strtod: a leading number or 0.
    const seconds = parseFloat(argv[2]);
    sleepSync(Number.isFinite(seconds) ? seconds * 1000 : 0);
    out.ok();
  } else if (sub === "object" && argc === 3) {
    debugObject(client, argv[2]);
  } else if (sub === "set-active-expire" && argc === 3) {
    client.server.activeExpireEnabled = atoi(argv[2]) !== 0;
    out.ok();
  } else if (sub === "protocol" && argc === 3) {
    debugProtocol(client, argv[2]);
  } else if (sub === "reload") {
    debugReload(client, argv.slice(2));
  } else if (sub === "loadaof" && argc === 2) {
    client.server.aof.reload();
    // The reload changed the dataset, but nothing of it is a write to log.
    client.server.propagation.prevent();
    out.ok();
  } else if (sub === "change-repl-id" && argc === 2) {
    client.server.log.warning(
      "Changing replication IDs after receiving DEBUG change-repl-id",
    );
    client.server.replication.startNew();
    out.ok();
  } else if (sub === "digest" && argc === 2) {
    out.simple(digestHex(datasetDigest(client.server.dbs)));
  } else if (sub === "digest-value") {
    out.array(argc - 2);
    for (let i = 2; i < argc; i++) {
      out.simple(digestHex(keyValueDigest(client.db, argv[i])));
    }
  } else if (sub === "populate" && argc >= 3 && argc <= 5) {
    debugPopulate(client, argv);
  } else if (sub === "stringmatch-test" && argc === 2) {
    debugStringmatchTest(client);
  } else {
    // Redis prints the name with %.128s: at most 128 bytes, up to a zero byte.
    const name = argv[1].slice(0, 128).split("\0")[0];
    out.error(
      `ERR unknown subcommand or wrong number of arguments for '${name}'. Try DEBUG HELP.`,
    );
  }
}

/** DEBUG for the command table. */
export const debugCommands: CommandSpec[] = [
  {
    name: "debug",
    arity: -2,
    flags: ["admin", "noscript", "loading", "stale"],
    acl: [],
    keySpecs: [],
    summary: "Commands for testing and inspecting the server.",
    complexity: "Depends on subcommand.",
    since: "1.0.0",
    group: "server",
    docFlags: ["syscmd"],
    handler: debug,
  },
];
