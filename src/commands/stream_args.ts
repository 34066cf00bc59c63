/**
 * Argument parsing shared by the stream commands, with Redis 7.0's rules
 * and error texts (t_stream.c): entry IDs in their strict and lenient
 * forms, range bounds with `(` exclusion, and the trimming options of
 * XADD and XTRIM.
 * @module
 */

import type { Client } from "../client.ts";
import type { TrimSpec } from "../store/stream.ts";
import {
  decrementId,
  incrementId,
  MAX_ID,
  MIN_ID,
  parseU64,
  type StreamId,
  streamId,
} from "../store/stream_id.ts";
import { parseInteger } from "../util/numbers.ts";
import { Errors, isKeyword } from "./util.ts";

export const INVALID_ID =
  "ERR Invalid stream ID specified as stream command argument";

/** What an ID argument parsed to. */
export interface ParsedId {
  id: StreamId;
  /** False for the `<ms>-*` form, where XADD picks the sequence. */
  seqGiven: boolean;
}

/**
 * Parses an ID as streamGenericParseIDOrReply: `-` and `+` (unless
 * `strict`), `<ms>` with `missingSeq` as the sequence, `<ms>-<seq>`, and
 * with `allowSeqStar` `<ms>-*`. Replies the error (when `client` is given)
 * and returns null on failure.
 */
export function parseStreamId(
  client: Client | null,
  text: string,
  missingSeq: "min" | "max",
  strict: boolean,
  allowSeqStar = false,
): ParsedId | null {
  const fail = () => {
    client?.out.error(INVALID_ID);
    return null;
  };
  if (text.length > 127) return fail();
  if (text === "-" || text === "+") {
    if (strict) return fail();
    return { id: text === "-" ? MIN_ID : MAX_ID, seqGiven: true };
  }
  const dash = text.indexOf("-");
  const ms = parseU64(dash === -1 ? text : text.slice(0, dash));
  if (ms === null) return fail();
  if (dash === -1) {
    const seq = missingSeq === "min" ? 0 : 0xffffffff;
    return { id: streamId(ms[0], ms[1], seq, seq), seqGiven: true };
  }
  const rest = text.slice(dash + 1);
  if (allowSeqStar && rest === "*") {
    return { id: streamId(ms[0], ms[1], 0, 0), seqGiven: false };
  }
  const seq = parseU64(rest);
  if (seq === null) return fail();
  return { id: streamId(ms[0], ms[1], seq[0], seq[1]), seqGiven: true };
}

/** A strict ID (no `-`/`+`), missing sequence 0; null after replying. */
export function strictIdArg(client: Client, text: string): StreamId | null {
  return parseStreamId(client, text, "min", true)?.id ?? null;
}

/**
 * A range bound as streamParseIntervalIDOrReply with the exclusion applied:
 * `(id` moves one ID inward. Null after replying.
 */
export function rangeBoundArg(
  client: Client,
  text: string,
  isStart: boolean,
): StreamId | null {
  const missing = isStart ? "min" : "max";
  const exclusive = text.length > 1 && text[0] === "(";
  if (!exclusive) {
    return parseStreamId(client, text, missing, false)?.id ?? null;
  }
  const parsed = parseStreamId(client, text.slice(1), missing, true);
  if (parsed === null) return null;
  const moved = isStart ? incrementId(parsed.id) : decrementId(parsed.id);
  if (moved === null) {
    client.out.error(
      isStart
        ? "ERR invalid start ID for the interval"
        : "ERR invalid end ID for the interval",
    );
  }
  return moved;
}

/** Parses a signed 64-bit integer argument; null after replying. */
export function longLongArg(
  client: Client,
  text: string,
  message: string = Errors.notInteger,
): number | null {
  const n = parseInteger(text);
  if (n === null) client.out.error(message);
  return n;
}

/** What streamParseAddOrTrimArgsOrReply found. */
export interface AddTrimArgs {
  trim: TrimSpec | null;
  noMkStream: boolean;
  /** The ID argument of XADD (`*` gives null). */
  id: ParsedId | null;
  /** argv index of the ID (XADD) or past the options (XTRIM). */
  idIndex: number;
  /** argv index of the MAXLEN/MINID threshold (-1 without a strategy). */
  thresholdIndex: number;
}

/**
 * Parses XADD's (`xadd` true) or XTRIM's options from argv[2]; replies and
 * returns null on error. `nodeMaxEntries` sets the default LIMIT of `~`.
 */
export function parseAddTrimArgs(
  client: Client,
  argv: string[],
  xadd: boolean,
  nodeMaxEntries: number,
): AddTrimArgs | null {
  let strategy: "maxlen" | "minid" | null = null;
  let maxlen = -1;
  let minid = MIN_ID;
  let approx = false;
  let limit = 0;
  let limitGiven = false;
  let noMkStream = false;
  let id: ParsedId | null = null;
  let thresholdIndex = -1;
  let i = 2;
  const incompatible =
    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const opt = argv[i];
    if (xadd && opt === "*") break;
    if ((isKeyword(opt, "maxlen") || isKeyword(opt, "minid")) && more > 0) {
      if (strategy !== null) {
        client.out.error(incompatible);
        return null;
      }
      approx = false;
      const next = argv[i + 1];
      if (more >= 2 && next === "~") {
        approx = true;
        i++;
      } else if (more >= 2 && next === "=") i++;
      thresholdIndex = i + 1;
      if (isKeyword(opt, "maxlen")) {
        const n = longLongArg(client, argv[i + 1]);
        if (n === null) return null;
        if (n < 0) {
          client.out.error("ERR The MAXLEN argument must be >= 0.");
          return null;
        }
        maxlen = n;
        strategy = "maxlen";
      } else {
        const parsed = strictIdArg(client, argv[i + 1]);
        if (parsed === null) return null;
        minid = parsed;
        strategy = "minid";
      }
      i++;
    } else if (isKeyword(opt, "limit") && more > 0) {
      const n = longLongArg(client, argv[i + 1]);
      if (n === null) return null;
      if (n < 0) {
        client.out.error("ERR The LIMIT argument must be >= 0.");
        return null;
      }
      limit = n;
      limitGiven = true;
      i++;
    } else if (xadd && isKeyword(opt, "nomkstream")) {
      noMkStream = true;
    } else if (xadd) {
      id = parseStreamId(client, opt, "min", true, true);
      if (id === null) return null;
      break;
    } else {
      client.out.error(Errors.syntax);
      return null;
    }
  }
  if (limit !== 0 && strategy === null) {
    client.out.error(
      "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
    );
    return null;
  }
  if (!xadd && strategy === null) {
    client.out.error(
      "ERR syntax error, XTRIM must be called with a trimming strategy",
    );
    return null;
  }
  if (limitGiven) {
    if (!approx) {
      client.out.error(
        "ERR syntax error, LIMIT cannot be used without the special ~ option",
      );
      return null;
    }
  } else if (approx) {
    limit = 100 * nodeMaxEntries;
    if (limit <= 0 || limit > 1 << 30) limit = 10000;
  } else limit = 0;
  const trim: TrimSpec | null = strategy === null
    ? null
    : { strategy, maxlen, minid, approx, limit };
  return { trim, noMkStream, id, idIndex: i, thresholdIndex };
}
