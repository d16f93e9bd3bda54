// resproxy-ngctl: one ng request to a media relay — resproxy-media or rtpengine — through
// resproxy's own ng client (media/ng/ng_client.h): the same cookies, retransmissions, signing and
// reply checks the proxy uses. For operators (is the relay alive, which calls does it hold, a
// call's packet counts) and for the tests that prove our client against a real rtpengine.
//
//   resproxy-ngctl [--relay HOST:PORT] [--secret-file PATH] [--timeout MS] COMMAND [ARGS]
//     ping | list | query CALL-ID | delete CALL-ID FROM-TAG
//     offer CALL-ID FROM-TAG SDP-FILE [RECEIVED-FROM-IP]
//     answer CALL-ID FROM-TAG TO-TAG SDP-FILE [RECEIVED-FROM-IP]
// Prints "result=<ok|pong>" and the reply's keys (the SDP as is, after "sdp:"); exit 0. An error
// reply prints "result=error reason=…" (exit 1); no valid reply in time (retransmitted like
// Kamailio's module: every --timeout ms, 3 tries) prints "timeout" (exit 1); usage errors exit 2.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "proxy/media/ng/ng_client.h"
#include "proxy/native/cli.h"
#include "proxy/native/openssl_crypto.h"
#include "proxy/native/os_rng.h"
#include "proxy/native/secret_file.h"

namespace {

using namespace resproxy;
using namespace resproxy::media::ng;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

const char* const kUsage =
    "usage: resproxy-ngctl [--relay HOST:PORT] [--secret-file PATH] [--timeout MS] COMMAND [ARGS]\n"
    "  ping | list | query CALL-ID | delete CALL-ID FROM-TAG\n"
    "  offer CALL-ID FROM-TAG SDP-FILE [RECEIVED-FROM-IP]\n"
    "  answer CALL-ID FROM-TAG TO-TAG SDP-FILE [RECEIVED-FROM-IP]\n"
    "default relay 127.0.0.1:2223, timeout 1000 ms per try (3 tries)\n";

int usage(const std::string& why) {
  std::fprintf(stderr, "resproxy-ngctl: %s\n%s", why.c_str(), kUsage);
  return kExitUsage;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A reply's value, readable: strings as they are (quoted when nested), lists and dictionaries in
// brackets.
std::string show(const Value& v, bool nested) {
  if (const auto* i = v.integer()) return std::to_string(*i);
  if (const auto* s = v.string()) return nested ? "\"" + *s + "\"" : *s;
  std::string out;
  if (const auto* l = v.list()) {
    out = "[";
    for (const auto& e : *l) out += (out.size() > 1 ? ", " : "") + show(e, true);
    return out + "]";
  }
  out = "{";
  for (const auto& [k, e] : *v.dict()) out += (out.size() > 1 ? ", " : "") + k + ": " + show(e, true);
  return out + "}";
}

Duration steady_now() {
  return std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch());
}
Duration wall_now() {
  return std::chrono::duration_cast<Duration>(std::chrono::system_clock::now().time_since_epoch());
}

std::optional<sockaddr_storage> to_sockaddr(const Address& a, socklen_t& len) {
  sockaddr_storage ss{};
  if (a.is_ipv6()) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a.port);
    if (inet_pton(AF_INET6, a.ip.c_str(), &s6->sin6_addr) != 1) return std::nullopt;
    len = sizeof(sockaddr_in6);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(a.port);
    if (inet_pton(AF_INET, a.ip.c_str(), &s4->sin_addr) != 1) return std::nullopt;
    len = sizeof(sockaddr_in);
  }
  return ss;
}

