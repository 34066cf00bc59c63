/**
 * INFO: the text of each section with Redis 7.0's field names in Redis's
 * order, filled with redeno's real figures where it has them (clients,
 * statistics, memory and CPU of the process, keyspace) and with what Redis
 * reports for features redeno does not have (no persistence running, a
 * primary with no replicas, no modules, no cluster).
 * @module
 */

import { machine, release, totalmem, type } from "node:os";
import process from "node:process";
import type { Server } from "./server.ts";
import { REDENO_VERSION, REDIS_VERSION } from "./server.ts";

/** How many cron samples the instantaneous rates average (Redis's STATS_METRIC_SAMPLES). */
const SAMPLES = 16;

/** A rate averaged over the last samples of a growing counter. */
class RateSampler {
  private readonly samples = new Float64Array(SAMPLES);
  private index = 0;
  private lastTime = 0;
  private lastValue = 0;

  /** Records `value` (a counter) at `now` (ms). */
  add(value: number, now: number): void {
    if (this.lastTime > 0 && now > this.lastTime) {
      this.samples[this.index] = (value - this.lastValue) * 1000 /
        (now - this.lastTime);
      this.index = (this.index + 1) % SAMPLES;
    }
    this.lastTime = now;
    this.lastValue = value;
  }

  /** Mean per-second rate over the samples. */
  get perSecond(): number {
    let sum = 0;
    for (const s of this.samples) sum += s;
    return sum / SAMPLES;
  }
}

/** Rates and the memory peak the server cron samples for INFO. */
export class InstantaneousMetrics {
  readonly ops = new RateSampler();
  readonly netInput = new RateSampler();
  readonly netOutput = new RateSampler();
  /** Highest used memory seen (INFO used_memory_peak). */
  peakMemory = 0;
  /** Used memory when the server was created (INFO used_memory_startup). */
  readonly startupMemory = usedMemory();

  /** Called by the cron ten times a second. */
  sample(server: Server, now: number): void {
    this.ops.add(server.stats.totalCommands, now);
    this.netInput.add(server.stats.netInputBytes, now);
    this.netOutput.add(server.stats.netOutputBytes, now);
    this.peakMemory = Math.max(this.peakMemory, usedMemory());
  }
}

/** Memory the JavaScript heap and buffers hold (INFO used_memory). */
function usedMemory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** Sections in the order Redis prints them, with their titles. */
const SECTIONS: [name: string, title: string][] = [
  ["server", "Server"],
  ["clients", "Clients"],
  ["memory", "Memory"],
  ["persistence", "Persistence"],
  ["stats", "Stats"],
  ["replication", "Replication"],
  ["cpu", "CPU"],
  ["modules", "Modules"],
  ["commandstats", "Commandstats"],
  ["errorstats", "Errorstats"],
  ["cluster", "Cluster"],
  ["keyspace", "Keyspace"],
];

/** What plain INFO and `INFO default` show. */
const DEFAULT_SECTIONS = new Set(
  SECTIONS.map(([name]) => name).filter((name) => name !== "commandstats"),
);

/** The sections INFO's arguments ask for (`all`, `everything`, `default` or names). */
function wantedSections(args: string[]): Set<string> {
  if (args.length === 0) return DEFAULT_SECTIONS;
  const wanted = new Set<string>();
  for (const arg of args.map((a) => a.toLowerCase())) {
    if (arg === "all" || arg === "everything") {
      for (const [name] of SECTIONS) wanted.add(name);
    } else if (arg === "default") {
      for (const name of DEFAULT_SECTIONS) wanted.add(name);
    } else {
      wanted.add(arg);
    }
  }
  return wanted;
}

/** The INFO text for `args` (section names), CRLF-separated like Redis's. */
export function infoText(server: Server, args: string[]): string {
  const wanted = wantedSections(args);
  const parts: string[] = [];
  for (const [name, title] of SECTIONS) {
    if (!wanted.has(name)) continue;
    const lines = SECTION_LINES[name](server);
    parts.push([`# ${title}`, ...lines].map((l) => l + "\r\n").join(""));
  }
  return parts.join("\r\n");
}

