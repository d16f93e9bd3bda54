// The start-up DNS resolver (dns_resolver.h) against a DNS server on loopback: a small UDP
// responder in this file (A, AAAA, SRV, NXDOMAIN, SERVFAIL; RFC 1035 §4.1 wire format, built
// by hand), or a "silent" server that takes queries and never answers. Covers A/AAAA, SRV
// order and target resolution, the fallback to A without SRV records, the LAN hosts table
// answering without any DNS query, the timeout bound, and the daemon using the result.
#include "proxy/native/dns_resolver.h"
#include "proxy/native/dns_thread.h"
#include "process_support.h"

#include <gtest/gtest.h>

#include <future>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace resproxy::native {
namespace {

namespace fs = std::filesystem;
using test_support::daemon_binary;
using test_support::slurp;
using namespace std::chrono_literals;
using routing::ItspSelection;
using routing::ItspTarget;
using SteadyClock = std::chrono::steady_clock;

constexpr std::uint16_t kTypeA = 1, kTypeAaaa = 28, kTypeSrv = 33;

// A UDP socket bound to `ip` (a loopback address) on `port`, or a free port when it is 0.
int bind_udp(std::uint16_t& port, const char* ip = "127.0.0.1") {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &addr.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

// Takes queries and never answers: every look-up sent to it times out.
class SilentDnsServer {
 public:
  SilentDnsServer() : fd_(bind_udp(port_)) {}
  ~SilentDnsServer() { ::close(fd_); }
  [[nodiscard]] Address address() const { return Address{"127.0.0.1", port_}; }

 private:
  std::uint16_t port_ = 0;
  int fd_;
};

// An authoritative server for a test zone, on its own thread. Names are matched
// case-insensitively; a name with no record of any type (and not in servfail) is NXDOMAIN.
class TestDnsServer {
 public:
  TestDnsServer() : fd_(bind_udp(port_)), thread_([this] { serve(); }) {}
  ~TestDnsServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  [[nodiscard]] Address address() const { return Address{"127.0.0.1", port_}; }

  void add_a(const std::string& name, const std::string& ip) {
    std::string rdata(4, '\0');
    ::inet_pton(AF_INET, ip.c_str(), rdata.data());
    add(name, kTypeA, rdata);
  }
  void add_aaaa(const std::string& name, const std::string& ip) {
    std::string rdata(16, '\0');
    ::inet_pton(AF_INET6, ip.c_str(), rdata.data());
    add(name, kTypeAaaa, rdata);
  }
  void add_srv(const std::string& name, std::uint16_t priority, std::uint16_t weight,
               std::uint16_t port, const std::string& target) {
    std::string rdata = u16(priority) + u16(weight) + u16(port) + encode_name(target);
    add(name, kTypeSrv, rdata);
  }
  // The name's address records become `ip` alone (the ITSP moved).
  void replace_a(const std::string& name, const std::string& ip) {
    {
      std::lock_guard lock(mutex_);
      records_.erase(lower(name));
    }
    add_a(name, ip);
  }
  void add_servfail(const std::string& name) {
    std::lock_guard lock(mutex_);
    servfail_.insert(lower(name));
  }
  // Every question received: "name type".
  std::vector<std::string> questions() const {
    std::lock_guard lock(mutex_);
    return questions_;
  }

 private:
  static std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  static std::string u16(std::uint16_t v) {
    return std::string{static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
  }
  static std::string encode_name(const std::string& name) {
    std::string out;
    std::size_t start = 0;
    while (start < name.size() && name != ".") {
      auto dot = name.find('.', start);
      if (dot == std::string::npos) dot = name.size();
      out += static_cast<char>(dot - start);
      out += name.substr(start, dot - start);
      start = dot + 1;
    }
    out += '\0';
    return out;
  }
  void add(const std::string& name, std::uint16_t type, std::string rdata) {
    std::lock_guard lock(mutex_);
    records_[lower(name)].emplace_back(type, std::move(rdata));
  }

  void serve() {
    std::array<unsigned char, 1500> buf{};
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      sockaddr_storage from{};
      socklen_t from_len = sizeof from;
      const auto n = ::recvfrom(fd_, buf.data(), buf.size(), 0,
                                reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n < 12) continue;
      const std::string reply = answer(std::string(reinterpret_cast<char*>(buf.data()),
                                                   static_cast<std::size_t>(n)));
      if (!reply.empty()) {
        ::sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from),
                 from_len);
      }
    }
  }

