// resproxy-media: the media relay daemon (docs/media-relay.md "resproxy-media"). The relay core
// (media/ng/relay_node.h: the ng server over RelaySessions) on the native runtime — the same
// sockets, recvmmsg/sendmmsg data path and DSCP marking as the relay inside resproxy — driven
// over the rtpengine ng protocol by resproxy, Kamailio's or OpenSIPS's rtpengine module.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "proxy/media/ng/relay_node.h"
#include "proxy/native/host_address.h"
#include "proxy/native/log.h"
#include "proxy/native/media_cli.h"
#include "proxy/native/media_shards.h"
#include "proxy/native/openssl_crypto.h"
#include "proxy/native/os_rng.h"
#include "proxy/native/pid_file.h"
#include "proxy/native/runtime.h"
#include "proxy/native/secret_file.h"

#ifndef RESPROXY_VERSION
#define RESPROXY_VERSION "0.0.0"
#endif

namespace resproxy::native {
namespace {

constexpr int kExitStartup = 1;
constexpr int kExitUsage = 2;

media::ng::NgServerConfig server_config(const MediaCommandLine& cli) {
  media::ng::NgServerConfig c;
  const media::relay::PortRange range{cli.port_min, cli.port_max};
  for (const auto& itf : cli.interfaces) {
    if (itf.address.find(':') == std::string::npos) {
      c.relay.ipv4_address = itf.address;
      c.relay.ipv4_ports = range;
      c.ipv4_advertised = itf.advertised;
    } else {
      c.relay.ipv6_address = itf.address;
      c.relay.ipv6_ports = range;
      c.ipv6_advertised = itf.advertised;
    }
  }
  c.relay.inactivity_timeout = std::chrono::seconds(cli.timeout_s);
  c.relay.hold_timeout = std::chrono::seconds(cli.silent_timeout_s);
  c.relay.max_sessions = cli.max_sessions;
  c.relay.port_quarantine = std::chrono::seconds(cli.port_quarantine_s);
  c.trusted = cli.trusted;
  c.dscp = static_cast<std::uint8_t>(cli.tos >> 2);
  return c;
}

void log_ready(const MediaCommandLine& cli, const media::ng::NgServerConfig& config, Logger& logger,
               const Address& ng, std::size_t threads) {
  std::string interfaces;
  for (const auto& itf : cli.interfaces) {
    if (!interfaces.empty()) interfaces += ", ";
    interfaces += itf.address;
    if (!itf.advertised.empty()) interfaces += " (advertised " + itf.advertised + ")";
  }
  std::string trusted;
  for (const auto& t : cli.trusted_text) trusted += (trusted.empty() ? "" : ", ") + t;
  logger.info("media on " + interfaces + " ports " + std::to_string(cli.port_min) + "-" +
              std::to_string(cli.port_max) + " on " + std::to_string(threads) +
              (threads == 1 ? " thread" : " threads") + "; plain ng from " + trusted +
              (config.secret.empty() ? "" : "; signed ng from anywhere"));
  // The readiness line: scripts and tests wait for it, whatever the log level.
  std::fprintf(stderr, "resproxy-media listening on ng udp %s\n", ng.to_string().c_str());
  std::fflush(stderr);
}

// The offer was answered before its ports were bound (they are effects): a port another socket
// holds ends that call, and the operator must see why.
media::ng::RelayNode::PortFailureLog port_failure_log(Logger& logger) {
  return [&logger](const Address& local, std::string_view error) {
    logger.warn("cannot bind media port " + local.to_string() + " (" + std::string(error) +
                "): its call was removed; choose a port range nothing else uses");
  };
}

// Both forms of the daemon from here on: `start` binds (an exception ends the start-up), then the
// pid file, SIGTERM / SIGINT to `stop`, the readiness line, and `io` runs by `run` until stopped.
int serve(const MediaCommandLine& cli, Logger& logger, boost::asio::io_context& io,
          const std::function<void()>& start, const std::function<void()>& stop,
          const std::function<void()>& ready, const std::function<void()>& run) {
  try {
    start();
  } catch (const std::exception& e) {
    logger.error(std::string("--listen-ng: ") + e.what());
    return kExitStartup;
  }
  PidFile pidfile;
  if (std::string error; cli.pidfile && !pidfile.write(*cli.pidfile, error)) {
    logger.error("cannot write pid file " + *cli.pidfile + ": " + error);
    stop();
    return kExitStartup;
  }
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& error, int number) {
    if (error) return;
    logger.info(std::string("received ") + (number == SIGTERM ? "SIGTERM" : "SIGINT") + ", shutting down");
    stop();
    io.stop();
  });
  ready();
  run();
  return 0;
}