int run(int argc, char** argv) {
  using native::read_secret_file;
  Address relay{"127.0.0.1", 2223};
  std::string secret;
  long timeout_ms = 1000;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string value;
    const auto take = [&](const std::string& flag) -> bool {
      if (a == flag) {
        if (i + 1 >= argc) return false;
        value = argv[++i];
        return true;
      }
      if (a.starts_with(flag + "=")) {
        value = a.substr(flag.size() + 1);
        return true;
      }
      return false;
    };
    if (take("--relay")) {
      auto parsed = native::parse_listen_address(value);
      if (!parsed || parsed->port == 0) return usage("--relay " + value + ": expected HOST:PORT or [V6]:PORT");
      relay = *parsed;
    } else if (take("--secret-file")) {
      std::string error;
      auto read = read_secret_file(value, error);
      if (!read) return usage("--secret-file " + value + ": " + error);
      secret = std::move(*read);
    } else if (take("--timeout")) {
      timeout_ms = std::strtol(value.c_str(), nullptr, 10);
      if (timeout_ms < 10 || timeout_ms > 60'000) return usage("--timeout: 10 to 60000 ms");
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a.starts_with("--")) {
      return usage("unknown option " + a);
    } else {
      args.push_back(a);
    }
  }
  if (args.empty()) return usage("no command");
  const std::string& command = args[0];
  Dict request{{"command", command}};
  const auto need = [&](std::size_t min, std::size_t max) { return args.size() >= min && args.size() <= max; };
  const auto add_sdp = [&](std::size_t index) -> bool {
    auto sdp = read_file(args[index]);
    if (!sdp) return false;
    request.set("sdp", *sdp);
    if (args.size() > index + 1) request.set("received from", Value(List{Value(args[index + 1].find(':') ==
                                                                                  std::string::npos ? "IP4" : "IP6"),
                                                                            Value(args[index + 1])}));
    request.set("replace", Value(List{Value("origin"), Value("session-connection")}));
    return true;
  };
  if (command == "ping" || command == "list") {
    if (!need(1, 1)) return usage(command + " takes no arguments");
  } else if (command == "query") {
    if (!need(2, 2)) return usage("query CALL-ID");
    request.set("call-id", args[1]);
  } else if (command == "delete") {
    if (!need(3, 3)) return usage("delete CALL-ID FROM-TAG");
    request.set("call-id", args[1]);
    request.set("from-tag", args[2]);
  } else if (command == "offer") {
    if (!need(4, 5)) return usage("offer CALL-ID FROM-TAG SDP-FILE [RECEIVED-FROM-IP]");
    request.set("call-id", args[1]);
    request.set("from-tag", args[2]);
    if (!add_sdp(3)) return usage("cannot read " + args[3]);
  } else if (command == "answer") {
    if (!need(5, 6)) return usage("answer CALL-ID FROM-TAG TO-TAG SDP-FILE [RECEIVED-FROM-IP]");
    request.set("call-id", args[1]);
    request.set("from-tag", args[2]);
    request.set("to-tag", args[3]);
    if (!add_sdp(4)) return usage("cannot read " + args[4]);
  } else {
    return usage("unknown command " + command);
  }

  const int fd = ::socket(relay.is_ipv6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::fprintf(stderr, "resproxy-ngctl: socket: %s\n", std::strerror(errno));
    return kExitFailed;
  }
  socklen_t relay_len = 0;
  const auto relay_addr = to_sockaddr(relay, relay_len);
  if (!relay_addr) return usage("--relay: not an IP address");
  // connect(): the kernel then delivers only the relay's datagrams, and reports its refusals.
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&*relay_addr), relay_len) != 0) {
    std::fprintf(stderr, "resproxy-ngctl: connect %s: %s\n", relay.to_string().c_str(), std::strerror(errno));
    ::close(fd);
    return kExitFailed;
  }
  native::CryptoRng rng;
  NgClientConfig config;
  config.relays = {RelayTarget{.name = "relay", .address = relay, .weight = 1, .secret = secret}};
  config.retransmit_interval = std::chrono::milliseconds(timeout_ms);
  config.max_tries = 3;
  config.ping_interval = std::chrono::hours(24);  // one request: no health checks
  NgClient client(config, native::openssl_crypto(), rng);
  const RequestId id = client.send(TimePoint{steady_now()}, wall_now(), 0, std::move(request));
  std::optional<NgOutcome> outcome;
  while (!outcome) {
    for (const auto& d : client.take_datagrams()) (void)::send(fd, d.bytes.data(), d.bytes.size(), 0);
    for (auto& o : client.take_outcomes()) {
      if (o.id == id) outcome = std::move(o);
    }
    if (outcome) break;
    const auto due = client.next_deadline();
    if (!due) break;
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due->time_since_epoch() - steady_now());
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, wait.count()) + 1)) > 0) {
      char buffer[65536];
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n > 0) client.on_datagram(TimePoint{steady_now()}, wall_now(), relay, std::string_view(buffer, static_cast<std::size_t>(n)));
    }
    if (const auto d = client.next_deadline(); d && *d <= TimePoint{steady_now()}) {
      client.on_deadline(TimePoint{steady_now()}, wall_now());
    }
  }
  ::close(fd);
  if (!outcome) {
    std::puts("timeout");
    return kExitFailed;
  }
  if (!outcome->reply) {
    if (outcome->reply.error() == NgFailure::ErrorReply) {
      std::printf("result=error reason=%s\n", outcome->error_reason.c_str());
    } else {
      std::printf("%s\n", std::string(to_string(outcome->reply.error())).c_str());
    }
    return kExitFailed;
  }
  std::printf("result=%s\n", outcome->reply->result == NgResult::Pong ? "pong" : "ok");
  for (const auto& [key, value] : outcome->dict) {
    if (key == "result") continue;
    if (key == "sdp") {
      std::printf("sdp:\n%s", value.string() != nullptr ? value.string()->c_str() : "");
      continue;
    }
    std::printf("%s=%s\n", key.c_str(), show(value, false).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
