/**
 * Whole RDB files: the framing around values (rdbSaveRio / rdbLoadRio). A
 * file is "REDIS" and a 4-digit version, aux fields, then per non-empty
 * database SELECTDB, RESIZEDB and its keys (each optionally preceded by its
 * expiry in ms and its LRU idle time or LFU counter), then EOF and the
 * CRC-64 of everything before it (zero when `rdbchecksum` is off).
 * @module
 */

import {
  type Database,
  type RedisValue,
  tracksFrequency,
} from "../store/keyspace.ts";
import type { ServerLog } from "../log.ts";
import { Crc64 } from "./crc64.ts";
import {
  decodeValue,
  type EncodingLimits,
  moduleTypeName,
  RdbDecoder,
} from "./rdb_decoder.ts";
import { encodeValue, RdbEncoder, rdbTypeOf } from "./rdb_encoder.ts";
import { Opcode, RDB_VERSION, RdbError } from "./rdb_format.ts";

/** RDB_MODULE_OPCODE_UINT: the `when` of module aux data is an unsigned integer. */
const MODULE_OPCODE_UINT = 2;

/** Which per-key access data a file carries (Redis saves it under an LRU or LFU maxmemory policy). */
export type AccessData = "none" | "lru" | "lfu";

/** How a file is written. */
export interface WriteOptions {
  compress: boolean;
  checksum: boolean;
  access: AccessData;
}

/**
 * Writes an RDB file as a sequence of calls; the bytes go to `sink` in
 * chunks (whenever {@linkcode flush} is called, and at the end).
 */
export class RdbFileWriter {
  private readonly enc: RdbEncoder;
  private readonly crc = new Crc64();

  constructor(
    private readonly options: WriteOptions,
    private readonly sink: (chunk: Uint8Array) => void,
  ) {
    this.enc = new RdbEncoder(options.compress);
  }

  /** Bytes waiting for the next flush. */
  get buffered(): number {
    return this.enc.length;
  }

  /** The magic, the version and the aux fields. */
  header(aux: [string, string][]): void {
    this.enc.binary(`REDIS${String(RDB_VERSION).padStart(4, "0")}`);
    for (const [name, value] of aux) {
      this.enc.byte(Opcode.aux);
      this.enc.string(name);
      this.enc.string(value);
    }
  }

  /** Starts database `id`, announcing its size and number of expiring keys. */
  selectDb(id: number, size: number, expiring: number): void {
    this.enc.byte(Opcode.selectDb);
    this.enc.lengthOf(id);
    this.enc.byte(Opcode.resizeDb);
    this.enc.lengthOf(size);
    this.enc.lengthOf(expiring);
  }

  /**
   * One key. `expireAt` is Unix ms or -1; `access` is the idle seconds
   * (LRU) or the counter (LFU) when the options save access data.
   */
  entry(
    key: string,
    value: RedisValue,
    expireAt: number,
    access: number,
  ): void {
    const enc = this.enc;
    if (expireAt !== -1) {
      enc.byte(Opcode.expireTimeMs);
      enc.uint64LE(expireAt);
    }
    if (this.options.access === "lru") {
      enc.byte(Opcode.idle);
      enc.lengthOf(access);
    } else if (this.options.access === "lfu") {
      enc.byte(Opcode.freq);
      enc.byte(access);
    }
    enc.byte(rdbTypeOf(value));
    enc.string(key);
    encodeValue(enc, value);
  }

  /** Hands the buffered bytes to the sink. */
  flush(): void {
    const bytes = this.enc.result();
    if (bytes.length === 0) return;
    this.crc.update(bytes);
    this.sink(bytes.slice());
    this.enc.reset();
  }

  /** EOF and the checksum, then a final flush. */
  end(): void {
    this.enc.byte(Opcode.eof);
    this.flush();
    const tail = new Uint8Array(8);
    if (this.options.checksum) this.crc.writeLE(tail, 0);
    this.sink(tail);
  }
}