  // RFC 1035 §4.1: header, the question echoed, answers pointing at the question's name.
  std::string answer(const std::string& query) {
    std::size_t pos = 12;
    std::string name;
    while (pos < query.size() && query[pos] != 0) {
      const auto len = static_cast<unsigned char>(query[pos]);
      if (len > 63 || pos + 1 + len > query.size()) return {};
      if (!name.empty()) name += '.';
      name += query.substr(pos + 1, len);
      pos += 1 + len;
    }
    if (pos + 5 > query.size()) return {};
    const auto type = static_cast<std::uint16_t>((static_cast<unsigned char>(query[pos + 1]) << 8) |
                                                 static_cast<unsigned char>(query[pos + 2]));
    const std::string question = query.substr(12, pos + 5 - 12);
    name = lower(name);

    std::lock_guard lock(mutex_);
    questions_.push_back(name + " " + std::to_string(type));
    int rcode = 0;
    std::vector<std::string> rdatas;
    if (servfail_.contains(name)) {
      rcode = 2;
    } else if (const auto it = records_.find(name); it == records_.end()) {
      rcode = 3;  // NXDOMAIN
    } else {
      for (const auto& [t, rdata] : it->second) {
        if (t == type) rdatas.push_back(rdata);
      }
    }
    std::string out = query.substr(0, 2);                                      // ID
    out += static_cast<char>(0x84 | (static_cast<unsigned char>(query[2]) & 0x01));  // QR AA RD
    out += static_cast<char>(0x80 | rcode);                                    // RA, RCODE
    out += u16(1) + u16(static_cast<std::uint16_t>(rdatas.size())) + u16(0) + u16(0);
    out += question;
    for (const auto& rdata : rdatas) {
      out += std::string{'\xc0', '\x0c'} + u16(type) + u16(1) + u16(0) + u16(60) +
             u16(static_cast<std::uint16_t>(rdata.size())) + rdata;
    }
    return out;
  }

