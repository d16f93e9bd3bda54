// resproxy: the daemon. Reads the configuration (embedded default or --config FILE), opens the
// registration database, hosts the proxy core (routing::ProxyNode) on NativeRuntime, serves the
// control socket for resproxyctl (control_server.h), and runs until SIGTERM or SIGINT; SIGHUP
// reopens the log files (log_file.h).
// docs/configuration.md describes the command line and the file.
//
// Exit status: 0 clean shutdown; 1 start-up failure (data directory, database, log files,
// sockets); 2 bad command line or configuration.
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "proxy/native/openssl_crypto.h"
#include "proxy/native/cli.h"
#include "proxy/native/config.h"
#include "proxy/native/control_server.h"
#include "proxy/native/daemon_trace_sink.h"
#include "proxy/native/dns_resolver.h"
#include "proxy/native/dns_thread.h"
#include "proxy/native/gateway_service.h"
#include "proxy/native/host_address.h"
#include "proxy/native/log_file.h"
#include "proxy/native/log.h"
#include "proxy/native/os_rng.h"
#include "proxy/native/pid_file.h"
#include "proxy/native/runtime.h"
#include "proxy/native/sip_message_log.h"
#include "proxy/native/sqlite_store.h"
#include "proxy/routing/proxy_node.h"

#ifndef RESPROXY_VERSION
#define RESPROXY_VERSION "0.0.0"
#endif

namespace resproxy::native {
namespace {

constexpr int kExitStartup = 1;
constexpr int kExitUsage = 2;

std::optional<std::string> read_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    error = "read error";
    return std::nullopt;
  }
  return text.str();
}

// Parses the file named on the command line, or the embedded default. Prints the error and
// returns nullopt if it is refused.
std::optional<DaemonConfig> load_config(const CommandLine& cli) {
  std::string text;
  std::string name = "<embedded>";
  if (cli.config_file) {
    std::string error;
    auto contents = read_file(*cli.config_file, error);
    if (!contents) {
      std::fprintf(stderr, "resproxy: cannot read configuration file %s: %s\n",
                   cli.config_file->c_str(), error.c_str());
      return std::nullopt;
    }
    text = std::move(*contents);
    name = *cli.config_file;
  } else {
    text = default_config_text();
  }
  try {
    return parse_config(text, name);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "resproxy: %s\n", e.what());
    return std::nullopt;
  }
}