/** Redis's bytesToHuman. */
function human(n: number): string {
  const units = ["K", "M", "G", "T", "P"];
  if (n < 1024) return `${n}B`;
  let value = n / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value.toFixed(2)}${units[i]}`;
}

/** Seconds with microseconds, as Redis prints CPU time. */
function cpuSeconds(micros: number): string {
  return (micros / 1e6).toFixed(6);
}

function serverLines(server: Server): string[] {
  const nowMs = Date.now();
  const uptime = Math.floor((nowMs - server.startedAt) / 1000);
  return [
    `redis_version:${REDIS_VERSION}`,
    `redeno_version:${REDENO_VERSION}`,
    `runtime:${server.net.runtime} ${server.net.version}`,
    "redis_git_sha1:00000000",
    "redis_git_dirty:0",
    `redis_build_id:${server.runId.slice(0, 15)}`,
    "redis_mode:standalone",
    `os:${type()} ${release()} ${machine()}`,
    "arch_bits:64",
    "monotonic_clock:POSIX clock_gettime",
    `multiplexing_api:${process.platform === "linux" ? "epoll" : "kqueue"}`,
    "atomicvar_api:c11-builtin",
    "gcc_version:0.0.0",
    `process_id:${process.pid}`,
    "process_supervised:no",
    `run_id:${server.runId}`,
    `tcp_port:${server.port}`,
    `server_time_usec:${nowMs * 1000}`,
    `uptime_in_seconds:${uptime}`,
    `uptime_in_days:${Math.floor(uptime / 86400)}`,
    // The cron runs at a fixed 10 Hz whatever `hz` says.
    "hz:10",
    `configured_hz:${server.config.number("hz")}`,
    `lru_clock:${Math.floor(nowMs / 1000) & 0xffffff}`,
    `executable:${process.execPath}`,
    `config_file:${server.config.file ?? ""}`,
    "io_threads_active:0",
  ];
}

function clientsLines(server: Server): string[] {
  let maxInput = 0;
  let maxOutput = 0;
  for (const c of server.clients.values()) {
    maxInput = Math.max(maxInput, c.decoder.pending);
    maxOutput = Math.max(maxOutput, c.outputPending);
  }
  return [
    `connected_clients:${server.clients.size}`,
    "cluster_connections:0",
    `maxclients:${server.config.number("maxclients")}`,
    `client_recent_max_input_buffer:${maxInput}`,
    `client_recent_max_output_buffer:${maxOutput}`,
    `blocked_clients:${server.postponed.size + server.blocking.count}`,
    "tracking_clients:0",
    "clients_in_timeout_table:0",
  ];
}

function memoryLines(server: Server): string[] {
  const mem = process.memoryUsage();
  const used = mem.heapUsed + mem.external;
  const peak = Math.max(server.metrics.peakMemory, used);
  const startup = Math.min(server.metrics.startupMemory, used);
  let clientBuffers = 0;
  for (const c of server.clients.values()) {
    clientBuffers += c.decoder.capacity + c.outputPending;
  }
  const overhead = Math.min(used, startup + clientBuffers);
  const dataset = used - overhead;
  const netUsed = used - startup;
  const system = totalmem();
  const maxmemory = server.config.number("maxmemory");
  const ratio = (a: number, b: number) => (b > 0 ? a / b : 0).toFixed(2);
  return [
    `used_memory:${used}`,
    `used_memory_human:${human(used)}`,
    `used_memory_rss:${mem.rss}`,
    `used_memory_rss_human:${human(mem.rss)}`,
    `used_memory_peak:${peak}`,
    `used_memory_peak_human:${human(peak)}`,
    `used_memory_peak_perc:${(used * 100 / peak).toFixed(2)}%`,
    `used_memory_overhead:${overhead}`,
    `used_memory_startup:${startup}`,
    `used_memory_dataset:${dataset}`,
    `used_memory_dataset_perc:${
      (netUsed > 0 ? dataset * 100 / netUsed : 0).toFixed(2)
    }%`,
    `allocator_allocated:${mem.heapUsed}`,
    `allocator_active:${mem.heapTotal}`,
    `allocator_resident:${mem.rss}`,
    `total_system_memory:${system}`,
    `total_system_memory_human:${human(system)}`,
    "used_memory_lua:32768",
    "used_memory_vm_eval:32768",
    "used_memory_lua_human:32.00K",
    "used_memory_scripts_eval:0",
    "number_of_cached_scripts:0",
    "number_of_functions:0",
    "number_of_libraries:0",
    "used_memory_vm_functions:32768",
    "used_memory_vm_total:65536",
    "used_memory_vm_total_human:64.00K",
    "used_memory_functions:0",
    "used_memory_scripts:0",
    "used_memory_scripts_human:0B",
    `maxmemory:${maxmemory}`,
    `maxmemory_human:${human(maxmemory)}`,
    `maxmemory_policy:${server.config.string("maxmemory-policy")}`,
    `allocator_frag_ratio:${ratio(mem.heapTotal, mem.heapUsed)}`,
    `allocator_frag_bytes:${mem.heapTotal - mem.heapUsed}`,
    `allocator_rss_ratio:${ratio(mem.rss, mem.heapTotal)}`,
    `allocator_rss_bytes:${mem.rss - mem.heapTotal}`,
    `rss_overhead_ratio:${ratio(mem.rss, mem.rss)}`,
    "rss_overhead_bytes:0",
    `mem_fragmentation_ratio:${ratio(mem.rss, used)}`,
    `mem_fragmentation_bytes:${mem.rss - used}`,
    "mem_not_counted_for_evict:0",
    "mem_replication_backlog:0",
    "mem_total_replication_buffers:0",
    "mem_clients_slaves:0",
    `mem_clients_normal:${clientBuffers}`,
    "mem_cluster_links:0",
    `mem_aof_buffer:${server.aof.bufferedBytes}`,
    "mem_allocator:libc",
    "active_defrag_running:0",
    "lazyfree_pending_objects:0",
    "lazyfreed_objects:0",
  ];
}

function persistenceLines(server: Server): string[] {
  const persistence = server.persistence;
  const aof = server.aof;
  const [saved, toSave] = persistence.progress;
  return [
    "loading:0",
    "async_loading:0",
    "current_cow_peak:0",
    "current_cow_size:0",
    "current_cow_size_age:0",
    // Redis's share of the keys its child has saved so far.
    `current_fork_perc:${(toSave ? saved / toSave * 100 : 0).toFixed(2)}`,
    `current_save_keys_processed:${saved}`,
    `current_save_keys_total:${toSave}`,
    `rdb_changes_since_last_save:${server.dirty}`,
    `rdb_bgsave_in_progress:${persistence.bgsaveInProgress ? 1 : 0}`,
    `rdb_last_save_time:${persistence.lastSave}`,
    `rdb_last_bgsave_status:${persistence.lastBgsaveOk ? "ok" : "err"}`,
    `rdb_last_bgsave_time_sec:${persistence.lastBgsaveSeconds}`,
    `rdb_current_bgsave_time_sec:${persistence.currentSeconds}`,
    `rdb_saves:${persistence.saves}`,
    "rdb_last_cow_size:0",
    `rdb_last_load_keys_expired:${persistence.lastLoadKeysExpired}`,
    `rdb_last_load_keys_loaded:${persistence.lastLoadKeysLoaded}`,
    `aof_enabled:${aof.state !== "off" ? 1 : 0}`,
    `aof_rewrite_in_progress:${aof.rewriteInProgress ? 1 : 0}`,
    `aof_rewrite_scheduled:${aof.rewriteScheduled ? 1 : 0}`,
    `aof_last_rewrite_time_sec:${aof.lastRewriteSeconds}`,
    `aof_current_rewrite_time_sec:${aof.currentRewriteSeconds}`,
    `aof_last_bgrewrite_status:${aof.lastRewriteOk ? "ok" : "err"}`,
    `aof_rewrites:${aof.rewrites}`,
    `aof_rewrites_consecutive_failures:${aof.consecutiveFailures}`,
    `aof_last_write_status:${aof.lastWriteOk ? "ok" : "err"}`,
    "aof_last_cow_size:0",
    "module_fork_in_progress:0",
    "module_fork_last_cow_size:0",
    ...(aof.state === "off" ? [] : [
      `aof_current_size:${aof.currentSize}`,
      `aof_base_size:${aof.rewriteBaseSize}`,
      `aof_pending_rewrite:${aof.rewriteScheduled ? 1 : 0}`,
      `aof_buffer_length:${aof.bufferedBytes}`,
      `aof_pending_bio_fsync:${aof.fsyncInProgress ? 1 : 0}`,
      "aof_delayed_fsync:0",
    ]),
  ];
}

function statsLines(server: Server): string[] {
  const s = server.stats;
  const m = server.metrics;
  return [
    `total_connections_received:${s.totalConnections}`,
    `total_commands_processed:${s.totalCommands}`,
    `instantaneous_ops_per_sec:${Math.round(m.ops.perSecond)}`,
    `total_net_input_bytes:${s.netInputBytes}`,
    `total_net_output_bytes:${s.netOutputBytes}`,
    "total_net_repl_input_bytes:0",
    "total_net_repl_output_bytes:0",
    `instantaneous_input_kbps:${(m.netInput.perSecond / 1024).toFixed(2)}`,
    `instantaneous_output_kbps:${(m.netOutput.perSecond / 1024).toFixed(2)}`,
    "instantaneous_input_repl_kbps:0.00",
    "instantaneous_output_repl_kbps:0.00",
    `rejected_connections:${s.rejectedConnections}`,
    `sync_full:${server.primary.syncFull}`,
    `sync_partial_ok:${server.primary.syncPartialOk}`,
    `sync_partial_err:${server.primary.syncPartialErr}`,
    `expired_keys:${s.expiredKeys}`,
    "expired_stale_perc:0.00",
    "expired_time_cap_reached_count:0",
    "expire_cycle_cpu_milliseconds:0",
    `evicted_keys:${s.evictedKeys}`,
    "evicted_clients:0",
    "total_eviction_exceeded_time:0",
    "current_eviction_exceeded_time:0",
    `keyspace_hits:${s.keyspaceHits}`,
    `keyspace_misses:${s.keyspaceMisses}`,
    `pubsub_channels:${server.pubsub.channels.size}`,
    `pubsub_patterns:${server.pubsub.patterns.size}`,
    `pubsubshard_channels:${server.pubsub.shardChannels.size}`,
    "latest_fork_usec:0",
    "total_forks:0",
    "migrate_cached_sockets:0",
    "slave_expires_tracked_keys:0",
    "active_defrag_hits:0",
    "active_defrag_misses:0",
    "active_defrag_key_hits:0",
    "active_defrag_key_misses:0",
    "total_active_defrag_time:0",
    "current_active_defrag_time:0",
    "tracking_total_keys:0",
    "tracking_total_items:0",
    "tracking_total_prefixes:0",
    "unexpected_error_replies:0",
    `total_error_replies:${s.totalErrorReplies}`,
    "dump_payload_sanitizations:0",
    `total_reads_processed:${server.readsProcessed}`,
    `total_writes_processed:${server.writesProcessed}`,
    "io_threaded_reads_processed:0",
    "io_threaded_writes_processed:0",
    "reply_buffer_shrinks:0",
    "reply_buffer_expands:0",
  ];
}

function replicationLines(server: Server): string[] {
  const replica = server.replica;
  const primary = server.primary;
  const history = server.replication;
  const backlog = primary.backlog;
  const lines = replica.isReplica ? replica.infoLines() : ["role:master"];
  lines.push(`connected_slaves:${primary.replicas.size}`);
  let n = 0;
  const now = Date.now();
  for (const link of primary.replicas.values()) {
    lines.push(
      `slave${n++}:ip=${
        primary.addressOf(link)
      },port=${link.listeningPort},state=${link.state},offset=${link.ackOffset},lag=${
        Math.floor((now - link.ackTime) / 1000)
      }`,
    );
  }
  lines.push(
    "master_failover_state:no-failover",
    `master_replid:${history.replid}`,
    `master_replid2:${history.replid2}`,
    `master_repl_offset:${history.offset}`,
    `second_repl_offset:${history.secondOffset}`,
    `repl_backlog_active:${backlog ? 1 : 0}`,
    `repl_backlog_size:${server.config.number("repl-backlog-size")}`,
    `repl_backlog_first_byte_offset:${backlog?.firstByteOffset ?? 0}`,
    `repl_backlog_histlen:${backlog?.histlen ?? 0}`,
  );
  return lines;
}

function cpuLines(): string[] {
  const cpu = process.cpuUsage();
  return [
    `used_cpu_sys:${cpuSeconds(cpu.system)}`,
    `used_cpu_user:${cpuSeconds(cpu.user)}`,
    "used_cpu_sys_children:0.000000",
    "used_cpu_user_children:0.000000",
    // One thread runs commands: the process figures are the main thread's.
    `used_cpu_sys_main_thread:${cpuSeconds(cpu.system)}`,
    `used_cpu_user_main_thread:${cpuSeconds(cpu.user)}`,
  ];
}

function commandstatsLines(server: Server): string[] {
  const lines: string[] = [];
  for (const [name, s] of server.stats.commands) {
    if (!s.calls && !s.failedCalls && !s.rejectedCalls) continue;
    const usec = Math.floor(s.usec);
    const perCall = s.calls ? (s.usec / s.calls).toFixed(2) : "0.00";
    lines.push(
      `cmdstat_${name}:calls=${s.calls},usec=${usec},usec_per_call=${perCall},rejected_calls=${s.rejectedCalls},failed_calls=${s.failedCalls}`,
    );
  }
  return lines;
}

function errorstatsLines(server: Server): string[] {
  // Redis keeps error codes in a radix tree, so they come out sorted.
  return [...server.stats.errors.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, count]) => `errorstat_${code}:count=${count}`);
}

/** How many keys with a TTL the keyspace line's avg_ttl looks at. */
const TTL_SAMPLE = 64;

function keyspaceLines(server: Server): string[] {
  const now = Date.now();
  const lines: string[] = [];
  for (const db of server.dbs) {
    if (db.size === 0) continue;
    // Like Redis's, avg_ttl is an estimate: the mean over a sample.
    let total = 0;
    let counted = 0;
    for (const at of db.expires.values()) {
      if (counted === TTL_SAMPLE) break;
      total += Math.max(0, at - now);
      counted++;
    }
    const avgTtl = counted ? Math.round(total / counted) : 0;
    lines.push(
      `db${db.id}:keys=${db.size},expires=${db.expires.size},avg_ttl=${avgTtl}`,
    );
  }
  return lines;
}

const SECTION_LINES: Record<string, (server: Server) => string[]> = {
  server: serverLines,
  clients: clientsLines,
  memory: memoryLines,
  persistence: persistenceLines,
  stats: statsLines,
  replication: replicationLines,
  cpu: cpuLines,
  modules: () => [],
  commandstats: commandstatsLines,
  errorstats: errorstatsLines,
  cluster: () => ["cluster_enabled:0"],
  keyspace: keyspaceLines,
};