  std::uint16_t port_ = 0;
  int fd_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::pair<std::uint16_t, std::string>>> records_;
  std::set<std::string> servfail_;
  std::vector<std::string> questions_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

DnsResolverOptions options_for(const Address& server, Duration timeout = 1s,
                               AddressFamilies families = AddressFamilies::Ipv4) {
  DnsResolverOptions o;
  o.servers = {server};
  o.timeout = timeout;
  o.families = families;
  return o;
}

ItspTarget itsp(const std::string& host, std::uint16_t port = 5060,
                Transport transport = Transport::Udp) {
  ItspTarget t;
  t.name = host;
  t.destination.transport = transport;
  t.destination.remote = Address{host, port};
  return t;
}

std::vector<std::string> addresses_of(const ItspResolution& r) {
  std::vector<std::string> out;
  for (const auto& t : r.targets) out.push_back(t.destination.remote.to_string());
  return out;
}

std::vector<std::string> values(const HostResult& r) {
  return r ? *r : std::vector<std::string>{"error: " + std::string(to_string(r.error()))};
}

// --- Host names: A and AAAA. ---

TEST(DnsResolver, ResolvesARecordsInDnsOrder) {
  TestDnsServer dns;
  dns.add_a("itsp.test", "192.0.2.10");
  dns.add_a("itsp.test", "192.0.2.11");
  DnsResolver resolver(options_for(dns.address()));
  EXPECT_EQ(values(resolver.resolve_host("ITSP.test")),
            (std::vector<std::string>{"192.0.2.10", "192.0.2.11"}));
  EXPECT_EQ(dns.questions(), (std::vector<std::string>{"itsp.test 1"}));  // IPv4 socket: no AAAA
}

TEST(DnsResolver, BothFamiliesGiveIpv4FirstAndAnIpv6SocketOnlyIpv6) {
  TestDnsServer dns;
  dns.add_aaaa("dual.test", "2001:db8::10");
  dns.add_a("dual.test", "192.0.2.10");
  {
    DnsResolver resolver(options_for(dns.address(), 1s, AddressFamilies::Both));
    EXPECT_EQ(values(resolver.resolve_host("dual.test")),
              (std::vector<std::string>{"192.0.2.10", "2001:db8::10"}));
  }
  {
    DnsResolver resolver(options_for(dns.address(), 1s, AddressFamilies::Ipv6));
    EXPECT_EQ(values(resolver.resolve_host("dual.test")),
              (std::vector<std::string>{"2001:db8::10"}));
  }
}

TEST(DnsResolver, FamiliesFollowTheListenAddress) {
  EXPECT_EQ(families_for_listen_address("0.0.0.0"), AddressFamilies::Ipv4);
  EXPECT_EQ(families_for_listen_address("192.0.2.1"), AddressFamilies::Ipv4);
  EXPECT_EQ(families_for_listen_address("::"), AddressFamilies::Both);
  EXPECT_EQ(families_for_listen_address("2001:db8::1"), AddressFamilies::Ipv6);
}

TEST(DnsResolver, ReportsNxdomainNodataAndServfail) {
  TestDnsServer dns;
  dns.add_aaaa("v6only.test", "2001:db8::1");
  dns.add_servfail("broken.test");
  DnsResolver resolver(options_for(dns.address()));
  const std::vector<std::string> names = {"missing.test", "v6only.test", "broken.test"};
  const auto results = resolver.resolve_hosts(names);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(values(results[0]), (std::vector<std::string>{"error: no such name (NXDOMAIN)"}));
  EXPECT_EQ(values(results[1]), (std::vector<std::string>{"error: no records of the type asked"}));
  EXPECT_EQ(values(results[2]), (std::vector<std::string>{"error: DNS server failure"}));
}

// --- The LAN hosts table. ---

TEST(DnsResolver, LanHostsTableAnswersWithoutAnyQueryEvenWithADeadServer) {
  SilentDnsServer dead;
  auto o = options_for(dead.address(), 2s);
  o.lan_hosts = {LanHost{"ITSP.example.com", "192.0.2.50"}, LanHost{"v6.example.com", "::1"}};
  DnsResolver resolver(o);
  const auto started = SteadyClock::now();
  EXPECT_EQ(values(resolver.resolve_host("itsp.example.com")),
            (std::vector<std::string>{"192.0.2.50"}));
  // An address of a family the socket cannot reach is no answer, not a DNS fallback.
  EXPECT_EQ(values(resolver.resolve_host("v6.example.com")),
            (std::vector<std::string>{
                "error: no address of a family the SIP socket can reach"}));
  EXPECT_LT(SteadyClock::now() - started, 500ms);  // no query waited on the dead server
  EXPECT_EQ(resolver.queries_sent(), 0u);
}

TEST(DnsResolver, LanHostsTableOverridesDns) {
  TestDnsServer dns;
  dns.add_a("itsp.test", "192.0.2.99");
  auto o = options_for(dns.address());
  o.lan_hosts = {LanHost{"itsp.test", "192.0.2.50"}};
  DnsResolver resolver(o);
  EXPECT_EQ(values(resolver.resolve_host("itsp.test")), (std::vector<std::string>{"192.0.2.50"}));
  EXPECT_TRUE(dns.questions().empty());
}

// --- Timeouts. ---

TEST(DnsResolver, ADeadServerIsATimeoutWithinTheBound) {
  SilentDnsServer dead;
  DnsResolver resolver(options_for(dead.address(), 400ms, AddressFamilies::Both));
  const std::vector<std::string> names = {"a.test", "b.test", "c.test", "d.test"};
  const auto started = SteadyClock::now();
  const auto results = resolver.resolve_hosts(names);  // one round for all names
  const auto took = SteadyClock::now() - started;
  for (const auto& r : results) {
    EXPECT_EQ(values(r), (std::vector<std::string>{"error: DNS timeout"}));
  }
  EXPECT_GE(took, 300ms);  // it did wait for an answer…
  EXPECT_LT(took, 1500ms);  // …but not past the bound (plus scheduling slack)
  EXPECT_EQ(resolver.queries_sent(), 8u);
}

TEST(DnsResolver, SrvModeWithADeadServerFailsWithinOneRound) {
  SilentDnsServer dead;
  DnsResolver resolver(options_for(dead.address(), 400ms));
  SeededRng rng(1);
  const auto started = SteadyClock::now();
  const auto results = resolve_itsp_targets({itsp("itsp.test"), itsp("other.test")},
                                            ItspSelection::DnsSrv, resolver, rng);
  EXPECT_LT(SteadyClock::now() - started, 1500ms);
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) {
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(*r.error, DnsError::Timeout);  // and no A fallback against a dead server
    EXPECT_TRUE(r.targets.empty());
  }
}