/**
 * Where the replication stream stood when a file was written: the repl-*
 * aux fields (Redis's rdbSaveInfo), which let a restarted server continue
 * its history with a partial resync.
 */
export interface ReplicationSaveInfo {
  /** repl-stream-db: the database the stream has selected. */
  streamDb: number;
  /** repl-id: the replication ID of the data. */
  replid: string;
  /** repl-offset: the replication offset of the data. */
  offset: number;
}

/**
 * The aux fields Redis 7.0 writes at the start of a file, with the repl-*
 * fields (before aof-base, as rdbSaveInfoAuxFields orders them) when `repl`
 * is given.
 */
export function auxFields(
  redisVersion: string,
  usedMemory: number,
  now: number,
  repl?: ReplicationSaveInfo,
): [string, string][] {
  const fields: [string, string][] = [
    ["redis-ver", redisVersion],
    ["redis-bits", "64"],
    ["ctime", String(Math.floor(now / 1000))],
    ["used-mem", String(usedMemory)],
  ];
  if (repl) {
    fields.push(
      ["repl-stream-db", String(repl.streamDb)],
      ["repl-id", repl.replid],
      ["repl-offset", String(repl.offset)],
    );
  }
  fields.push(["aof-base", "0"]);
  return fields;
}

/**
 * The repl-* fields of a loaded file, or undefined unless all three are
 * there and sane (Redis's loadDataFromDisk checks repl_id_is_set, an offset
 * and a stream db that are not -1).
 */
export function readReplicationSaveInfo(
  aux: Map<string, string>,
): ReplicationSaveInfo | undefined {
  const replid = aux.get("repl-id");
  const offset = Number(aux.get("repl-offset") ?? "-1");
  const streamDb = Number(aux.get("repl-stream-db") ?? "-1");
  if (replid === undefined || replid.length !== 40) return undefined;
  if (!Number.isSafeInteger(offset) || offset < 0) return undefined;
  if (!Number.isSafeInteger(streamDb) || streamDb < 0) return undefined;
  return { replid, offset, streamDb };
}

/** Writes one key of `db` (its expiry and access data included). */
export function writeKey(
  writer: RdbFileWriter,
  db: Database,
  key: string,
  value: RedisValue,
  access: AccessData,
): void {
  const stamp = access === "lru"
    ? db.idleSeconds(key)
    : access === "lfu"
    ? db.accessFrequency(key)
    : 0;
  writer.entry(key, value, db.getExpire(key), stamp);
}

/** A whole file for `dbs`, written in one go (SAVE, DEBUG RELOAD). */
export function serializeDatabases(
  dbs: Database[],
  aux: [string, string][],
  options: WriteOptions,
): Uint8Array {
  const chunks: Uint8Array[] = [];
  const writer = new RdbFileWriter(options, (chunk) => chunks.push(chunk));
  writer.header(aux);
  for (const db of dbs) {
    if (db.size === 0) continue;
    writer.selectDb(db.id, db.size, db.expires.size);
    for (const [key, value] of db.data) {
      writeKey(writer, db, key, value, options.access);
      if (writer.buffered > 1 << 20) writer.flush();
    }
  }
  writer.end();
  return concat(chunks);
}

/** Joins byte chunks. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** What loading found. */
export interface LoadResult {
  keysLoaded: number;
  keysExpired: number;
  /** Keys whose value was empty once read, dropped as Redis drops them. */
  emptyKeysSkipped: number;
  /** Aux fields, by name. */
  aux: Map<string, string>;
  /** Offset just past the file (past the checksum): an AOF's tail starts there. */
  end: number;
}

/** The log levels loading writes at. */
export type LoadLog = Pick<ServerLog, "debug" | "notice" | "warning">;

/** Empty keys named in the log, at most (rdbLoadRio names the first ten). */
const EMPTY_KEYS_NAMED = 10;

/** How a file is loaded. */
export interface LoadOptions {
  limits: EncodingLimits;
  /** Verify the CRC-64 (rdbchecksum). */
  checksum: boolean;
  /** Keys whose expiry is before this (Unix ms) are skipped, as a primary does. */
  now: number;
  /** Where the lines rdbLoadRio logs go, at its levels. */
  log: LoadLog;
  /** Told of each key skipped as expired (a primary feeds its DEL to replicas). */
  onExpired?: (db: number, key: string) => void;
}

