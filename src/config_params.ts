/**
 * The table of every parameter Redis 7.0.15 reports in `CONFIG GET *`, plus
 * its hidden test-only ones: name, aliases, type, default (as a redis-server
 * started without a config file reports it), bounds, mutability, and whether
 * redeno acts on it yet. Bounds and flags follow Redis's config.c.
 * @module
 */

/** Value types: Redis's generic ones, and one per special parameter. */
export type ConfigType =
  | "bool"
  | "int"
  | "memory"
  | "string"
  | "enum"
  | "save"
  | "client-output-buffer-limit"
  | "oom-score-adj-values"
  | "notify-keyspace-events"
  | "bind"
  | "replicaof"
  | "latency-tracking-info-percentiles"
  | "dir"
  | "shutdown-flags";

/** One parameter. */
export interface ConfigParam {
  name: string;
  aliases?: string[];
  type: ConfigType;
  /** Default as CONFIG GET shows it. */
  default: string;
  /** Inclusive bounds of numeric parameters. */
  min?: bigint;
  max?: bigint;
  /** Numeric parameters stored unsigned in Redis (bounds compare unsigned). */
  unsigned?: boolean;
  /** Memory parameters that also take `N%` (stored negative). */
  percent?: boolean;
  /** Integers written in octal (unixsocketperm). */
  octal?: boolean;
  /** Values outside this range are accepted and pulled into it (hz). */
  clamp?: [number, number];
  /** Allowed values for enums, in Redis's order. */
  values?: string[];
  /** Enum values shown under another name (oom-score-adj: relative is "yes"). */
  enumNames?: Record<string, string>;
  /** Extra validation of strings: the reason a value is refused, or null. */
  validate?: (value: string) => string | null;
  /** False for parameters only settable at start (CONFIG SET refuses them). */
  mutable: boolean;
  /** CONFIG SET refuses it unless enable-protected-configs allows. */
  protected?: boolean;
  /** Only an exact CONFIG GET name finds it, never a pattern. */
  hidden?: boolean;
  /** Strings where "" means unset: CONFIG REWRITE then writes no line. */
  nullable?: boolean;
  /** Accepted and reported, but not yet acted on by redeno (README lists these). */
  inert?: boolean;
}

/** Parameters whose CONFIG SET value is split on spaces, and whose file line takes several arguments. */
export function isMultiArg(param: ConfigParam): boolean {
  return param.type === "save" || param.type === "client-output-buffer-limit" ||
    param.type === "oom-score-adj-values" || param.type === "bind" ||
    param.type === "replicaof" ||
    param.type === "latency-tracking-info-percentiles" ||
    param.type === "shutdown-flags";
}

const INT_MAX = 2147483647n;
const INT_MIN = -2147483648n;
const UINT_MAX = 4294967295n;
const LONG_MAX = 9223372036854775807n;
const ULLONG_MAX = 18446744073709551615n;

/** Parameters redeno acts on; every other one is accepted but inert. */
const ACTIVE = new Set([
  "port",
  "bind",
  "unixsocket",
  "databases",
  "maxclients",
  "timeout",
  "tcp-keepalive",
  "loglevel",
  "logfile",
  "dir",
  "proto-max-bulk-len",
  "client-query-buffer-limit",
  "client-output-buffer-limit",
  "enable-debug-command",
  "enable-protected-configs",
  "hz",
]);

type Extra = Partial<ConfigParam> & { immutable?: boolean; alias?: string };

function make(
  name: string,
  type: ConfigType,
  def: string,
  extra: Extra = {},
): ConfigParam {
  const { immutable, alias, ...rest } = extra;
  return {
    name,
    type,
    default: def,
    mutable: !immutable,
    ...(alias ? { aliases: [alias] } : {}),
    ...rest,
  };
}

function bool(name: string, def: boolean, extra?: Extra): ConfigParam {
  return make(name, "bool", def ? "yes" : "no", extra);
}

function int(
  name: string,
  min: bigint,
  max: bigint,
  def: number,
  extra?: Extra,
): ConfigParam {
  return make(name, "int", String(def), { min, max, ...extra });
}

function mem(
  name: string,
  min: bigint,
  max: bigint,
  def: number,
  extra?: Extra,
): ConfigParam {
  return make(name, "memory", String(def), { min, max, ...extra });
}

function str(name: string, def: string, extra?: Extra): ConfigParam {
  return make(name, "string", def, extra);
}

function enumeration(
  name: string,
  values: string[],
  def: string,
  extra?: Extra,
): ConfigParam {
  return make(name, "enum", def, { values, ...extra });
}