// --- ITSP proxies: normal/cyclic. ---

TEST(DnsResolver, NormalModeGivesOneTargetPerAddressWithTheConfiguredPortAndName) {
  TestDnsServer dns;
  dns.add_a("itsp.test", "192.0.2.10");
  dns.add_a("itsp.test", "192.0.2.11");
  auto o = options_for(dns.address());
  o.lan_hosts = {LanHost{"backup.test", "198.51.100.7"}};
  DnsResolver resolver(o);
  SeededRng rng(1);
  const auto results = resolve_itsp_targets(
      {itsp("itsp.test", 5080, Transport::Tcp), itsp("192.0.2.1"), itsp("backup.test", 5070)},
      ItspSelection::Normal, resolver, rng);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].source, "DNS A/AAAA");
  EXPECT_EQ(addresses_of(results[0]),
            (std::vector<std::string>{"192.0.2.10:5080", "192.0.2.11:5080"}));
  for (const auto& t : results[0].targets) {
    EXPECT_EQ(t.name, "itsp.test");
    EXPECT_EQ(t.destination.transport, Transport::Tcp);
    EXPECT_EQ(t.host, "itsp.test");  // DNS gave it: looked up again while running
  }
  EXPECT_TRUE(results[1].targets[0].host.empty());  // an address
  EXPECT_TRUE(results[2].targets[0].host.empty());  // the LAN hosts table: the operator's word
  EXPECT_EQ(results[1].source, "address");
  EXPECT_EQ(addresses_of(results[1]), (std::vector<std::string>{"192.0.2.1:5060"}));
  EXPECT_EQ(results[2].source, "LAN hosts");
  EXPECT_EQ(addresses_of(results[2]), (std::vector<std::string>{"198.51.100.7:5070"}));
  EXPECT_EQ(dns.questions(), (std::vector<std::string>{"itsp.test 1"}));
}

TEST(DnsResolver, AnUnresolvableNameIsLeftOutWithItsError) {
  TestDnsServer dns;
  DnsResolver resolver(options_for(dns.address()));
  SeededRng rng(1);
  const auto results =
      resolve_itsp_targets({itsp("missing.test")}, ItspSelection::Cyclic, resolver, rng);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].error, DnsError::NotFound);
  EXPECT_TRUE(results[0].targets.empty());
}

// --- ITSP proxies: dnssrv. ---

TEST(DnsResolver, SrvTargetsAreOrderedByPriorityAndResolved) {
  TestDnsServer dns;
  dns.add_srv("_sip._udp.itsp.test", 20, 0, 5070, "b.itsp.test");
  dns.add_srv("_sip._udp.itsp.test", 10, 0, 5062, "a.itsp.test");
  dns.add_srv("_sip._udp.itsp.test", 30, 0, 5064, "c.itsp.test");
  dns.add_a("a.itsp.test", "192.0.2.1");
  dns.add_a("b.itsp.test", "192.0.2.2");
  dns.add_a("b.itsp.test", "192.0.2.3");
  auto o = options_for(dns.address());
  o.lan_hosts = {LanHost{"c.itsp.test", "10.0.0.3"}};  // a SRV target from the LAN hosts table
  DnsResolver resolver(o);
  SeededRng rng(1);
  const auto results =
      resolve_itsp_targets({itsp("itsp.test", 5099)}, ItspSelection::DnsSrv, resolver, rng);
  ASSERT_EQ(results.size(), 1u);
  const auto& r = results[0];
  EXPECT_FALSE(r.error.has_value()) << r.detail;
  EXPECT_EQ(r.source, "DNS SRV _sip._udp.itsp.test");
  EXPECT_EQ(addresses_of(r), (std::vector<std::string>{"192.0.2.1:5062", "192.0.2.2:5070",
                                                       "192.0.2.3:5070", "10.0.0.3:5064"}));
  for (const auto& t : r.targets) EXPECT_EQ(t.name, "itsp.test");
  // The SRV query, then the addresses of the targets not in the table: two rounds.
  const auto q = dns.questions();
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0], "_sip._udp.itsp.test 33");
  EXPECT_EQ(std::set<std::string>(q.begin() + 1, q.end()),
            (std::set<std::string>{"a.itsp.test 1", "b.itsp.test 1"}));
}