/**
 * Loads an RDB file into `dbs` (which the caller has emptied, or not for a
 * merge: an existing key is replaced), logging as rdbLoadRio does: aux
 * fields as they are read (so they show before a later error), empty keys
 * skipped, and the closing "Done loading RDB" line. Throws
 * {@linkcode RdbError} on a malformed, truncated or unsupported file; keys
 * read before the error stay.
 */
export function loadRdb(
  bytes: Uint8Array,
  dbs: Database[],
  options: LoadOptions,
): LoadResult {
  const magic = String.fromCharCode(...bytes.subarray(0, 5));
  if (bytes.length < 9 || magic !== "REDIS") {
    throw new RdbError("Wrong signature trying to load DB from file");
  }
  const version = Number(String.fromCharCode(...bytes.subarray(5, 9)));
  if (!(version >= 1 && version <= RDB_VERSION)) {
    throw new RdbError(`Can't handle RDB format version ${version}`);
  }
  const dec = new RdbDecoder(bytes);
  dec.pos = 9;
  const result: LoadResult = {
    keysLoaded: 0,
    keysExpired: 0,
    emptyKeysSkipped: 0,
    aux: new Map(),
    end: 0,
  };
  let db = dbs[0];
  let expireAt = -1;
  let idle = -1;
  let freq = -1;
  for (;;) {
    const type = dec.byte();
    if (type === Opcode.expireTimeMs) {
      expireAt = dec.uint64LE();
      continue;
    }
    if (type === Opcode.expireTime) {
      expireAt = (dec.uint32LE() | 0) * 1000; // a signed 32-bit time_t
      continue;
    }
    if (type === Opcode.idle) {
      idle = dec.length();
      continue;
    }
    if (type === Opcode.freq) {
      freq = dec.byte();
      continue;
    }
    if (type === Opcode.eof) break;
    if (type === Opcode.selectDb) {
      const id = dec.length();
      if (id >= dbs.length) {
        throw new RdbError(
          `FATAL: Data file was created with a Redis server configured to handle more than ${dbs.length} databases. Exiting`,
        );
      }
      db = dbs[id];
      continue;
    }
    if (type === Opcode.resizeDb) {
      db.data.reserve(db.size + dec.length());
      dec.length();
      continue;
    }
    if (type === Opcode.aux) {
      const name = dec.string();
      const value = dec.string();
      result.aux.set(name, value);
      logAuxField(name, value, options.log);
      continue;
    }
    if (type === Opcode.function2 || type === Opcode.functionPreGa) {
      const name = readFunctionLibrary(dec, type);
      options.log.notice(
        `Skipping function library '${name}' in the RDB file: redeno has no scripting yet, so its functions are not loaded`,
      );
      continue;
    }
    if (type === Opcode.moduleAux) {
      const name = moduleTypeName(dec.lengthWords());
      if (dec.length() !== MODULE_OPCODE_UINT) {
        throw new RdbError("bad when_opcode");
      }
      throw new RdbError(
        `The RDB file contains AUX module data I can't load: no matching module '${name}'`,
      );
    }
    const key = dec.string();
    const value = decodeValue(dec, type, options.limits);
    const at = expireAt;
    expireAt = -1;
    const [keyIdle, keyFreq] = [idle, freq];
    idle = freq = -1;
    if (value === null) {
      if (result.emptyKeysSkipped++ < EMPTY_KEYS_NAMED) {
        options.log.warning(`rdbLoadObject skipping empty key: ${key}`);
      }
      continue;
    }
    if (at !== -1 && at < options.now) {
      result.keysExpired++;
      options.onExpired?.(db.id, key);
      continue;
    }
    db.set(key, value);
    if (at !== -1) db.setExpire(key, at);
    // Access data counts only under the policy it was saved for, as in Redis.
    if (keyIdle !== -1 && !tracksFrequency()) db.setIdleSeconds(key, keyIdle);
    if (keyFreq !== -1 && tracksFrequency()) db.setFrequency(key, keyFreq);
    result.keysLoaded++;
  }
  result.end = dec.pos;
  if (version >= 5) {
    const end = dec.pos;
    result.end = end + 8;
    if (end + 8 > bytes.length) {
      throw new RdbError("Unexpected EOF reading RDB file");
    }
    const stored = new DataView(bytes.buffer, bytes.byteOffset + end)
      .getBigUint64(0, true);
    if (options.checksum && stored === 0n) {
      options.log.warning(
        "RDB file was saved with checksum disabled: no check performed.",
      );
    } else if (options.checksum) {
      const crc = new Crc64();
      crc.update(bytes.subarray(0, end));
      const computed = crc.value();
      if (computed !== stored) {
        throw new RdbError(
          `Wrong RDB checksum expected: (${computed.toString(16)}) but got (${
            stored.toString(16)
          }). Aborting now.`,
        );
      }
    }
  }
  logLoaded(result, options.log);
  return result;
}