const I: Extra = { immutable: true };
const U: Extra = { unsigned: true };
const NULLABLE: Extra = { nullable: true };
const PROTECTED_ACTION = ["no", "yes", "local"];

function notPath(what: string, kind: string, allowEmpty: boolean) {
  return (value: string): string | null => {
    if (!allowEmpty && value === "") return `${what} can't be empty`;
    return value.includes("/")
      ? `${what} can't be a path, just a ${kind}`
      : null;
  };
}

const TABLE: ConfigParam[] = [
  // Booleans
  bool("rdbchecksum", true, I),
  bool("daemonize", false, I),
  bool("io-threads-do-reads", false, I),
  bool("always-show-logo", false, I),
  bool("protected-mode", true),
  bool("rdbcompression", true),
  bool("rdb-del-sync-files", false),
  bool("activerehashing", true),
  bool("stop-writes-on-bgsave-error", true),
  bool("set-proc-title", true, I),
  bool("dynamic-hz", true),
  bool("lazyfree-lazy-eviction", false),
  bool("lazyfree-lazy-expire", false),
  bool("lazyfree-lazy-server-del", false),
  bool("lazyfree-lazy-user-del", false),
  bool("lazyfree-lazy-user-flush", false),
  bool("repl-disable-tcp-nodelay", false),
  bool("repl-diskless-sync", true),
  bool("aof-rewrite-incremental-fsync", true),
  bool("no-appendfsync-on-rewrite", false),
  bool("cluster-require-full-coverage", true),
  bool("rdb-save-incremental-fsync", true),
  bool("aof-load-truncated", true),
  bool("aof-use-rdb-preamble", true),
  bool("aof-timestamp-enabled", false),
  bool("cluster-replica-no-failover", false, {
    alias: "cluster-slave-no-failover",
  }),
  bool("replica-lazy-flush", false, { alias: "slave-lazy-flush" }),
  bool("replica-serve-stale-data", true, { alias: "slave-serve-stale-data" }),
  bool("replica-read-only", true, { alias: "slave-read-only" }),
  bool("replica-ignore-maxmemory", true, { alias: "slave-ignore-maxmemory" }),
  bool("jemalloc-bg-thread", true),
  bool("activedefrag", false),
  bool("syslog-enabled", false, I),
  bool("cluster-enabled", false, I),
  bool("appendonly", false),
  bool("cluster-allow-reads-when-down", false),
  bool("cluster-allow-pubsubshard-when-down", true),
  bool("crash-log-enabled", true),
  bool("crash-memcheck-enabled", true),
  bool("use-exit-on-panic", false, { hidden: true }),
  bool("disable-thp", true, I),
  bool("cluster-allow-replica-migration", true),
  bool("replica-announced", true),
  bool("latency-tracking", true),
  bool("aof-disable-auto-gc", false),
  bool("replica-ignore-disk-write-errors", false),

  // Strings
  str("aclfile", "", I),
  str("unixsocket", "", { immutable: true, nullable: true }),
  str("pidfile", "", { immutable: true, nullable: true }),
  str("replica-announce-ip", "", {
    alias: "slave-announce-ip",
    nullable: true,
  }),
  str("masteruser", "", NULLABLE),
  str("cluster-announce-ip", "", NULLABLE),
  str("cluster-config-file", "nodes.conf", I),
  str("cluster-announce-hostname", "", NULLABLE),
  str("syslog-ident", "redis", I),
  str("dbfilename", "dump.rdb", {
    protected: true,
    validate: notPath("dbfilename", "filename", true),
  }),
  str("appendfilename", "appendonly.aof", {
    immutable: true,
    validate: notPath("appendfilename", "filename", false),
  }),
  str("appenddirname", "appendonlydir", {
    immutable: true,
    validate: notPath("appenddirname", "dirname", false),
  }),
  str("server_cpulist", "", { immutable: true, nullable: true }),
  str("bio_cpulist", "", { immutable: true, nullable: true }),
  str("aof_rewrite_cpulist", "", { immutable: true, nullable: true }),
  str("bgsave_cpulist", "", { immutable: true, nullable: true }),
  str("ignore-warnings", ""),
  str("proc-title-template", "{title} {listen-addr} {server-mode}"),
  str("bind-source-addr", "", NULLABLE),
  str("logfile", "", I),
  str("masterauth", "", NULLABLE),
  str("requirepass", "", NULLABLE),

  // Enums
  enumeration("supervised", ["upstart", "systemd", "auto", "no"], "no", I),
  enumeration(
    "syslog-facility",
    [
      "user",
      "local0",
      "local1",
      "local2",
      "local3",
      "local4",
      "local5",
      "local6",
      "local7",
    ],
    "local0",
    I,
  ),
  enumeration(
    "repl-diskless-load",
    ["disabled", "on-empty-db", "swapdb"],
    "disabled",
  ),
  enumeration(
    "loglevel",
    ["debug", "verbose", "notice", "warning"],
    "notice",
  ),
  enumeration("maxmemory-policy", [
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
  ], "noeviction"),
  enumeration("appendfsync", ["everysec", "always", "no"], "everysec"),
  enumeration("oom-score-adj", ["no", "yes", "relative", "absolute"], "no", {
    enumNames: { relative: "yes" },
  }),
  enumeration(
    "acl-pubsub-default",
    ["allchannels", "resetchannels"],
    "resetchannels",
  ),
  enumeration("sanitize-dump-payload", ["no", "yes", "clients"], "no"),
  enumeration("enable-protected-configs", PROTECTED_ACTION, "no", I),
  enumeration("enable-debug-command", PROTECTED_ACTION, "no", I),
  enumeration("enable-module-command", PROTECTED_ACTION, "no", I),
  enumeration(
    "cluster-preferred-endpoint-type",
    ["ip", "hostname", "unknown-endpoint"],
    "ip",
  ),
  enumeration(
    "propagation-error-behavior",
    ["ignore", "panic", "panic-on-replicas"],
    "ignore",
  ),
  make("shutdown-on-sigint", "shutdown-flags", "default"),
  make("shutdown-on-sigterm", "shutdown-flags", "default"),

  // Integers
  int("databases", 1n, INT_MAX, 16, I),
  int("port", 0n, 65535n, 6379),
  int("io-threads", 1n, 128n, 1, I),
  int("auto-aof-rewrite-percentage", 0n, INT_MAX, 100),
  int("cluster-replica-validity-factor", 0n, INT_MAX, 10, {
    alias: "cluster-slave-validity-factor",
  }),
  int("list-max-listpack-size", INT_MIN, INT_MAX, -2, {
    alias: "list-max-ziplist-size",
  }),
  int("tcp-keepalive", 0n, INT_MAX, 300),
  int("cluster-migration-barrier", 0n, INT_MAX, 1),
  int("active-defrag-cycle-min", 1n, 99n, 1),
  int("active-defrag-cycle-max", 1n, 99n, 25),
  int("active-defrag-threshold-lower", 0n, 1000n, 10),
  int("active-defrag-threshold-upper", 0n, 1000n, 100),
  int("lfu-log-factor", 0n, INT_MAX, 10),
  int("lfu-decay-time", 0n, INT_MAX, 1),
  int("replica-priority", 0n, INT_MAX, 100, { alias: "slave-priority" }),
  int("repl-diskless-sync-delay", 0n, INT_MAX, 5),
  int("maxmemory-samples", 1n, INT_MAX, 5),
  int("maxmemory-eviction-tenacity", 0n, 100n, 10),
  int("timeout", 0n, INT_MAX, 0),
  int("replica-announce-port", 0n, 65535n, 0, {
    alias: "slave-announce-port",
  }),
  int("tcp-backlog", 0n, INT_MAX, 511, I),
  int("cluster-port", 0n, 65535n, 0, I),
  int("cluster-announce-bus-port", 0n, 65535n, 0),
  int("cluster-announce-port", 0n, 65535n, 0),
  int("cluster-announce-tls-port", 0n, 65535n, 0),
  int("repl-timeout", 1n, INT_MAX, 60),
  int("repl-ping-replica-period", 1n, INT_MAX, 10, {
    alias: "repl-ping-slave-period",
  }),
  int("list-compress-depth", 0n, INT_MAX, 0),
  int("rdb-key-save-delay", INT_MIN, INT_MAX, 0, { hidden: true }),
  int("key-load-delay", INT_MIN, INT_MAX, 0, { hidden: true }),
  int("active-expire-effort", 1n, 10n, 1),
  int("hz", 0n, INT_MAX, 10, { clamp: [1, 500] }),
  int("min-replicas-to-write", 0n, INT_MAX, 0, {
    alias: "min-slaves-to-write",
  }),
  int("min-replicas-max-lag", 0n, INT_MAX, 10, { alias: "min-slaves-max-lag" }),
  int("watchdog-period", 0n, INT_MAX, 0, { hidden: true }),
  int("shutdown-timeout", 0n, INT_MAX, 10),
  int("repl-diskless-sync-max-replicas", 0n, INT_MAX, 0),
  int("maxclients", 1n, UINT_MAX, 10000, U),
  int("unixsocketperm", 0n, 0o777n, 0, {
    immutable: true,
    unsigned: true,
    octal: true,
  }),
  int("socket-mark-id", 0n, UINT_MAX, 0, { immutable: true, unsigned: true }),
  int("active-defrag-max-scan-fields", 1n, LONG_MAX, 1000, U),
  int("slowlog-max-len", 0n, LONG_MAX, 128, U),
  int("acllog-max-len", 0n, LONG_MAX, 128, U),
  int("busy-reply-threshold", 0n, LONG_MAX, 5000, { alias: "lua-time-limit" }),
  int("cluster-node-timeout", 0n, LONG_MAX, 15000),
  int("slowlog-log-slower-than", -1n, LONG_MAX, 10000),
  int("latency-monitor-threshold", 0n, LONG_MAX, 0),
  mem("proto-max-bulk-len", 1024n * 1024n, LONG_MAX, 512 * 1024 * 1024),
  int("stream-node-max-entries", 0n, LONG_MAX, 100),
  mem("repl-backlog-size", 1n, LONG_MAX, 1024 * 1024),
  mem("maxmemory", 0n, ULLONG_MAX, 0, U),
  mem("cluster-link-sendbuf-limit", 0n, ULLONG_MAX, 0, U),
  int("hash-max-listpack-entries", 0n, LONG_MAX, 512, {
    alias: "hash-max-ziplist-entries",
    unsigned: true,
  }),
  int("set-max-intset-entries", 0n, LONG_MAX, 512, U),
  int("zset-max-listpack-entries", 0n, LONG_MAX, 128, {
    alias: "zset-max-ziplist-entries",
    unsigned: true,
  }),
  mem("active-defrag-ignore-bytes", 1n, LONG_MAX, 100 * 1024 * 1024, U),
  mem("hash-max-listpack-value", 0n, LONG_MAX, 64, {
    alias: "hash-max-ziplist-value",
    unsigned: true,
  }),
  mem("stream-node-max-bytes", 0n, LONG_MAX, 4096, U),
  mem("zset-max-listpack-value", 0n, LONG_MAX, 64, {
    alias: "zset-max-ziplist-value",
    unsigned: true,
  }),
  mem("hll-sparse-max-bytes", 0n, LONG_MAX, 3000, U),
  int("tracking-table-max-keys", 0n, LONG_MAX, 1000000, U),
  mem("client-query-buffer-limit", 1024n * 1024n, LONG_MAX, 1024 ** 3, U),
  mem("maxmemory-clients", -100n, LONG_MAX, 0, { percent: true }),
  int("repl-backlog-ttl", 0n, LONG_MAX, 3600),
  mem("auto-aof-rewrite-min-size", 0n, LONG_MAX, 64 * 1024 * 1024),
  int("loading-process-events-interval-bytes", 1024n, INT_MAX, 2097152, {
    hidden: true,
  }),

  // TLS
  int("tls-port", 0n, 65535n, 0),
  int("tls-session-cache-size", 0n, INT_MAX, 20480),
  int("tls-session-cache-timeout", 0n, INT_MAX, 300),
  bool("tls-cluster", false),
  bool("tls-replication", false),
  enumeration("tls-auth-clients", ["no", "yes", "optional"], "yes"),
  bool("tls-prefer-server-ciphers", false),
  bool("tls-session-caching", true),
  ...[
    "tls-cert-file",
    "tls-key-file",
    "tls-key-file-pass",
    "tls-client-cert-file",
    "tls-client-key-file",
    "tls-client-key-file-pass",
    "tls-dh-params-file",
    "tls-ca-cert-file",
    "tls-ca-cert-dir",
    "tls-protocols",
    "tls-ciphers",
    "tls-ciphersuites",
  ].map((name) => str(name, "", NULLABLE)),

  // Special
  make("dir", "dir", "", { protected: true }),
  make("save", "save", "3600 1 300 100 60 10000"),
  make(
    "client-output-buffer-limit",
    "client-output-buffer-limit",
    "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
  ),
  make("oom-score-adj-values", "oom-score-adj-values", "0 200 800"),
  make("notify-keyspace-events", "notify-keyspace-events", ""),
  make("bind", "bind", "* -::*"),
  make("replicaof", "replicaof", "", { immutable: true, alias: "slaveof" }),
  make(
    "latency-tracking-info-percentiles",
    "latency-tracking-info-percentiles",
    "50 99 99.9",
  ),
];

/** Every parameter, in table order. */
export const CONFIG_PARAMS: readonly ConfigParam[] = TABLE.map((p) => ({
  ...p,
  inert: !ACTIVE.has(p.name),
}));