TEST(DnsResolver, TcpEntriesAskForSipOverTcp) {
  TestDnsServer dns;
  dns.add_srv("_sip._tcp.itsp.test", 1, 0, 5061, "tcp.itsp.test");
  dns.add_srv("_sip._udp.itsp.test", 1, 0, 5060, "udp.itsp.test");
  dns.add_a("tcp.itsp.test", "192.0.2.6");
  dns.add_a("udp.itsp.test", "192.0.2.17");
  DnsResolver resolver(options_for(dns.address()));
  SeededRng rng(1);
  const auto results = resolve_itsp_targets({itsp("itsp.test", 5060, Transport::Tcp)},
                                            ItspSelection::DnsSrv, resolver, rng);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(addresses_of(results[0]), (std::vector<std::string>{"192.0.2.6:5061"}));
  EXPECT_EQ(results[0].targets.at(0).destination.transport, Transport::Tcp);
}

TEST(DnsResolver, WithoutSrvRecordsFallsBackToAddressRecordsAndTheConfiguredPort) {
  TestDnsServer dns;
  dns.add_a("plain.test", "192.0.2.44");
  DnsResolver resolver(options_for(dns.address()));
  SeededRng rng(1);
  const auto results =
      resolve_itsp_targets({itsp("plain.test", 5080)}, ItspSelection::DnsSrv, resolver, rng);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].source, "DNS A/AAAA (no SRV records at _sip._udp.plain.test)");
  EXPECT_EQ(addresses_of(results[0]), (std::vector<std::string>{"192.0.2.44:5080"}));
}

TEST(DnsResolver, ADotSrvTargetMeansNoServiceAndNoFallback) {
  TestDnsServer dns;
  dns.add_srv("_sip._udp.nosip.test", 0, 0, 0, ".");
  dns.add_a("nosip.test", "192.0.2.45");
  DnsResolver resolver(options_for(dns.address()));
  SeededRng rng(1);
  const auto results =
      resolve_itsp_targets({itsp("nosip.test")}, ItspSelection::DnsSrv, resolver, rng);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].error, DnsError::ServiceUnavailable);
  EXPECT_TRUE(results[0].targets.empty());
  EXPECT_EQ(dns.questions(), (std::vector<std::string>{"_sip._udp.nosip.test 33"}));
}

TEST(DnsResolver, SrvTargetsThatDoNotResolveAreSkipped) {
  TestDnsServer dns;
  dns.add_srv("_sip._udp.itsp.test", 1, 0, 5060, "gone.itsp.test");
  dns.add_srv("_sip._udp.itsp.test", 2, 0, 5060, "ok.itsp.test");
  dns.add_a("ok.itsp.test", "192.0.2.8");
  DnsResolver resolver(options_for(dns.address()));
  SeededRng rng(1);
  const auto results =
      resolve_itsp_targets({itsp("itsp.test")}, ItspSelection::DnsSrv, resolver, rng);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].error.has_value());
  EXPECT_EQ(addresses_of(results[0]), (std::vector<std::string>{"192.0.2.8:5060"}));
  EXPECT_NE(results[0].detail.find("gone.itsp.test:5060 (priority 1, weight 0) no such name"),
            std::string::npos)
      << results[0].detail;
}

TEST(DnsResolver, SrvWeightsAreDrawnFromTheRngReproducibly) {
  TestDnsServer dns;
  for (int i = 1; i <= 5; ++i) {
    const std::string target = "t" + std::to_string(i) + ".itsp.test";
    dns.add_srv("_sip._udp.itsp.test", 1, static_cast<std::uint16_t>(10 * i), 5060, target);
    dns.add_a(target, "192.0.2." + std::to_string(i));
  }
  DnsResolver resolver(options_for(dns.address()));
  const auto order = [&](std::uint64_t seed) {
    SeededRng rng(seed);
    return addresses_of(
        resolve_itsp_targets({itsp("itsp.test")}, ItspSelection::DnsSrv, resolver, rng).at(0));
  };
  const auto first = order(7);
  EXPECT_EQ(first.size(), 5u);
  EXPECT_EQ(order(7), first);
  bool differs = false;
  for (std::uint64_t seed = 8; seed < 30 && !differs; ++seed) differs = order(seed) != first;
  EXPECT_TRUE(differs);  // the weights do draw: some seed gives another order
}

// --- The daemon's step: resolve_itsp_names on a parsed configuration. ---

