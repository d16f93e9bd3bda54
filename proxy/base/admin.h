#pragma once
// Management commands as typed values (the seed's `sipproxy show reg` / `kill reg n`, and ours):
// what an operator may ask a Node and what it answers. The words an operator types and the text
// printed back live with the tool that speaks them (proxy/native/admin_text.h for resproxyctl);
// the core sees only these values, through Node::on_command, and answers with a CommandReply
// effect — at once, or once what the command changed is durable (kill reg: after its store write).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace resproxy::admin {

// --- Requests. ---
struct ShowRegistrations {};
struct KillRegistration {
  std::size_t index = 0;  // as ShowRegistrations numbers them, from 1
};
struct ShowItsp {};
struct ShowCounters {};
struct ShowBans {};
struct Unban {
  std::string source;  // an address; IPv6: any address of the banned /64
};
// The PSTN gateway's channels and lines (a GatewayNode answers; other nodes: Unsupported).
struct ShowChannels {};
using Request = std::variant<ShowRegistrations, KillRegistration, ShowItsp, ShowCounters, ShowBans, Unban,
                             ShowChannels>;

// --- Results. ---
struct RegistrationRow {
  std::size_t index = 0;
  std::string user;
  std::vector<std::string> aliases;
  std::string contact;
  std::string source;     // "address:port" the binding was learned from
  std::string transport;  // "udp", "tcp", "tls"
  std::int64_t expires_in_s = 0;
  bool from_itsp = false;  // learned from the ITSP's answer (cache), else registered here
};
struct Registrations {
  std::vector<RegistrationRow> rows;
};

struct ItspRow {
  std::size_t index = 0;
  std::string name;
  std::string address;
  std::string state;
  std::int64_t since_s = 0;
  std::uint64_t transitions = 0;
};
struct ItspStatus {
  std::string mode;
  bool has_itsp = false;  // the mode uses an ITSP at all
  bool failure_operation = false;
  std::vector<ItspRow> proxies;  // empty with has_itsp: none configured or resolved yet
  std::uint64_t probes_sent = 0;
};

enum class CounterKind : std::uint8_t { Counter, Gauge };
constexpr std::string_view to_string(CounterKind k) {
  return k == CounterKind::Counter ? "counter" : "gauge";
}
struct CounterValue {
  std::string_view name;  // from the node's named counter table: static storage
  std::string_view help;
  CounterKind kind = CounterKind::Counter;
  std::uint64_t value = 0;
};
struct Counters {
  std::vector<CounterValue> values;
};

struct BanRow {
  std::string source;
  std::int64_t seconds_left = 0;
  std::uint64_t dropped = 0;
};
struct Bans {
  std::vector<BanRow> rows;
};

// One E1 B-channel or analogue line of the gateway, in span and channel order.
struct ChannelRow {
  std::uint16_t span = 0;
  std::uint16_t channel = 0;  // E1: the B-channel; FXO: the line
  std::string group;          // empty: the span is in no group
  std::string state;          // idle, outgoing, incoming, blocked
  bool answered = false;
  std::string called;         // of the call on it, if any
  std::string calling;
  std::int64_t since_s = -1;  // seconds since the call began (or was answered); -1: no call
};
struct Channels {
  std::vector<ChannelRow> rows;
};

// A command that changed something and is done (durable where it wrote).
struct Done {
  std::string what;  // "killed 1 2001 sip:2001@…", "unbanned 192.0.2.7"
};
// A command refused or failed: nothing was changed unless `reason` says what was.
struct Refused {
  std::string reason;
};
// The node does not implement this command (a simulated phone asked for its registrations).
struct Unsupported {};

using Result =
    std::variant<Registrations, ItspStatus, Counters, Bans, Channels, Done, Refused, Unsupported>;

}  // namespace resproxy::admin