/** The closing line: a warning that names the count when empty keys were skipped. */
function logLoaded(result: LoadResult, log: LoadLog): void {
  const counts =
    `keys loaded: ${result.keysLoaded}, keys expired: ${result.keysExpired}`;
  if (result.emptyKeysSkipped === 0) {
    log.notice(`Done loading RDB, ${counts}.`);
    return;
  }
  log.warning(
    `Done loading RDB, ${counts}, empty keys skipped: ${result.emptyKeysSkipped}.`,
  );
}

/** The leading integer of `text` as strtol reads it (0 when there is none). */
function leadingInteger(text: string): number {
  return Number.parseInt(text, 10) || 0;
}

/**
 * Logs what an aux field tells, as rdbLoadRio does while reading it: names
 * starting with `%` are information for the log, the known ones have their
 * own lines or none, others are noted at debug level. Names are compared
 * without case, as Redis compares them.
 */
function logAuxField(name: string, value: string, log: LoadLog): void {
  if (name.startsWith("%")) {
    log.notice(`RDB '${name}': ${value}`);
    return;
  }
  switch (name.toLowerCase()) {
    case "redis-ver":
      log.notice(`Loading RDB produced by version ${value}`);
      return;
    case "ctime": {
      const age = Math.floor(Date.now() / 1000) - leadingInteger(value);
      log.notice(`RDB age ${Math.max(age, 0)} seconds`);
      return;
    }
    case "used-mem":
      log.notice(
        `RDB memory usage when created ${
          (leadingInteger(value) / 1024 / 1024).toFixed(2)
        } Mb`,
      );
      return;
    case "aof-preamble":
      if (leadingInteger(value) !== 0) log.notice("RDB has an AOF tail");
      return;
    case "aof-base":
      if (leadingInteger(value) !== 0) log.notice("RDB is base AOF");
      return;
    case "repl-stream-db":
    case "repl-id":
    case "repl-offset":
    case "lua":
    case "redis-bits":
      return;
    default:
      log.debug(`Unrecognized RDB AUX field: '${name}'`);
  }
}

/**
 * Reads a function library (rdbFunctionLoad's framing) and returns its name:
 * RDB_OPCODE_FUNCTION2 holds just the code, whose `#!<engine> name=<name>`
 * first line names it; the 7.0 release candidates' RDB_OPCODE_FUNCTION
 * holds the name, the engine, an optional description and the code.
 */
function readFunctionLibrary(dec: RdbDecoder, type: number): string {
  if (type === Opcode.functionPreGa) {
    const name = dec.string();
    dec.string(); // engine
    if (dec.length() !== 0) dec.string(); // description
    dec.string(); // code
    return name;
  }
  const code = dec.string();
  const firstLine = code.startsWith("#!") ? code.split("\n", 1)[0] : "";
  return /\sname=(\S+)/.exec(firstLine)?.[1] ?? "(unnamed)";
}