struct CapturedLog {
  CapturedLog() : file(open_memstream(&buffer, &size)) {}
  ~CapturedLog() {
    std::fclose(file);
    std::free(buffer);
  }
  std::string text() {
    std::fflush(file);
    return std::string(buffer, size);
  }
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* file;
};

TEST(DnsResolver, DaemonStepReplacesHostNamesDropsDuplicatesAndKeepsFailuresByName) {
  TestDnsServer dns;
  dns.add_a("itsp.test", "192.0.2.10");
  dns.add_a("alias.test", "192.0.2.10");  // the same proxy under another name
  auto config = parse_config(
      "[sipproxy]\nmode = forward_itsp\n"
      "[sipproxy.itsp_proxy]\ndns_servers = " + dns.address().to_string() + "\n"
      "[sipproxy.itsp_proxy.1]\nenable = 1\nipname = itsp.test\n"
      "[sipproxy.itsp_proxy.2]\nenable = 1\nipname = alias.test\n"
      "[sipproxy.itsp_proxy.3]\nenable = 1\nipname = lan.test\nport = 5070\n"
      "[sipproxy.itsp_proxy.4]\nenable = 1\nipname = 192.0.2.1\n"
      "[sipproxy.itsp_proxy.5]\nenable = 1\nipname = missing.test\n"
      "[sipproxy.lan_hosts.1]\nenable = 1\nname = lan.test\naddress = 10.1.2.3\n",
      "test.ini");
  CapturedLog log;
  Logger logger(LogLevel::Info, log.file);
  resolve_itsp_names(config, logger, 1);
  const auto& targets = config.proxy.itsp.monitor.targets;
  ASSERT_EQ(targets.size(), 4u);
  EXPECT_EQ(targets[0].name, "itsp.test");
  EXPECT_EQ(targets[0].destination.remote, (Address{"192.0.2.10", 5060}));
  EXPECT_EQ(targets[1].name, "lan.test");
  EXPECT_EQ(targets[1].destination.remote, (Address{"10.1.2.3", 5070}));
  EXPECT_EQ(targets[2].destination.remote, (Address{"192.0.2.1", 5060}));
  // The name that did not resolve stays by name: the core resolves it while running.
  EXPECT_EQ(targets[3].destination.remote, (Address{"missing.test", 5060}));
  EXPECT_TRUE(routing::is_unresolved(targets[3]));
  EXPECT_TRUE(needs_name_refresh(config));
  const std::string text = log.text();
  EXPECT_NE(text.find("ITSP proxy alias.test: 192.0.2.10:5060 UDP is already an ITSP proxy"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("error: ITSP proxy missing.test: cannot resolve (DNS A/AAAA): no such "
                      "name (NXDOMAIN); it counts as down and is looked up again"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ITSP proxy lan.test (LAN hosts): 10.1.2.3:5070"), std::string::npos)
      << text;
}

TEST(DnsResolver, DaemonStepWithNothingResolvableKeepsTheNameAndSaysFailureOperation) {
  SilentDnsServer dead;
  auto config = parse_config(
      "[sipproxy]\nmode = sip_trunk\n"
      "[sipproxy.itsp_proxy]\nmode = dnssrv\ndns_timeout_ms = 300\ndns_servers = " +
          dead.address().to_string() + "\n"
          "[sipproxy.itsp_proxy.1]\nenable = 1\nipname = itsp.test\n",
      "test.ini");
  CapturedLog log;
  Logger logger(LogLevel::Info, log.file);
  const auto started = SteadyClock::now();
  resolve_itsp_names(config, logger, 1);
  EXPECT_LT(SteadyClock::now() - started, 1500ms);
  ASSERT_EQ(config.proxy.itsp.monitor.targets.size(), 1u);
  EXPECT_TRUE(routing::is_unresolved(config.proxy.itsp.monitor.targets[0]));
  EXPECT_TRUE(needs_name_refresh(config));  // the core looks it up while running
  const std::string text = log.text();
  EXPECT_NE(text.find("ITSP proxy itsp.test: cannot resolve (DNS SRV _sip._udp.itsp.test): DNS "
                      "timeout"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("runs in failure operation"), std::string::npos) << text;
}

TEST(DnsResolver, DaemonStepDoesNothingInStandaloneMode) {
  SilentDnsServer dead;
  auto config = parse_config("[sipproxy.itsp_proxy]\ndns_servers = " +
                                 dead.address().to_string() +
                                 "\n[sipproxy.itsp_proxy.1]\nenable = 1\nipname = itsp.test\n",
                             "test.ini");
  CapturedLog log;
  Logger logger(LogLevel::Info, log.file);
  resolve_itsp_names(config, logger, 1);
  ASSERT_EQ(config.proxy.itsp.monitor.targets.size(), 1u);
  EXPECT_EQ(config.proxy.itsp.monitor.targets[0].destination.remote.ip, "itsp.test");
  EXPECT_EQ(log.text(), "");
}

// --- The daemon: its OPTIONS probes go to the address DNS gave. ---

class DnsDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    exe_ = daemon_binary();
    if (!exe_) GTEST_SKIP() << "resproxy binary not found; set RESPROXY_BINARY";
    std::string pattern = (fs::temp_directory_path() / "resproxy-dns-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) FAIL() << "mkdtemp failed";
    dir_ = pattern;
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }

  // Starts resproxy on `ini` and waits (bounded) for its readiness line.
  bool start(const std::string& ini) {
    std::ofstream(dir_ / "resproxy.ini") << ini;
    err_ = dir_ / "err";
    std::vector<std::string> args = {*exe_,          "--config",  (dir_ / "resproxy.ini").string(),
                                     "--data-dir",   dir_.string(), "--listen",
                                     "127.0.0.1:0",  "--control", "none"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int err_fd = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (err_fd < 0) return false;
    // The DNS server's thread runs: the child calls only async-signal-safe functions.
    pid_ = fork();
    if (pid_ == 0) {
      if (::dup2(err_fd, STDERR_FILENO) < 0) _exit(127);
      execv(argv[0], argv.data());
      _exit(127);
    }
    ::close(err_fd);
    for (auto waited = 0ms; waited < 10s; waited += 20ms) {
      if (slurp(err_).find("resproxy listening on ") != std::string::npos) return true;
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(20ms);  // a real process: polling its output is the only way
    }
    return false;
  }

  // The first datagram on `fd` within `limit`, or "".
  static std::string receive(int fd, std::chrono::milliseconds limit) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) return "";
    std::array<char, 65536> buf{};
    const auto n = ::recv(fd, buf.data(), buf.size(), 0);
    return n > 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : "";
  }

  std::optional<std::string> exe_;
  fs::path dir_, err_;
  pid_t pid_ = -1;
};

TEST_F(DnsDaemonTest, ProbesTheItspAtTheAddressAndPortOfItsSrvRecord) {
  std::uint16_t itsp_port = 0;
  const int itsp_fd = bind_udp(itsp_port);  // the ITSP proxy: it only has to see the probe
  TestDnsServer dns;
  dns.add_srv("_sip._udp.itsp.test", 10, 0, itsp_port, "sip1.itsp.test");
  dns.add_a("sip1.itsp.test", "127.0.0.1");
  ASSERT_TRUE(start("[sipproxy]\nmode = forward_itsp\n"
                    "[sipproxy.itsp_proxy]\nmode = dnssrv\ndns_servers = " +
                    dns.address().to_string() +
                    "\n[sipproxy.itsp_proxy.1]\nenable = 1\nipname = itsp.test\nport = 1\n"))
      << slurp(err_);
  const std::string probe = receive(itsp_fd, 5000ms);
  ::close(itsp_fd);
  EXPECT_TRUE(probe.starts_with("OPTIONS sip:127.0.0.1:" + std::to_string(itsp_port)))
      << probe << "\n" << slurp(err_);
  EXPECT_NE(slurp(err_).find("ITSP proxy itsp.test (DNS SRV _sip._udp.itsp.test): 127.0.0.1:" +
                             std::to_string(itsp_port)),
            std::string::npos)
      << slurp(err_);
}

TEST_F(DnsDaemonTest, StartsInFailureOperationWhenNoItspNameResolves) {
  SilentDnsServer dead;
  ASSERT_TRUE(start("[sipproxy]\nmode = forward_itsp\n"
                    "[sipproxy.itsp_proxy]\ndns_timeout_ms = 300\ndns_servers = " +
                    dead.address().to_string() +
                    "\n[sipproxy.itsp_proxy.1]\nenable = 1\nipname = itsp.test\n"))
      << slurp(err_);
  const std::string err = slurp(err_);
  EXPECT_NE(err.find("ITSP proxy itsp.test: cannot resolve (DNS A/AAAA): DNS timeout"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("runs in failure operation"), std::string::npos) << err;
}

// --- While running: DnsThread and the daemon's look-ups. ---

NameResolved resolve_on_thread(DnsThread& thread, const std::string& name,
                               RecordKind kind = RecordKind::Address) {
  std::promise<NameResolved> answer;
  auto future = answer.get_future();
  thread.resolve(42, name, [&answer](NameResolved r) { answer.set_value(std::move(r)); }, kind);
  if (future.wait_for(10s) != std::future_status::ready) return NameResolved{.error = NameError::Unsupported};
  return future.get();
}

TEST(DnsThread, AnswersOnItsOwnThreadWithTheIdAndMapsErrors) {
  TestDnsServer dns;
  dns.add_a("itsp.test", "192.0.2.10");
  auto o = options_for(dns.address());
  o.lan_hosts = {LanHost{"backup.test", "198.51.100.7"}};
  DnsThread thread(o);
  auto found = resolve_on_thread(thread, "itsp.test");
  EXPECT_EQ(found.id, 42u);
  EXPECT_EQ(found.error, NameError::None);
  EXPECT_EQ(found.addresses, (std::vector<std::string>{"192.0.2.10"}));
  EXPECT_EQ(found.ttl, 60s);  // the record's TTL, from c-ares
  EXPECT_EQ(resolve_on_thread(thread, "nowhere.test").error, NameError::NotFound);
  EXPECT_EQ(resolve_on_thread(thread, "backup.test").addresses,
            (std::vector<std::string>{"198.51.100.7"}));  // without asking DNS
  SilentDnsServer dead;
  auto silent = options_for(dead.address());
  silent.timeout = 300ms;
  DnsThread slow(silent);
  EXPECT_EQ(resolve_on_thread(slow, "itsp.test").error, NameError::Timeout);
}

TEST(DnsThread, AnswersSrvLookUpsWithTheRecordsAsTheyCame) {
  TestDnsServer dns;
  dns.add_srv("_sip._udp.itsp.test", 10, 60, 5070, "sip1.itsp.test");
  dns.add_srv("_sip._udp.itsp.test", 20, 0, 5060, "sip2.itsp.test");
  DnsThread thread(options_for(dns.address()));
  const NameResolved srv = resolve_on_thread(thread, "_sip._udp.itsp.test", RecordKind::Srv);
  EXPECT_EQ(srv.error, NameError::None);
  EXPECT_TRUE(srv.addresses.empty());
  ASSERT_EQ(srv.services.size(), 2u);
  EXPECT_EQ(srv.services[0], (SrvRecord{10, 60, 5070, "sip1.itsp.test"}));
  EXPECT_EQ(srv.services[1], (SrvRecord{20, 0, 5060, "sip2.itsp.test"}));
  EXPECT_EQ(resolve_on_thread(thread, "_sip._udp.none.test", RecordKind::Srv).error, NameError::NotFound);
}

TEST_F(DnsDaemonTest, FollowsTheItspToItsNewAddressWithoutARestart) {
  std::uint16_t port = 0;
  const int old_fd = bind_udp(port, "127.0.0.2");
  std::uint16_t same_port = port;
  const int new_fd = bind_udp(same_port, "127.0.0.3");
  TestDnsServer dns;
  dns.add_a("itsp.test", "127.0.0.2");
  ASSERT_TRUE(start("[sipproxy]\nmode = forward_itsp\n"
                    "[sipproxy.itsp_proxy]\nprobe_interval_ms = 200\nprobe_interval_down_ms = 200\n"
                    "dns_refresh = 1\ndns_servers = " + dns.address().to_string() +
                    "\n[sipproxy.itsp_proxy.1]\nenable = 1\nipname = itsp.test\nport = " +
                    std::to_string(port) + "\n"))
      << slurp(err_);
  EXPECT_TRUE(receive(old_fd, 5000ms).starts_with("OPTIONS sip:127.0.0.2:" + std::to_string(port)))
      << slurp(err_);
  dns.replace_a("itsp.test", "127.0.0.3");
  const std::string moved = receive(new_fd, 8000ms);
  ::close(old_fd);
  ::close(new_fd);
  EXPECT_TRUE(moved.starts_with("OPTIONS sip:127.0.0.3:" + std::to_string(port))) << moved << "\n" << slurp(err_);
}

}  // namespace
}  // namespace resproxy::native