// --num-threads > 1: one relay per thread, each with its share of the ports (media_shards.h).
int run_sharded(const MediaCommandLine& cli, media::ng::NgServerConfig config, Logger& logger) {
  boost::asio::io_context io;  // the control socket and the signals, on this thread
  std::optional<MediaShards> shards;
  try {
    shards.emplace(io, MediaShardsConfig{.server = std::move(config),
                                         .shards = cli.num_threads,
                                         .listen_ip = cli.listen_ng.ip,
                                         .listen_port = cli.listen_ng.port,
                                         .media_max_age = std::chrono::milliseconds(cli.max_packet_age_ms),
                                         .media_io = cli.io_engine});
  } catch (const std::invalid_argument& e) {
    logger.error(std::string(e.what()) + " (--port-min " + std::to_string(cli.port_min) + ", --port-max " +
                 std::to_string(cli.port_max) + ")");
    return kExitStartup;
  }
  shards->set_port_failure_log(port_failure_log(logger));
  const int rc = serve(
      cli, logger, io, [&] { shards->start(); }, [&] { shards->stop(); },
      [&] { log_ready(cli, shards->server_config(), logger, shards->local_address(), shards->shard_count()); },
      [&] { io.run(); });
  if (rc != 0) return rc;
  shards->stop();
  const auto t = shards->totals();
  logger.info("stopped: " + std::to_string(t.calls_created) + " calls, " + std::to_string(t.packets_forwarded) +
              " packets forwarded");
  return 0;
}

int run(const MediaCommandLine& cli) {
  Logger logger(cli.log_level);
  media::ng::NgServerConfig config = server_config(cli);
  if (cli.secret_file) {
    std::string error;
    auto secret = read_secret_file(*cli.secret_file, error);
    if (!secret) {
      logger.error("--ng-secret-file " + *cli.secret_file + ": " + error);
      return kExitStartup;
    }
    config.secret = std::move(*secret);
  }
  if (const auto overlap = media_ports_overlap_warning(cli.port_min, cli.port_max); !overlap.empty()) {
    logger.warn(overlap);
  }
  // The data path (--io-engine): asked of the kernel here, so the log says which one relays.
  std::string refused;
  const bool uring = cli.io_engine != ListenConfig::MediaIo::Epoll && NativeRuntime::media_io_uring_usable(refused);
  if (cli.io_engine == ListenConfig::MediaIo::IoUring && !uring) {
    logger.error("--io-engine io_uring: " + refused);
    return kExitStartup;
  }
  std::string path = uring ? "io_uring" : "epoll";
  if (!uring && cli.io_engine == ListenConfig::MediaIo::Auto) path += " (io_uring: " + refused + ")";
  logger.info("data path: " + path);
  if (cli.num_threads > 1) return run_sharded(cli, std::move(config), logger);
  CryptoRng rng;
  media::ng::RelayNode node(config, openssl_crypto(), rng);
  node.set_port_failure_log(port_failure_log(logger));
  boost::asio::io_context io;
  NativeRuntime runtime(io, node,
                        ListenConfig{.ip = cli.listen_ng.ip,
                                     .port = cli.listen_ng.port,
                                     .udp = true,
                                     .tcp = false,
                                     .media_max_age = std::chrono::milliseconds(cli.max_packet_age_ms),
                                     .media_io = cli.io_engine});
  const int rc = serve(
      cli, logger, io, [&] { runtime.start(); }, [&] { runtime.stop(); },
      [&] { log_ready(cli, config, logger, runtime.local_address(), 1); },
      [&] { runtime.run(); });  // io.run(), with the media ports waited on directly
  if (rc != 0) return rc;
  const auto& c = node.server().counters();
  logger.info("stopped: " + std::to_string(c.calls_created) + " calls, " +
              std::to_string(node.server().sessions().counters().forwarded) + " packets forwarded");
  return 0;
}

}  // namespace
}  // namespace resproxy::native

int main(int argc, char** argv) {
  using namespace resproxy::native;
  try {
    const MediaCommandLine cli = parse_media_command_line(argc, argv);
    switch (cli.action) {
      case MediaCommandLine::Action::Help:
        std::fputs(media_usage_text().c_str(), stdout);
        return 0;
      case MediaCommandLine::Action::Version:
        std::printf("resproxy-media %s\n", RESPROXY_VERSION);
        return 0;
      case MediaCommandLine::Action::Run:
        break;
    }
    return run(cli);
  } catch (const MediaUsageError& e) {
    std::fprintf(stderr, "%s\n\n%s", e.what(), media_usage_text().c_str());
    return kExitUsage;
  }
}
