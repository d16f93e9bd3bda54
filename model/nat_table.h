#pragma once
// NatTable: the translation state of one UDP NAPT, in RFC 4787's terms — which external port an
// inside endpoint's datagrams leave from, and which datagrams arriving at an external port are let
// in, and for whom. Pure, no ns-3 (model/nat_node.h puts it on an ns-3 node's IPv4 routing); time
// comes in with every call.
//
// Mapping behaviour (RFC 4787 §4.1): endpoint-independent — one mapping per inside endpoint
// (address:port) whatever the destination (REQ-1's recommendation, a "cone" NAT);
// address-dependent — one per inside endpoint and destination address; address-and-port-dependent
// — one per inside endpoint and destination address:port (a "symmetric" NAT: each destination sees
// another external port).
//
// Filtering behaviour (§5): endpoint-independent — anything sent to a live mapping's port gets in
// (with endpoint-independent mapping: a "full cone"); address-dependent — only from addresses the
// inside endpoint sent to through that mapping ("restricted cone"); address-and-port-dependent —
// only from the address:port pairs it sent to ("port-restricted cone"; with address-and-port-
// dependent mapping, the symmetric NAT). The permissions live as long as their mapping.
//
// Timeout (§4.3): a mapping dies `timeout` after the last datagram that refreshed it — every
// outbound one (REQ-6), inbound ones too only with `refresh_on_inbound` (a MAY). REQ-5 wants at
// least 2 minutes and recommends 5 (the default); shorter is allowed here, because cheap home
// routers do it and a scenario should be able to show what that costs.
//
// Port assignment (§4.2): no port overloading (REQ-3) — every mapping has an external port of its
// own, taken from [first_port, last_port] in turn after the last one given (wrapping), with the
// inside port's parity when `preserve_parity` is on (REQ-4's recommendation: RTP stays even); a
// port comes back only when its mapping died. A new mapping with no free port left is refused
// (the datagram is dropped, counted). Pooling: one external address (paired, REQ-2, trivially).
//
// Not modelled: hairpinning (REQ-7), ICMP (REQ-9..11), fragments, TCP — see nat_node.h for what
// the node does with those.
#include <cstdint>
#include <compare>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "proxy/base/time.h"

namespace resproxy::model {

// An IPv4 endpoint: the address as a host-order number (ns3::Ipv4Address::Get()) and a port.
struct NatEndpoint {
  std::uint32_t ip = 0;
  std::uint16_t port = 0;
  auto operator<=>(const NatEndpoint&) const = default;
};

// RFC 4787's three behaviours, for mapping (§4.1) and for filtering (§5) alike.
enum class NatBehaviour : std::uint8_t { EndpointIndependent, AddressDependent, AddressAndPortDependent };
// "endpoint_independent", "address_dependent", "address_and_port_dependent".
[[nodiscard]] std::string_view to_string(NatBehaviour behaviour);
[[nodiscard]] std::optional<NatBehaviour> parse_nat_behaviour(std::string_view text);

struct NatConfig {
  NatBehaviour mapping = NatBehaviour::EndpointIndependent;
  NatBehaviour filtering = NatBehaviour::AddressAndPortDependent;
  Duration timeout = std::chrono::minutes(5);  // > 0
  std::uint16_t first_port = 1024;             // external ports, first_port <= last_port
  std::uint16_t last_port = 65535;
  bool preserve_parity = true;
  bool refresh_on_inbound = false;
};

struct NatCounters {
  std::uint64_t translated_out = 0;       // inside → outside datagrams sent on
  std::uint64_t translated_in = 0;        // outside → inside datagrams let in
  std::uint64_t dropped_unsolicited = 0;  // to an external port that has no live mapping
  std::uint64_t dropped_filtered = 0;     // to a live mapping, from a source its filtering refuses
  std::uint64_t dropped_no_port = 0;      // outbound, a new mapping and no external port free
  std::uint64_t mappings_created = 0;
  std::uint64_t mappings_expired = 0;
};

// What becomes of a datagram arriving from outside.
struct NatInbound {
  enum class Verdict : std::uint8_t { Pass, NoMapping, Filtered };
  Verdict verdict = Verdict::NoMapping;
  NatEndpoint inside{};  // Pass: where it goes
};

class NatTable {
 public:
  // Throws std::invalid_argument on a timeout <= 0 or first_port > last_port.
  explicit NatTable(NatConfig config);

  // A datagram from `inside` to `remote` (outside): the external port it leaves from — its
  // mapping's, made now if it has none — or nullopt when a new mapping finds no free port.
  [[nodiscard]] std::optional<std::uint16_t> outbound(TimePoint now, NatEndpoint inside, NatEndpoint remote);
  // A datagram from `remote` to external port `port`.
  [[nodiscard]] NatInbound inbound(TimePoint now, NatEndpoint remote, std::uint16_t port);
  // Removes the mappings dead at `now` (outbound and inbound do it too).
  void expire(TimePoint now);

  // The external port of the mapping `inside` → `remote` would use, as of the last call (none:
  // no mapping).
  [[nodiscard]] std::optional<std::uint16_t> port_of(NatEndpoint inside, NatEndpoint remote) const;
  [[nodiscard]] std::size_t mappings() const { return by_port_.size(); }  // as of the last call
  [[nodiscard]] const NatCounters& counters() const { return counters_; }
  [[nodiscard]] const NatConfig& config() const { return config_; }

 private:
  // A mapping's key: the inside endpoint, and as much of the destination as the mapping
  // behaviour distinguishes (none, its address, its address:port).
  struct Key {
    NatEndpoint inside;
    NatEndpoint remote;
    auto operator<=>(const Key&) const = default;
  };
  struct Mapping {
    Key key;
    TimePoint refreshed{};
    std::set<NatEndpoint> permitted;  // sources let in (by the filtering behaviour's measure)
  };

  [[nodiscard]] Key key_for(NatEndpoint inside, NatEndpoint remote) const;
  // `remote` as the filtering behaviour sees it (none, its address, its address:port).
  [[nodiscard]] NatEndpoint filter_view(NatEndpoint remote) const;
  [[nodiscard]] std::optional<std::uint16_t> allocate(std::uint16_t inside_port);

  NatConfig config_;
  std::map<Key, std::uint16_t> by_key_;    // ordered: deterministic, no hashing of wire data
  std::map<std::uint16_t, Mapping> by_port_;
  std::uint32_t next_offset_ = 0;          // the next port to try: first_port + next_offset_
  TimePoint next_expiry_ = TimePoint::max();  // no mapping dies before this
  NatCounters counters_;
};

}  // namespace resproxy::model
