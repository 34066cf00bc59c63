import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { Config } from "../../src/config.ts";
import {
  ConfigFileError,
  loadConfig,
  loadConfigText,
  parseCommandLine,
  rewriteConfigFile,
} from "../../src/config_file.ts";

function get(config: Config, name: string): string {
  return config.format(config.param(name)!);
}

Deno.test("config: defaults are Redis's defaults without a config file", () => {
  const c = new Config();
  assert.equal(get(c, "hash-max-listpack-entries"), "512");
  assert.equal(get(c, "hash-max-ziplist-entries"), "512");
  assert.equal(get(c, "zset-max-listpack-entries"), "128");
  assert.equal(get(c, "save"), "3600 1 300 100 60 10000");
  assert.equal(get(c, "bind"), "* -::*");
  assert.equal(get(c, "proto-max-bulk-len"), "536870912");
  assert.equal(get(c, "replicaof"), "");
  assert.equal(c.number("databases"), 16);
  assert.equal(c.bool("replica-read-only"), true);
  assert.equal(c.string("loglevel"), "notice");
});

Deno.test("config: each type parses with Redis's rules and errors", () => {
  const c = new Config();
  assert.equal(
    c.set("timeout", "05"),
    "argument couldn't be parsed into an integer",
  );
  assert.equal(
    c.set("timeout", "-1"),
    "argument must be between 0 and 2147483647 inclusive",
  );
  assert.equal(c.set("timeout", "30"), null);
  assert.equal(c.number("timeout"), 30);
  assert.equal(c.set("maxmemory", "1gb"), null);
  assert.equal(c.number("maxmemory"), 1073741824);
  assert.equal(c.set("maxmemory", "-1"), "argument must be a memory value");
  assert.equal(c.set("maxmemory", "18446744073709551615"), null);
  assert.equal(get(c, "maxmemory"), "18446744073709551615");
  assert.equal(
    c.set("proto-max-bulk-len", "100"),
    "argument must be between 1048576 and 9223372036854775807 inclusive",
  );
  assert.equal(
    c.set("maxclients", "-1"),
    "argument must be between 1 and 4294967295 inclusive",
  );
  assert.equal(
    c.set("activerehashing", "maybe"),
    "argument must be 'yes' or 'no'",
  );
  assert.equal(c.set("activerehashing", "NO"), null);
  assert.equal(c.bool("activerehashing"), false);
  assert.equal(
    c.set("loglevel", "loud"),
    "argument(s) must be one of the following: debug, verbose, notice, warning",
  );
  assert.equal(c.set("loglevel", "WARNING"), null);
  assert.equal(c.string("loglevel"), "warning");
  assert.equal(c.set("oom-score-adj", "relative"), null);
  assert.equal(get(c, "oom-score-adj"), "yes");
  assert.equal(c.set("maxmemory-clients", "5%"), null);
  assert.equal(get(c, "maxmemory-clients"), "5%");
  assert.equal(
    c.set("maxmemory-clients", "200%"),
    "percentage argument must be less or equal to 100",
  );
  assert.equal(c.set("unixsocketperm", "700"), null);
  assert.equal(c.number("unixsocketperm"), 0o700);
  assert.equal(get(c, "unixsocketperm"), "700");
  assert.equal(
    c.set("unixsocketperm", "999"),
    "argument couldn't be parsed as an octal number",
  );
  assert.equal(c.set("hz", "1000"), null);
  assert.equal(get(c, "hz"), "500");
  assert.equal(
    c.set("dbfilename", "a/b"),
    "dbfilename can't be a path, just a filename",
  );
});

Deno.test("config: special parameters", () => {
  const c = new Config();
  assert.equal(c.set("save", "100 10 20 5"), null);
  assert.equal(get(c, "save"), "100 10 20 5");
  assert.equal(c.set("save", "1 2 3"), "Invalid save parameters");
  assert.equal(c.set("save", "100 10  20 5"), "Invalid save parameters");
  assert.deepEqual(c.savePoints(), [{ seconds: 100, changes: 10 }, {
    seconds: 20,
    changes: 5,
  }]);
  assert.equal(c.set("save", ""), null);
  assert.equal(get(c, "save"), "");
  assert.equal(c.set("notify-keyspace-events", "Kg$lshzxetmdnE"), null);
  assert.equal(get(c, "notify-keyspace-events"), "AKEm");
  assert.equal(
    c.set("notify-keyspace-events", "Q"),
    "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
  );
  assert.equal(
    c.set("client-output-buffer-limit", "replica 1mb 2gb 5 pubsub 1k 2 3"),
    null,
  );
  assert.equal(
    get(c, "client-output-buffer-limit"),
    "normal 0 0 0 slave 1048576 2147483648 5 pubsub 1000 2 3",
  );
  assert.equal(
    c.set("client-output-buffer-limit", "master 1 2 3"),
    "Invalid client class specified in buffer limit configuration.",
  );
  assert.equal(
    c.set("oom-score-adj-values", "1 2"),
    "wrong number of arguments",
  );
  assert.equal(
    c.set("latency-tracking-info-percentiles", "1.5 99.99 0 0x10"),
    null,
  );
  assert.equal(get(c, "latency-tracking-info-percentiles"), "1.5 99.99 0 16");
  assert.equal(c.set("shutdown-on-sigint", "now save"), null);
  assert.equal(get(c, "shutdown-on-sigint"), "save now");
  assert.equal(c.set("bind", "127.0.0.1 ::1"), null);
  assert.equal(get(c, "bind"), "127.0.0.1 ::1");
});

