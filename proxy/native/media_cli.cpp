// The resproxy-media command line (media_cli.h).
#include "proxy/native/media_cli.h"

#include <charconv>
#include <string_view>

#include "proxy/native/cli.h"

namespace resproxy::native {

namespace {

[[noreturn]] void fail(std::string_view flag, std::string_view value, std::string_view allowed) {
  throw MediaUsageError("resproxy-media: " + std::string(flag) + "=" + std::string(value) + ": " +
                        std::string(allowed));
}

std::uint64_t number(std::string_view flag, std::string_view text, std::uint64_t min, std::uint64_t max) {
  std::uint64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v < min || v > max) {
    fail(flag, text, "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return v;
}

std::string unbracketed(std::string_view ip) {
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  return std::string(ip);
}

MediaInterface parse_interface(std::string_view text) {
  MediaInterface out;
  std::string_view rest = text;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    out.name = std::string(rest.substr(0, slash));
    rest = rest.substr(slash + 1);
  }
  if (const auto bang = rest.find('!'); bang != std::string_view::npos) {
    out.advertised = unbracketed(rest.substr(bang + 1));
    rest = rest.substr(0, bang);
  }
  out.address = unbracketed(rest);
  const auto p = parse_ip(out.address);
  const bool any = out.address == "0.0.0.0" || out.address == "::";
  if (!p || any || (!out.advertised.empty() && !parse_ip(out.advertised))) {
    fail("--interface", text,
         "expected [NAME/]ADDRESS[!ADVERTISED] with IP addresses, e.g. 192.0.2.10 or "
         "pub/10.0.0.5!203.0.113.7 (not 0.0.0.0 or ::: the SDP must name a real address)");
  }
  if (!out.advertised.empty() && (out.advertised.find(':') == std::string::npos) !=
                                     (out.address.find(':') == std::string::npos)) {
    fail("--interface", text, "the advertised address must be of the bound address's family");
  }
  return out;
}

Address parse_ng_address(std::string_view text) {
  if (text.find(':') == std::string_view::npos) {  // a bare port
    return Address{"127.0.0.1", static_cast<std::uint16_t>(number("--listen-ng", text, 1, 65535))};
  }
  auto a = parse_listen_address(text);
  if (!a || a->port == 0) {
    fail("--listen-ng", text, "expected [ADDRESS:]PORT, e.g. 2223, 127.0.0.1:2223 or [::1]:2223");
  }
  return *a;
}

}  // namespace

MediaCommandLine parse_media_command_line(int argc, const char* const* argv) {
  MediaCommandLine out;
  bool trusted_given = false;
  std::vector<std::string_view> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::optional<std::string_view> inline_value;
    if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    const auto value = [&]() -> std::string {
      if (inline_value) return std::string(*inline_value);
      if (i + 1 >= args.size()) throw MediaUsageError("resproxy-media: " + std::string(arg) + " needs a value");
      return std::string(args[++i]);
    };
    const auto no_value = [&] {
      if (inline_value) throw MediaUsageError("resproxy-media: " + std::string(arg) + " takes no value");
    };
    if (arg == "--interface" || arg == "-i") {
      auto itf = parse_interface(value());
      for (const auto& other : out.interfaces) {
        if (other.address.find(':') == std::string::npos) {
          if (itf.address.find(':') == std::string::npos) fail(arg, itf.address, "one IPv4 interface at most");
        } else if (itf.address.find(':') != std::string::npos) {
          fail(arg, itf.address, "one IPv6 interface at most");
        }
      }
      out.interfaces.push_back(std::move(itf));
    } else if (arg == "--listen-ng" || arg == "-n") {
      out.listen_ng = parse_ng_address(value());
    } else if (arg == "--port-min" || arg == "-m") {
      out.port_min = static_cast<std::uint16_t>(number("--port-min", value(), 1024, 65534));
    } else if (arg == "--port-max" || arg == "-M") {
      out.port_max = static_cast<std::uint16_t>(number("--port-max", value(), 1025, 65535));
    } else if (arg == "--num-threads") {
      out.num_threads = static_cast<unsigned>(number("--num-threads", value(), 1, 256));
    } else if (arg == "--timeout" || arg == "-o") {
      out.timeout_s = static_cast<unsigned>(number("--timeout", value(), 1, 86'400));
    } else if (arg == "--silent-timeout") {
      out.silent_timeout_s = static_cast<unsigned>(number("--silent-timeout", value(), 1, 7 * 86'400));
    } else if (arg == "--tos" || arg == "-T") {
      out.tos = static_cast<std::uint8_t>(number("--tos", value(), 0, 255));
    } else if (arg == "--max-sessions") {
      out.max_sessions = number("--max-sessions", value(), 1, 1'000'000);
    } else if (arg == "--port-quarantine") {
      out.port_quarantine_s = static_cast<unsigned>(number("--port-quarantine", value(), 0, 300));
    } else if (arg == "--max-packet-age") {
      out.max_packet_age_ms = static_cast<unsigned>(number("--max-packet-age", value(), 0, 1000));
    } else if (arg == "--io-engine") {
      const std::string text = value();
      if (text == "auto") {
        out.io_engine = ListenConfig::MediaIo::Auto;
      } else if (text == "io_uring") {
        out.io_engine = ListenConfig::MediaIo::IoUring;
      } else if (text == "epoll") {
        out.io_engine = ListenConfig::MediaIo::Epoll;
      } else {
        fail(arg, text, "expected auto, io_uring or epoll");
      }
    } else if (arg == "--ng-secret-file") {
      out.secret_file = value();
      if (out.secret_file->empty()) fail(arg, "", "expected a file name");
    } else if (arg == "--trusted-ng") {
      const std::string text = value();
      const auto range = IpRange::parse(text);
      if (!range) fail(arg, text, "expected an address, a CIDR range (10.0.0.0/8) or a range a-b");
      if (!trusted_given) out.trusted.clear();
      trusted_given = true;
      out.trusted.push_back(*range);
      out.trusted_text.push_back(text);
    } else if (arg == "--log-level" || arg == "-L") {
      const auto level = number("--log-level", value(), 0, 7);
      out.log_level = level <= 3 ? LogLevel::Error : level == 4 ? LogLevel::Warn
                    : level <= 6 ? LogLevel::Info : LogLevel::Debug;
    } else if (arg == "--pidfile" || arg == "-p") {
      out.pidfile = value();
    } else if (arg == "--foreground" || arg == "-f" || arg == "--log-stderr" || arg == "-E") {
      no_value();  // we never daemonize and always log to stderr (systemd's journal takes it)
    } else if (arg == "--help" || arg == "-h") {
      no_value();
      out.action = MediaCommandLine::Action::Help;
    } else if (arg == "--version" || arg == "-v") {
      no_value();
      out.action = MediaCommandLine::Action::Version;
    } else {
      throw MediaUsageError("resproxy-media: unknown option " + std::string(arg));
    }
  }
  if (out.port_min >= out.port_max || (out.port_max - out.port_min + 1) / 2 < 2) {
    throw MediaUsageError("resproxy-media: --port-min " + std::to_string(out.port_min) + " --port-max " +
                          std::to_string(out.port_max) + ": the range must hold at least two port pairs");
  }
  if (out.interfaces.empty()) out.interfaces.push_back(MediaInterface{.name = "", .address = "127.0.0.1", .advertised = ""});
  if (!trusted_given) {
    out.trusted = {*IpRange::parse("127.0.0.0/8"), *IpRange::parse("::1")};
    out.trusted_text = {"127.0.0.0/8", "::1"};
  }
  return out;
}

std::string media_usage_text() {
  return R"(usage: resproxy-media [OPTIONS]
The resproxy media relay, controlled over the rtpengine "ng" protocol (UDP).
  --interface=[NAME/]ADDR[!ADVERTISED]  relay on ADDR (one IPv4, one IPv6; default 127.0.0.1)
  --listen-ng=[ADDR:]PORT      ng control socket (default 127.0.0.1:2223)
  --port-min=N --port-max=N    media ports (default 20000-29999)
  --num-threads=N              data-path threads, each relaying 1/N of the ports (default 1)
  --timeout=SECS               end an answered call silent this long on either side (60)
  --silent-timeout=SECS        the same for a held or unanswered call (3600)
  --tos=N                      IP TOS byte of media packets (184: DSCP EF)
  --max-sessions=N             media streams at most (10000)
  --port-quarantine=SECS       a freed port waits this long before reuse (30)
  --max-packet-age=MS          overload: discard packets that waited longer (50; 0: off)
  --io-engine=auto|io_uring|epoll  the data path: io_uring where the kernel allows it (auto),
                               io_uring or refuse to start, or epoll (recvmmsg/sendmmsg)
  --ng-secret-file=PATH        require signed control (resproxy's authenticated ng) from
                               untrusted sources; replies to signed requests are signed
  --trusted-ng=RANGE           who may send plain ng (repeatable; default loopback)
  --log-level=0..7             syslog level (6: info, 7: debug)
  --pidfile=PATH  --foreground  --log-stderr  --help  --version
)";
}

}  // namespace resproxy::native