int run(const CommandLine& cli) {
  auto loaded = load_config(cli);
  if (!loaded) return kExitUsage;
  DaemonConfig config = std::move(*loaded);

  // Command-line overrides.
  if (cli.data_dir) config.data_dir = *cli.data_dir;
  std::uint16_t port = config.rx_port;
  if (cli.listen) {
    config.listen_address = cli.listen->ip;
    port = cli.listen->port;
  }
  if (cli.log_level) config.log_level = *cli.log_level;

  Logger logger(config.log_level);
  logger.info(std::string("resproxy ") + RESPROXY_VERSION + " starting, configuration " +
              (cli.config_file ? *cli.config_file : std::string("<embedded>")) + ", mode " +
              std::string(routing::to_string(config.proxy.mode)));
  for (const auto& warning : config.warnings) logger.warn("configuration: " + warning);

  // Data directory and the registration database. A directory we create is private (0700): it
  // holds the bindings and the control socket. One that exists is the operator's to set.
  std::error_code ec;
  const bool created = std::filesystem::create_directories(config.data_dir, ec);
  if (!ec && created) {
    std::filesystem::permissions(config.data_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  if (ec) {
    logger.error("cannot create data directory " + config.data_dir + ": " + ec.message());
    return kExitStartup;
  }
  const std::string db_path = (std::filesystem::path(config.data_dir) / "registrations.db").string();
  std::string error;
  SqliteStore::Options store_options;
  store_options.synchronous =
      config.store_sync_full ? SqliteStore::Synchronous::Full : SqliteStore::Synchronous::Normal;
  auto store = SqliteStore::open(db_path, store_options, &error);
  if (!store) {
    logger.error("cannot open registration database " + db_path + ": " + error);
    return kExitStartup;
  }
  auto records = store->try_load_all();
  if (!records) {
    logger.error("cannot read registration database " + db_path + ": " + store->last_error());
    return kExitStartup;
  }
  logger.info("registration database " + db_path + ": " + std::to_string(records->size()) +
              " records");

  // Logs: private, capped and rotated, reopened on SIGHUP (log_file.h).
  const LogFile::Options log_options{.max_bytes = config.log_max_bytes, .keep = config.log_keep};
  std::unique_ptr<LogFile> trace_file;
  std::unique_ptr<LogFileStreambuf> trace_buffer;
  std::unique_ptr<std::ostream> trace_stream;
  if (!config.trace_log.empty()) {
    try {
      trace_file = std::make_unique<LogFile>(config.trace_log, log_options);
    } catch (const std::exception& e) {
      logger.error(std::string("trace log: ") + e.what());
      return kExitStartup;
    }
    trace_buffer = std::make_unique<LogFileStreambuf>(*trace_file);
    trace_stream = std::make_unique<std::ostream>(trace_buffer.get());
  }
  DaemonTraceSink trace(logger, trace_stream.get(), "resproxy");
  std::unique_ptr<SipMessageLog> sip_log;
  if (!config.sip_log.empty()) {
    try {
      sip_log = std::make_unique<SipMessageLog>(config.sip_log, log_options);
    } catch (const std::exception& e) {
      logger.error(e.what());
      return kExitStartup;
    }
  }

  // Randomness (os_rng.h): secrets, nonces, tags and branches from OpenSSL's DRBG; with --seed,
  // a seeded generator that reproduces a run (its seed logged; never for production).
  CryptoRng crypto_rng;
  std::optional<SeededRng> seeded_rng;
  if (cli.seed) {
    seeded_rng.emplace(*cli.seed);
    logger.warn("random seed " + std::to_string(*cli.seed) +
                " (--seed: reproducible Call-IDs, tags, branches and keys; not for production)");
  }
  Rng& rng = seeded_rng ? static_cast<Rng&>(*seeded_rng) : static_cast<Rng&>(crypto_rng);

  // ITSP proxies named by host name: the LAN hosts table, else DNS, once, now (dns_resolver.h).
  resolve_itsp_names(config, logger, rng.next_u64());

  const std::string advertised_ip =
      choose_advertised_address(config.advertised_address, config.listen_address);
  config.proxy.local = Address{advertised_ip, port};
  // Stored expiries are wall-clock time (binding.h): the offset from the core's clock now; the
  // runtime tells the node when the wall clock steps later (NTP on a box without an RTC).
  config.proxy.start = TimePoint{
      std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch())};
  config.proxy.wall_clock_offset =
      std::chrono::duration_cast<Duration>(std::chrono::system_clock::now().time_since_epoch()) -
      config.proxy.start.time_since_epoch();
  routing::ProxyNode node(config.proxy, std::move(*records), rng, openssl_crypto(), trace);

  boost::asio::io_context io;
  NativeRuntime runtime(io, node,
                        ListenConfig{.ip = config.listen_address,
                                     .port = port,
                                     .udp = config.udp,
                                     .tcp = config.tcp,
                                     .store_commit_interval = config.store_commit_interval,
                                     .store_queue_max = config.store_queue_max,
                                     .tls = config.tls});
  // A refused ITSP certificate is what an operator must see at once; failed handshakes from
  // outside (scanners, the handshake budget) only at debug level.
  runtime.set_tls_log([&logger](const Address& remote, bool outbound, std::string_view why) {
    const std::string line = std::string("tls handshake ") + (outbound ? "with " : "from ") +
                             remote.to_string() + " failed: " + std::string(why);
    if (outbound) {
      logger.warn(line);
    } else {
      logger.debug(line);
    }
  });
  runtime.set_store(store.get());
  // ITSP host names DNS answered are looked up again while serving (proxy_node_dns.cpp), on a
  // thread of their own.
  std::unique_ptr<DnsThread> dns;
  if (needs_name_refresh(config)) {
    dns = std::make_unique<DnsThread>(dns_options_for(config));
    runtime.set_name_resolver(dns.get());
  }
  if (sip_log) {
    runtime.set_message_log([&sip_log](bool outbound, const Path& path, std::string_view bytes) {
      sip_log->write(outbound, path, bytes);
    });
  }
  try {
    runtime.start();
  } catch (const std::exception& e) {
    logger.error(e.what());
    return kExitStartup;
  }
  const Address bound = runtime.local_address();
  const Address advertised{advertised_ip, bound.port};
  node.set_local_address(advertised);

  // The PSTN gateway ([gateway] enable = 1): its own port, the same io_context and thread.
  std::unique_ptr<GatewayService> gateway;
  if (config.gateway.enable) {
    try {
      gateway = std::make_unique<GatewayService>(io, config, config.listen_address, advertised_ip,
                                                 advertised, rng, trace);
      gateway->start();
    } catch (const std::exception& e) {
      logger.error(std::string("gateway: ") + e.what());
      runtime.stop();
      return kExitStartup;
    }
    logger.info("gateway listening on " + gateway->local_address().to_string() + " (" +
                std::to_string(config.sim_hardware.e1.size()) + " emulated E1, " +
                std::to_string(config.sim_hardware.fxo.size()) + " emulated FXO cards)");
  }

  // The control socket for resproxyctl (control_server.h): on this thread, like every input.
  std::unique_ptr<ControlServer> control;
  const std::string control_path =
      cli.control ? *cli.control : default_control_path(config.data_dir);
  if (control_path != kControlDisabled) {
    ControlOptions control_options;
    control_options.path = control_path;
    PstnCommands pstn;
    if (gateway) {
      pstn = [service = gateway.get()](std::span<const std::string_view> words) {
        return service->pstn_command(words);
      };
    }
    control = std::make_unique<ControlServer>(
        io, runtime,
        proxy_control_handler(node, runtime, gateway ? &gateway->runtime() : nullptr,
                              std::move(pstn)),
        std::move(control_options));
    try {
      control->start();
    } catch (const std::exception& e) {
      logger.error(e.what());
      control.reset();
      if (gateway) gateway->stop();
      runtime.stop();
      return kExitStartup;
    }
    if (control->removed_stale()) logger.warn("removed stale control socket " + control_path);
    logger.info("control socket " + control_path + " (resproxyctl)");
  }

  PidFile pidfile;
  if (cli.pidfile && !pidfile.write(*cli.pidfile, error)) {
    logger.error("cannot write pid file " + *cli.pidfile + ": " + error);
    if (gateway) gateway->stop();
    runtime.stop();
    return kExitStartup;
  }

  // SIGTERM/SIGINT: stop cleanly. SIGHUP: reopen the log files (logrotate moves them, then
  // signals); no configuration reload yet.
  boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& signal_error, int number) {
        if (signal_error) return;
        if (number == SIGHUP) {
          for (LogFile* file : {trace_file.get(), sip_log ? &sip_log->file() : nullptr}) {
            if (file == nullptr) continue;
            std::string reopen_error;
            if (!file->reopen(&reopen_error)) {
              logger.error("SIGHUP: cannot reopen " + file->path() + ": " + reopen_error +
                           "; still writing to the file open before");
            }
          }
          logger.info("SIGHUP: log files reopened (configuration reload is not supported yet)");
          signals.async_wait(on_signal);
          return;
        }
        logger.info(std::string("received ") + (number == SIGTERM ? "SIGTERM" : "SIGINT") +
                    ", shutting down");
        if (control) control->stop();
        if (gateway) gateway->stop();
        runtime.stop();
        io.stop();
      };
  signals.async_wait(on_signal);

  const std::string transports = config.udp && config.tcp ? "udp+tcp" : config.udp ? "udp" : "tcp";
  const std::string tls_listening =
      config.tls.listen ? ", tls " + runtime.tls_local_address().to_string() : std::string();
  if (config.proxy.media_relay.enabled) {
    const auto& ports = config.proxy.media_relay.relay.ipv4_ports;
    if (const auto overlap = media_ports_overlap_warning(ports.min, ports.max); !overlap.empty()) {
      logger.warn("[media_relay] " + overlap);
    }
  }
  logger.info("advertising " + advertised.to_string() + " in Via and Record-Route; " +
              std::to_string(node.binding_count()) + " bindings loaded");
  // The readiness line: scripts and tests wait for it, whatever the log level.
  std::fprintf(stderr, "resproxy listening on %s %s%s (data dir %s)\n", transports.c_str(),
               bound.to_string().c_str(), tls_listening.c_str(), config.data_dir.c_str());
  std::fflush(stderr);

  io.run();

  const auto stats = runtime.stats();
  const auto& counters = node.counters();
  logger.info("stopped: " + std::to_string(counters.requests) + " requests, " +
              std::to_string(counters.registers) + " REGISTERs, " +
              std::to_string(node.binding_count()) + " bindings, " +
              std::to_string(stats.datagrams_in) + " datagrams in, " +
              std::to_string(stats.datagrams_out) + " out, " +
              std::to_string(stats.streams_accepted) + " TCP connections accepted, " +
              std::to_string(stats.store_failures) + " store failures, " +
              std::to_string(trace.warnings()) + " warnings");
  return 0;
}

}  // namespace
}  // namespace resproxy::native