Deno.test("config: CONFIG SET is all or nothing, with Redis's errors", () => {
  const c = new Config();
  assert.equal(
    c.setMany([["timeout", "5"], ["port", "x"]], false),
    "ERR CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer",
  );
  assert.equal(c.number("timeout"), 0, "the first value was rolled back");
  assert.equal(
    c.setMany([["port", "1"], ["PORT", "2"]], false),
    "ERR CONFIG SET failed (possibly related to argument 'PORT') - duplicate parameter",
  );
  assert.equal(
    c.setMany([["databases", "3"], ["foo", "1"]], false),
    "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config",
  );
  assert.equal(
    c.setMany([["foo", "1"], ["databases", "3"]], false),
    "ERR Unknown option or number of arguments for CONFIG SET - 'foo'",
  );
  assert.equal(
    c.setMany([["dir", "/"]], false),
    "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config",
  );
  assert.equal(
    c.setMany([["Slave-Priority", "x"]], false),
    "ERR CONFIG SET failed (possibly related to argument 'slave-priority') - argument couldn't be parsed into an integer",
  );
  assert.equal(
    c.setMany([["slave-priority", "5"], ["replica-priority", "6"]], false),
    null,
  );
  assert.equal(c.number("replica-priority"), 6);
});

Deno.test("config: apply hooks run once per change and a failure rolls back", () => {
  const c = new Config();
  let calls = 0;
  c.onApply(["timeout", "tcp-keepalive"], () => {
    calls++;
    return c.number("timeout") === 99 ? "no thanks" : null;
  });
  assert.equal(
    c.setMany([["timeout", "5"], ["tcp-keepalive", "7"]], false),
    null,
  );
  assert.equal(calls, 1);
  assert.equal(c.setMany([["timeout", "5"]], false), null);
  assert.equal(calls, 1, "an unchanged value applies nothing");
  assert.equal(
    c.setMany([["tcp-keepalive", "8"], ["timeout", "99"]], false),
    "ERR CONFIG SET failed (possibly related to argument 'tcp-keepalive') - no thanks",
  );
  assert.equal(c.number("timeout"), 5);
  assert.equal(c.number("tcp-keepalive"), 7);
});

Deno.test("config file: comments, quotes, multi-arg directives, save accumulation", () => {
  const c = new Config();
  c.loading = true;
  loadConfigText(
    c,
    [
      "# a comment",
      "  port 7000  ",
      "",
      'logfile "/tmp/x y.log"',
      "save 10 1",
      "save 20 2 30 3",
      "bind 127.0.0.1 ::1",
      "HASH-MAX-ZIPLIST-ENTRIES 3",
      "list-max-ziplist-entries 5",
    ].join("\n"),
  );
  c.loading = false;
  assert.equal(c.number("port"), 7000);
  assert.equal(c.string("logfile"), "/tmp/x y.log");
  assert.equal(get(c, "save"), "10 1 20 2 30 3");
  assert.equal(get(c, "bind"), "127.0.0.1 ::1");
  assert.equal(c.number("hash-max-listpack-entries"), 3);
});

Deno.test("config file: errors name the line", () => {
  const check = (text: string, line: number, shown: string, reason: string) => {
    const c = new Config();
    try {
      loadConfigText(c, text);
      assert.fail("expected an error");
    } catch (error) {
      assert.ok(error instanceof ConfigFileError);
      assert.deepEqual(error.line, { number: line, text: shown });
      assert.equal(error.reason, reason);
    }
  };
  check(
    "port 1\nfoo bar\n",
    2,
    "foo bar",
    "Bad directive or wrong number of arguments",
  );
  check(
    'timeout "abc\n',
    1,
    'timeout "abc',
    "Unbalanced quotes in configuration line",
  );
  check("maxmemory 1 2", 1, "maxmemory 1 2", "wrong number of arguments");
  check(
    "\n\nport abc\t",
    3,
    "port abc",
    "argument couldn't be parsed into an integer",
  );
  const report = new ConfigFileError(
    "Bad directive or wrong number of arguments",
    {
      number: 4,
      text: "foo bar",
    },
  ).report("7.0.15");
  assert.equal(
    report,
    "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n" +
      "Reading the configuration file, at line 4\n>>> 'foo bar'\n" +
      "Bad directive or wrong number of arguments\n",
  );
});

