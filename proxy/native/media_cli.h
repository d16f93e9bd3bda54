#pragma once
// The `resproxy-media` command line (docs/media-relay.md "resproxy-media"): flags that feel like
// rtpengine's, so that an operator who runs rtpengine for Kamailio can swap the binary and keep
// the unit file. Parsing only: resproxy_media_main.cpp acts on the result.
//
//   --interface=[NAME/]ADDR[!ADVERTISED]  an address to relay on (one IPv4, one IPv6); ADVERTISED
//                                     is written into SDP instead (the relay behind a 1:1 NAT).
//                                     Default 127.0.0.1.
//   --listen-ng=[ADDR:]PORT           the ng control socket (UDP). Default 127.0.0.1:2223; a bare
//                                     port listens on 127.0.0.1 (never on every address by
//                                     accident: plain ng has no authentication).
//   --port-min=N --port-max=N         the media port range, both ends included (20000-29999:
//                                     below Linux's ephemeral ports, 32768-60999).
//   --num-threads=N                   data-path threads (1..256), each a relay with 1/N of the ports.
//   --timeout=SECS                    an answered call silent on either side this long ends (60).
//   --silent-timeout=SECS             the same for a call on hold or not answered yet (3600).
//   --tos=N                           the IP TOS byte of media packets (184: DSCP EF).
//   --max-sessions=N                  media streams at most (rtpengine's limit is per call).
//   --port-quarantine=SECS            a freed port pair waits this long before it is handed out
//                                     again, so a late packet of the old call never reaches a
//                                     new one (30; 0: at once, like rtpengine's delete-delay 0).
//   --max-packet-age=MS               overload: a packet that waited longer is discarded, not
//                                     forwarded late (runtime.h media_max_age; 0: off; 50).
//   --io-engine=auto|io_uring|epoll   the data path's system interface (runtime.h media_io):
//                                     io_uring where the kernel allows it (auto), required
//                                     (io_uring: refused at start-up where it is not), or epoll.
//                                     Ours; rtpengine has none.
//   --ng-secret-file=PATH             authenticated control (ng_auth.h): the shared secret, the
//                                     file's first line. Ours; rtpengine has none.
//   --trusted-ng=RANGE                who may send plain ng: CIDR, a-b or one address;
//                                     repeatable. Default 127.0.0.0/8 and ::1.
//   --log-level=0..7                  syslog levels as rtpengine's (3 error … 7 debug; 6).
//   --pidfile=PATH, --foreground, --log-stderr, --help, --version
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "proxy/base/ip_range.h"
#include "proxy/base/net.h"
#include "proxy/native/log.h"
#include "proxy/native/runtime.h"

namespace resproxy::native {

struct MediaInterface {
  std::string name;        // NAME/ prefix, informative
  std::string address;     // bound, never bracketed
  std::string advertised;  // empty: the bound address
};

struct MediaCommandLine {
  enum class Action { Run, Version, Help };
  Action action = Action::Run;
  std::vector<MediaInterface> interfaces;  // at most one per family; default 127.0.0.1
  Address listen_ng{"127.0.0.1", 2223};
  std::uint16_t port_min = 20000;
  std::uint16_t port_max = 29999;
  unsigned num_threads = 1;
  unsigned timeout_s = 60;
  unsigned silent_timeout_s = 3600;
  std::uint8_t tos = 184;
  std::size_t max_sessions = 10'000;
  unsigned max_packet_age_ms = 50;
  unsigned port_quarantine_s = 30;
  ListenConfig::MediaIo io_engine = ListenConfig::MediaIo::Auto;
  std::optional<std::string> secret_file;
  std::vector<IpRange> trusted;            // default: loopback
  std::vector<std::string> trusted_text;   // as given, for the start-up line
  LogLevel log_level = LogLevel::Info;
  std::optional<std::string> pidfile;
};

class MediaUsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// argv[0] is the program name. Options take their value after '=' or as the next argument.
// Throws MediaUsageError naming the flag and what it allows.
MediaCommandLine parse_media_command_line(int argc, const char* const* argv);

std::string media_usage_text();

}  // namespace resproxy::native
