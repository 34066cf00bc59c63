/**
 * What makes a CONFIG SET take effect: the server registers one hook per
 * group of parameters (Redis's apply functions). Parameters read live where
 * they are used (maxclients, timeout, tcp-keepalive) need none.
 * @module
 */

import { configureLog, type RedisLogLevel } from "./log.ts";
import { binaryToText } from "./protocol/binary.ts";
import { readOutputLimits, type Server } from "./server.ts";

/** Registers the apply hooks of `server.config`. */
export function installConfigHooks(server: Server): void {
  const config = server.config;
  config.onApply(["loglevel"], () => {
    configureLog(
      config.string("loglevel") as RedisLogLevel,
      binaryToText(config.string("logfile")),
    ).catch((error) => server.log.warning(`Log setup failed: ${error}`));
    return null;
  });
  config.onApply(["proto-max-bulk-len", "client-query-buffer-limit"], () => {
    server.requestLimits.protoMaxBulkLen = config.number("proto-max-bulk-len");
    server.requestLimits.queryBufferLimit = config.number(
      "client-query-buffer-limit",
    );
    return null;
  });
  config.onApply(["notify-keyspace-events"], () => {
    server.notifyFlags = config.number("notify-keyspace-events");
    return null;
  });
  config.onApply(["client-output-buffer-limit"], () => {
    readOutputLimits(
      config.string("client-output-buffer-limit"),
      server.outputLimits,
    );
    return null;
  });
  config.onApply(["appendonly"], () => {
    if (!config.bool("appendonly")) {
      server.aof.stop();
      return null;
    }
    return server.aof.start();
  });
  // Listening is asynchronous here, so the reply comes first; if the new
  // port or addresses cannot be bound, the old ones stay and so do the
  // values CONFIG GET shows.
  let bound = {
    port: config.format(config.param("port")!),
    bind: config.string("bind"),
  };
  config.onApply(["port", "bind"], () => {
    const wanted = {
      port: config.format(config.param("port")!),
      bind: config.string("bind"),
    };
    server.rebindTcp().then(
      () => (bound = wanted),
      (error) => {
        server.log.warning(
          `Unable to listen on the new port or addresses, keeping the old ones: ${
            (error as Error).message
          }`,
        );
        config.set("port", bound.port);
        config.set("bind", bound.bind);
      },
    );
    return null;
  });
}