Deno.test("config file: include, relative and absolute, nested", () => {
  const dir = mkdtempSync(join(tmpdir(), "redeno-conf-"));
  writeFileSync(join(dir, "inner.conf"), "timeout 7\n");
  writeFileSync(
    join(dir, "middle.conf"),
    `include ${join(dir, "inner.conf")}\ntcp-keepalive 9\n`,
  );
  writeFileSync(join(dir, "main.conf"), "include middle.conf\nport 7001\n");
  const cwd = Deno.cwd();
  Deno.chdir(dir); // relative includes resolve against the working directory, as in Redis
  try {
    const c = new Config();
    loadConfig(c, parseCommandLine(["main.conf", "--maxclients", "5"]));
    assert.equal(c.number("timeout"), 7);
    assert.equal(c.number("tcp-keepalive"), 9);
    assert.equal(c.number("port"), 7001);
    assert.equal(c.number("maxclients"), 5);
    assert.equal(c.file, join(Deno.cwd(), "main.conf"));
  } finally {
    Deno.chdir(cwd);
  }
});

Deno.test("command line: merged as redis-server merges argv", () => {
  assert.deepEqual(parseCommandLine(["--port", "7777", "--save", "10", "1"]), {
    stdin: false,
    options: 'port "7777" \nsave "10" "1" ',
  });
  assert.deepEqual(
    parseCommandLine(["/etc/r.conf", "--loglevel", "verbose", "-"]),
    {
      file: "/etc/r.conf",
      stdin: true,
      options: 'loglevel "verbose" ',
    },
  );
  assert.equal(
    parseCommandLine(["--save", "--port", "1"]).options,
    'save ""\nport "1" ',
  );
  assert.equal(parseCommandLine(["--save"]).options, 'save ""');
  assert.equal(
    parseCommandLine(["--port 7000", "--bind", "a b"]).options,
    'port 7000 \nbind "a b" ',
  );
  const c = new Config();
  loadConfig(c, parseCommandLine(["--save", "10", "1", "--save", "20", "2"]));
  assert.equal(get(c, "save"), "10 1 20 2");
});

Deno.test("CONFIG REWRITE keeps comments, rewrites in place, appends and drops defaults", () => {
  const dir = mkdtempSync(join(tmpdir(), "redeno-rw-"));
  const file = join(dir, "r.conf");
  writeFileSync(
    file,
    "port 7000\n# keep me\nslave-read-only no\nhash-max-ziplist-entries 5\nsave 10 1\nsave 20 2\n" +
      "include other.conf\nmaxmemory 1048576\ntimeout 0\n\n\n\nbind 127.0.0.1\n",
  );
  const c = new Config();
  c.file = file;
  c.setArgs(c.param("port")!, ["7000"]);
  c.setArgs(c.param("replica-read-only")!, ["no"]);
  c.setArgs(c.param("hash-max-listpack-entries")!, ["5"]);
  assert.equal(
    c.setMany([["maxmemory", "3mb"], ["save", "40 4"], [
      "tcp-keepalive",
      "100",
    ]], false),
    null,
  );
  assert.equal(
    c.setMany(
      [["notify-keyspace-events", "KEA"], ["masterauth", 'a"b c']],
      false,
    ),
    null,
  );
  assert.equal(rewriteConfigFile(c), null);
  const out = readFileSync(file, "utf8").split("\n");
  assert.deepEqual(out.slice(0, 12), [
    "port 7000",
    "# keep me",
    "replica-read-only no",
    "hash-max-listpack-entries 5",
    "save 40 4",
    "",
    "include other.conf",
    "maxmemory 3mb",
    "timeout 0",
    "",
    "# Generated by CONFIG REWRITE",
    'masterauth "a\\"b c"',
  ]);
  assert.ok(out.includes("tcp-keepalive 100"));
  assert.ok(out.includes('notify-keyspace-events "AKE"'));
  assert.ok(out.includes("latency-tracking-info-percentiles 50 99 99.9"));
  assert.ok(out.some((l) => l.startsWith("dir ")));
  assert.ok(
    !out.includes("bind 127.0.0.1"),
    "bind back at its default is dropped",
  );
  // The result loads back to the same values.
  const again = new Config();
  again.loading = true;
  loadConfigText(
    again,
    readFileSync(file, "latin1").replace(/^include .*$/m, ""),
  );
  for (
    const name of [
      "maxmemory",
      "save",
      "tcp-keepalive",
      "masterauth",
      "notify-keyspace-events",
    ]
  ) {
    assert.equal(get(again, name), get(c, name), name);
  }
});

Deno.test("a multi-argument directive given as one quoted argument is split again", () => {
  const c = new Config();
  loadConfigText(
    c,
    'client-output-buffer-limit "normal 1mb 0 0"\nsave "100 1 50 2"',
  );
  assert.equal(
    get(c, "client-output-buffer-limit"),
    "normal 1048576 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
  );
  assert.equal(get(c, "save"), "100 1 50 2");
});
