/**
 * Constants of Redis's RDB format (rdb.h), version 10 as Redis 7.0 writes it:
 * opcodes that frame the file and the type byte in front of each value.
 * @module
 */

/** The RDB version redeno writes (Redis 7.0's RDB_VERSION). */
export const RDB_VERSION = 10;

/** Opcodes between key/value pairs. */
export const Opcode = {
  /** RDB_OPCODE_FUNCTION2: a function library (its code). */
  function2: 245,
  /** RDB_OPCODE_FUNCTION: the pre-7.0 GA library format. */
  functionPreGa: 246,
  moduleAux: 247,
  idle: 248,
  freq: 249,
  aux: 250,
  resizeDb: 251,
  expireTimeMs: 252,
  expireTime: 253,
  selectDb: 254,
  eof: 255,
} as const;

/** Value type bytes (RDB_TYPE_*). */
export const RdbType = {
  string: 0,
  list: 1,
  set: 2,
  zset: 3,
  hash: 4,
  zset2: 5,
  module: 6,
  module2: 7,
  hashZipmap: 9,
  listZiplist: 10,
  setIntset: 11,
  zsetZiplist: 12,
  hashZiplist: 13,
  listQuicklist: 14,
  streamListpacks: 15,
  hashListpack: 16,
  zsetListpack: 17,
  listQuicklist2: 18,
  streamListpacks2: 19,
} as const;

/** Quicklist node containers in RDB_TYPE_LIST_QUICKLIST_2. */
export const QuicklistContainer = { plain: 1, packed: 2 } as const;

/** A malformed or unsupported RDB file or DUMP payload. */
export class RdbError extends Error {}
