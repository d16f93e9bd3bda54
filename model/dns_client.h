#pragma once
// DnsClient: the ns-3 runtime's stub resolver (RFC 1035 §7). SipNodeApplication hands it the
// core's ResolveName effects; it sends real queries over the simulated UDP to one DNS server
// (a DnsServer node, dns_server.h), retransmits each unanswered query after `timeout` up to
// `retries` times, and reports one NameResolved per look-up (dns_stub.h decides what the
// answers mean). Names in the LAN hosts table are answered at once, without a query, as the
// native runtime does (proxy/native/dns_resolver.h).
//
// Deterministic: query ids come from a counter (no random draw, so no other draw moves); the
// socket is created at the first look-up. An answer must come from the server, carry the id
// and echo the question, or it is dropped (counted).
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <ns3/event-id.h>
#include <ns3/inet-socket-address.h>
#include <ns3/node.h>
#include <ns3/nstime.h>
#include <ns3/ptr.h>
#include <ns3/socket.h>

#include "model/dns_stub.h"
#include "proxy/base/node.h"

namespace resproxy::model {

struct DnsClientConfig {
  ns3::InetSocketAddress server{ns3::Ipv4Address::GetAny(), 53};
  ns3::Time timeout = ns3::Seconds(1);  // per attempt
  int retries = 2;                      // retransmissions after the first attempt
  bool ipv6 = false;                    // ask AAAA too (the node has IPv6)
  // [sipproxy.lan_hosts.N]: name → address, answered without DNS (address look-ups only).
  std::vector<std::pair<std::string, std::string>> lan_hosts;
  std::uint16_t first_id = 1;
};

struct DnsClientCounters {
  std::uint64_t lookups = 0;
  std::uint64_t queries_sent = 0;     // retransmissions included
  std::uint64_t answers = 0;          // accepted answers
  std::uint64_t answers_dropped = 0;  // not from the server, unknown id, question mismatch, malformed
  std::uint64_t timeouts = 0;         // queries that got no answer after every attempt
  std::uint64_t lan_hosts = 0;        // answered by the LAN hosts table
};

class DnsClient {
 public:
  // `done` is called (from a simulator event, never inside Resolve) with each look-up's answer.
  using Done = std::function<void(NameResolved)>;
  DnsClient(ns3::Ptr<ns3::Node> node, DnsClientConfig config, Done done);
  ~DnsClient();
  DnsClient(const DnsClient&) = delete;
  DnsClient& operator=(const DnsClient&) = delete;

  void Resolve(const ResolveName& lookup);
  // Cancels everything in flight and closes the socket: no `done` after this.
  void Stop();
  const DnsClientCounters& GetCounters() const { return m_counters; }

 private:
  struct Query {
    std::uint64_t lookup = 0;
    std::size_t slot = 0;  // its place among the look-up's answers
    DnsQuestion question;
    std::string bytes;
    int attempts = 0;
    ns3::EventId timer;
  };
  struct Lookup {
    std::vector<DnsAnswer> answers;
    std::size_t pending = 0;
  };

  void Detach();
  void Send(std::uint16_t id);
  void OnTimeout(std::uint16_t id);
  void HandleRead(ns3::Ptr<ns3::Socket> socket);
  void Answered(std::uint16_t id, DnsAnswer answer);
  void Finish(std::uint64_t lookup);

  ns3::Ptr<ns3::Node> m_node;
  DnsClientConfig m_config;
  Done m_done;
  ns3::Ptr<ns3::Socket> m_socket;
  std::uint16_t m_nextId;
  std::map<std::uint16_t, Query> m_queries;     // by DNS id
  std::map<std::uint64_t, Lookup> m_lookups;    // by ResolveName id
  std::vector<ns3::EventId> m_events;           // immediate answers not yet delivered
  DnsClientCounters m_counters;
  bool m_stopped = false;
};

}  // namespace resproxy::model
