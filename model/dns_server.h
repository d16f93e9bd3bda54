#pragma once
// DnsServer: an authoritative DNS server as an ns-3 Application on UDP port 53 (RFC 1035 §4.2.1)
// answering from a DnsZone (dns_zone.h). A scenario places it on the ITSP's side of the access
// link, so that, as in life, name look-ups die with the link, and changes its records at given
// times (ChangeAt) so that the ITSP can move. Deterministic: no randomness at all.
#include <cstdint>
#include <functional>

#include <ns3/application.h>
#include <ns3/nstime.h>
#include <ns3/ptr.h>
#include <ns3/socket.h>

#include "model/dns_zone.h"

namespace resproxy::model {

struct DnsServerCounters {
  std::uint64_t queries = 0;    // datagrams received
  std::uint64_t answered = 0;   // responses with records
  std::uint64_t nodata = 0;     // NoError without records
  std::uint64_t nxdomain = 0;
  std::uint64_t errors = 0;     // FORMERR, NOTIMP, REFUSED, SERVFAIL
  std::uint64_t dropped = 0;    // not answered (not a DNS query)
};

class DnsServer : public ns3::Application {
 public:
  static ns3::TypeId GetTypeId();
  DnsServer();
  ~DnsServer() override;

  void SetPort(std::uint16_t port) { m_port = port; }
  DnsZone& GetZone() { return m_zone; }
  // At simulation time `at`, `change` edits the zone (an ITSP moving its proxy).
  void ChangeAt(ns3::Time at, std::function<void(DnsZone&)> change);
  const DnsServerCounters& GetCounters() const { return m_counters; }

 protected:
  void DoDispose() override;

 private:
  void StartApplication() override;
  void StopApplication() override;
  void HandleRead(ns3::Ptr<ns3::Socket> socket);

  std::uint16_t m_port = 53;
  DnsZone m_zone;
  ns3::Ptr<ns3::Socket> m_socket;
  DnsServerCounters m_counters;
};

}  // namespace resproxy::model