int main(int argc, char** argv) {
  using namespace resproxy::native;
  // glibc gives the top of the heap back to the kernel whenever 128 KiB of it are free, and the
  // next burst of messages faults it back in page by page: under a steady load that churn (brk
  // and page faults) was about 5 % of the CPU a REGISTER costs. Keep up to 32 MiB of free heap.
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
  mallopt(M_TOP_PAD, 4 << 20);
  // Descriptors: the soft limit (often 1024) up to the hard one. TCP connections are capped by
  // num_sockets (at most 240) far below either, so the control socket, the store and the ITSP
  // connections always find descriptors to spare.
  if (rlimit nofile{}; ::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  CommandLine cli;
  try {
    cli = parse_command_line(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s\n\n%s", e.what(), usage_text().c_str());
    return kExitUsage;
  }
  switch (cli.action) {
    case CommandLine::Action::Help:
      std::fputs(usage_text().c_str(), stdout);
      return 0;
    case CommandLine::Action::Version:
      std::printf("resproxy %s\n", RESPROXY_VERSION);
      return 0;
    case CommandLine::Action::PrintConfigReference:
      // docs/configuration.md's parameter tables, from the configuration schema
      // (scripts/gen-config-doc.sh writes them into the document).
      std::fputs(parameter_reference_markdown().c_str(), stdout);
      return 0;
    case CommandLine::Action::PrintConfig:
      std::fputs(default_config_text().c_str(), stdout);
      return 0;
    case CommandLine::Action::CheckConfig: {
      const auto config = load_config(cli);
      if (!config) return kExitUsage;
      for (const auto& warning : config->warnings) {
        std::fprintf(stderr, "resproxy: warning: %s\n", warning.c_str());
      }
      std::printf("%s: ok\n", cli.config_file->c_str());
      return 0;
    }
    case CommandLine::Action::Run:
      break;
  }
  try {
    return run(cli);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "resproxy: fatal: %s\n", e.what());
    return kExitStartup;
  }
}
