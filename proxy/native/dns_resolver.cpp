#include "proxy/native/dns_resolver.h"

#include <arpa/inet.h>
#include <ares.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

#include "proxy/security/ip_range.h"

namespace resproxy::native {

std::string_view to_string(DnsError error) {
  switch (error) {
    case DnsError::NotFound: return "no such name (NXDOMAIN)";
    case DnsError::NoRecords: return "no records of the type asked";
    case DnsError::NoUsableAddress: return "no address of a family the SIP socket can reach";
    case DnsError::ServiceUnavailable: return "SRV target \".\": no SIP service at this domain";
    case DnsError::Timeout: return "DNS timeout";
    case DnsError::ServerFailure: return "DNS server failure";
  }
  return "unknown DNS error";
}

AddressFamilies families_for_listen_address(std::string_view listen_ip) {
  if (listen_ip.find(':') == std::string_view::npos) return AddressFamilies::Ipv4;
  const auto ip = security::parse_ip(listen_ip);
  return ip && ip == security::parse_ip("::") ? AddressFamilies::Both : AddressFamilies::Ipv6;
}

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string lower_name(std::string_view name) {
  std::string out(name);
  for (auto& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  while (!out.empty() && out.back() == '.') out.pop_back();  // "example.com." == "example.com"
  return out;
}

bool is_ipv6_text(std::string_view ip) { return ip.find(':') != std::string_view::npos; }

bool family_usable(std::string_view ip, AddressFamilies families) {
  switch (families) {
    case AddressFamilies::Ipv4: return !is_ipv6_text(ip);
    case AddressFamilies::Ipv6: return is_ipv6_text(ip);
    case AddressFamilies::Both: return true;
  }
  return true;
}

DnsError from_ares_status(int status) {
  switch (status) {
    case ARES_ENOTFOUND:
    case ARES_EBADNAME: return DnsError::NotFound;
    case ARES_ENODATA: return DnsError::NoRecords;
    case ARES_ETIMEOUT:
    case ARES_ECANCELLED: return DnsError::Timeout;  // ECANCELLED: our own deadline
    default: return DnsError::ServerFailure;
  }
}

// How bad an error is, to report one for a name whose A and AAAA queries failed differently.
int severity(DnsError error) {
  switch (error) {
    case DnsError::NoRecords: return 0;
    case DnsError::NoUsableAddress: return 1;
    case DnsError::NotFound: return 2;
    case DnsError::ServiceUnavailable: return 3;
    case DnsError::ServerFailure: return 4;
    case DnsError::Timeout: return 5;
  }
  return 0;
}

std::string join(const std::vector<std::string>& items, std::string_view separator = ", ") {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// One query in flight: c-ares calls back with its status and the raw answer.
struct Query {
  int status = ARES_ECANCELLED;
  bool done = false;
  std::vector<unsigned char> answer;
  std::size_t* outstanding = nullptr;
};

void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  auto* q = static_cast<Query*>(arg);
  if (q->done) return;
  q->done = true;
  q->status = status;
  if (status == ARES_SUCCESS && abuf != nullptr && alen > 0) q->answer.assign(abuf, abuf + alen);
  --*q->outstanding;
}

// The smallest TTL of the records read (c-ares gives each address its record's TTL).
void note_ttl(Duration& ttl, int seconds) {
  const Duration d = std::chrono::seconds(std::max(seconds, 0));
  ttl = ttl > Duration::zero() ? std::min(ttl, d) : d;
}

std::vector<std::string> parse_a(const std::vector<unsigned char>& answer, int& status, Duration& ttl) {
  std::vector<std::string> out;
  ares_addrttl ttls[64];
  int count = 64;
  status = ares_parse_a_reply(answer.data(), static_cast<int>(answer.size()), nullptr, ttls, &count);
  if (status != ARES_SUCCESS) return out;
  for (int i = 0; i < count; ++i) {
    char text[INET_ADDRSTRLEN] = {};
    if (inet_ntop(AF_INET, &ttls[i].ipaddr, text, sizeof text)) out.emplace_back(text);
    note_ttl(ttl, ttls[i].ttl);
  }
  if (out.empty()) status = ARES_ENODATA;
  return out;
}

std::vector<std::string> parse_aaaa(const std::vector<unsigned char>& answer, int& status, Duration& ttl) {
  std::vector<std::string> out;
  ares_addr6ttl ttls[64];
  int count = 64;
  status =
      ares_parse_aaaa_reply(answer.data(), static_cast<int>(answer.size()), nullptr, ttls, &count);
  if (status != ARES_SUCCESS) return out;
  for (int i = 0; i < count; ++i) {
    char text[INET6_ADDRSTRLEN] = {};
    if (inet_ntop(AF_INET6, &ttls[i].ip6addr, text, sizeof text)) out.emplace_back(text);
    note_ttl(ttl, ttls[i].ttl);
  }
  if (out.empty()) status = ARES_ENODATA;
  return out;
}

std::vector<routing::SrvRecord> parse_srv(const std::vector<unsigned char>& answer, int& status) {
  std::vector<routing::SrvRecord> out;
  ares_srv_reply* reply = nullptr;
  status = ares_parse_srv_reply(answer.data(), static_cast<int>(answer.size()), &reply);
  if (status != ARES_SUCCESS) return out;
  for (const ares_srv_reply* r = reply; r != nullptr; r = r->next) {
    routing::SrvRecord record;
    record.priority = r->priority;
    record.weight = r->weight;
    record.port = r->port;
    record.target = r->host ? lower_name(r->host) : std::string();
    if (record.target.empty()) record.target.push_back('.');  // the root: RFC 2782 "not available"
    out.push_back(std::move(record));
  }
  ares_free_data(reply);
  if (out.empty()) status = ARES_ENODATA;
  return out;
}

}  // namespace

// The c-ares channel and the loop that waits for it.
struct DnsResolver::Channel {
  ares_channel channel = nullptr;

  ~Channel() {
    if (channel) ares_destroy(channel);
  }

  // Runs c-ares until every query has called back or `deadline` passes; then cancels the rest
  // (their callbacks run with ARES_ECANCELLED before this returns).
  void wait(std::size_t& outstanding, SteadyClock::time_point deadline) const {
    while (outstanding > 0) {
      const auto now = SteadyClock::now();
      if (now >= deadline) {
        ares_cancel(channel);
        break;
      }
      ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
      const int bits = ares_getsock(channel, sockets, ARES_GETSOCK_MAXNUM);
      std::vector<pollfd> fds;
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short events = 0;
        if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
        if (events != 0) fds.push_back(pollfd{sockets[i], events, 0});
      }
      const auto left = std::chrono::ceil<std::chrono::microseconds>(deadline - now).count();
      timeval max_wait{static_cast<time_t>(left / 1000000),
                       static_cast<suseconds_t>(left % 1000000)};
      timeval tv{};
      const timeval* wait_for = ares_timeout(channel, &max_wait, &tv);
      const int wait_ms =
          static_cast<int>(wait_for->tv_sec * 1000 + (wait_for->tv_usec + 999) / 1000);
      const int ready = ::poll(fds.data(), fds.size(), wait_ms);
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) {
        ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // c-ares's own timeouts
        continue;
      }
      for (const auto& fd : fds) {
        if (fd.revents == 0) continue;
        const bool readable = (fd.revents & (POLLIN | POLLERR | POLLHUP)) != 0;
        const bool writable = (fd.revents & POLLOUT) != 0;
        ares_process_fd(channel, readable ? fd.fd : ARES_SOCKET_BAD,
                        writable ? fd.fd : ARES_SOCKET_BAD);
      }
    }
  }
};

DnsResolver::DnsResolver(DnsResolverOptions options)
    : options_(std::move(options)), channel_(std::make_unique<Channel>()) {
  // Reference-counted by c-ares; on Linux it only sets up its allocator.
  static const int library = ares_library_init(ARES_LIB_INIT_ALL);
  if (library != ARES_SUCCESS) {
    throw std::runtime_error(std::string("DNS resolver (c-ares): ") + ares_strerror(library));
  }
  // c-ares retries on its own timer (doubling per round); our deadline bounds the whole.
  const auto total_ms = std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout).count());
  ares_options ares{};
  ares.timeout = static_cast<int>(std::max<std::int64_t>(total_ms / 3, 50));
  ares.tries = 2;
  const int status = ares_init_options(&channel_->channel, &ares, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
  if (status != ARES_SUCCESS) {
    throw std::runtime_error(std::string("DNS resolver (c-ares): ") + ares_strerror(status));
  }
  if (!options_.servers.empty()) {
    std::vector<std::string> servers;
    for (const auto& s : options_.servers) servers.push_back(s.to_string());
    const std::string csv = join(servers, ",");
    const int set = ares_set_servers_ports_csv(channel_->channel, csv.c_str());
    if (set != ARES_SUCCESS) {
      throw std::runtime_error("DNS servers " + csv + ": " + ares_strerror(set));
    }
  }
}

DnsResolver::~DnsResolver() = default;

const LanHost* DnsResolver::lan_host(std::string_view name) const {
  const std::string key = lower_name(name);
  for (const auto& host : options_.lan_hosts) {
    if (lower_name(host.name) == key) return &host;
  }
  return nullptr;
}

std::vector<HostResult> DnsResolver::resolve_hosts(std::span<const std::string> names,
                                                   std::vector<Duration>* ttls) {
  std::vector<HostResult> results(names.size(), HostResult(unexpected(DnsError::NoRecords)));
  if (ttls) ttls->assign(names.size(), Duration::zero());
  // Per name: its A and AAAA queries (absent when the table or a literal answered).
  struct Lookup {
    std::unique_ptr<Query> a, aaaa;
  };
  std::vector<Lookup> lookups(names.size());
  std::size_t outstanding = 0;
  const auto deadline = SteadyClock::now() + options_.timeout;
  const auto start = [&](const std::string& name, int type) {
    auto q = std::make_unique<Query>();
    q->outstanding = &outstanding;
    ++outstanding;
    ++queries_sent_;
    ares_query(channel_->channel, name.c_str(), 1 /* C_IN */, type, &on_answer, q.get());
    return q;
  };
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    std::string address;
    if (const LanHost* host = lan_host(name)) {
      address = host->address;
    } else if (security::parse_ip(name)) {
      address = name;
    }
    if (!address.empty()) {
      results[i] = family_usable(address, options_.families)
                       ? HostResult(std::vector<std::string>{address})
                       : HostResult(unexpected(DnsError::NoUsableAddress));
      continue;
    }
    if (options_.families != AddressFamilies::Ipv6) lookups[i].a = start(name, 1 /* T_A */);
    if (options_.families != AddressFamilies::Ipv4) lookups[i].aaaa = start(name, 28 /* T_AAAA */);
  }
  channel_->wait(outstanding, deadline);

  for (std::size_t i = 0; i < names.size(); ++i) {
    auto& l = lookups[i];
    if (!l.a && !l.aaaa) continue;
    std::vector<std::string> addresses;
    std::optional<DnsError> worst;
    const auto note = [&](int status) {
      const DnsError e = from_ares_status(status);
      if (!worst || severity(e) > severity(*worst)) worst = e;
    };
    for (Query* q : {l.a.get(), l.aaaa.get()}) {
      if (!q) continue;
      if (q->status != ARES_SUCCESS) {
        note(q->status);
        continue;
      }
      int status = ARES_SUCCESS;
      Duration ttl{};
      auto got = q == l.a.get() ? parse_a(q->answer, status, ttl) : parse_aaaa(q->answer, status, ttl);
      if (ttls && !got.empty()) {
        Duration& best = (*ttls)[i];
        best = best > Duration::zero() ? std::min(best, ttl) : ttl;
      }
      if (status != ARES_SUCCESS) note(status);
      addresses.insert(addresses.end(), got.begin(), got.end());
    }
    if (!addresses.empty()) {
      results[i] = HostResult(std::move(addresses));
    } else {
      results[i] = HostResult(unexpected(worst.value_or(DnsError::NoRecords)));
    }
  }
  return results;
}

HostResult DnsResolver::resolve_host(const std::string& name, Duration* ttl) {
  std::vector<Duration> ttls;
  auto result = std::move(resolve_hosts(std::span<const std::string>(&name, 1), &ttls).front());
  if (ttl) *ttl = ttls.front();
  return result;
}

std::vector<SrvResult> DnsResolver::query_srv(std::span<const std::string> names) {
  std::vector<std::unique_ptr<Query>> queries;
  std::size_t outstanding = 0;
  const auto deadline = SteadyClock::now() + options_.timeout;
  for (const auto& name : names) {
    auto q = std::make_unique<Query>();
    q->outstanding = &outstanding;
    ++outstanding;
    ++queries_sent_;
    ares_query(channel_->channel, name.c_str(), 1 /* C_IN */, 33 /* T_SRV */, &on_answer, q.get());
    queries.push_back(std::move(q));
  }
  channel_->wait(outstanding, deadline);
  std::vector<SrvResult> results;
  for (const auto& q : queries) {
    if (q->status != ARES_SUCCESS) {
      results.emplace_back(unexpected(from_ares_status(q->status)));
      continue;
    }
    int status = ARES_SUCCESS;
    auto records = parse_srv(q->answer, status);
    if (status != ARES_SUCCESS) {
      results.emplace_back(unexpected(from_ares_status(status)));
    } else {
      results.emplace_back(std::move(records));
    }
  }
  return results;
}

// --- The ITSP proxies. ---

namespace {

routing::ItspTarget make_target(const routing::ItspTarget& configured, const std::string& ip,
                                std::uint16_t port) {
  routing::ItspTarget t;
  t.name = configured.name;
  t.destination = configured.destination;
  t.destination.remote = Address{ip, port};
  t.enabled = configured.enabled;
  return t;
}

// RFC 3263 §4.2, as the core names it when it looks the set up again (itsp_monitor.h).
std::string srv_name(const routing::ItspTarget& t) { return routing::srv_owner(t); }

}  // namespace

std::vector<ItspResolution> resolve_itsp_targets(const std::vector<routing::ItspTarget>& configured,
                                                 routing::ItspSelection selection,
                                                 DnsResolver& resolver, Rng& rng) {
  std::vector<ItspResolution> out(configured.size());
  // Round 1 (mode dnssrv): the SRV records of every host name not in the LAN hosts table.
  std::vector<std::string> srv_names;
  std::vector<std::size_t> srv_of(configured.size(), SIZE_MAX);
  for (std::size_t i = 0; i < configured.size(); ++i) {
    const auto& t = configured[i];
    out[i].name = t.name;
    const std::string& host = t.destination.remote.ip;
    if (security::parse_ip(host)) {
      out[i].source = "address";
      out[i].targets.push_back(t);
      continue;
    }
    // RFC 3263 §4.2 asks for SRV; a LAN hosts entry is an address already (no DNS needed).
    if (selection == routing::ItspSelection::DnsSrv && !resolver.lan_host(host)) {
      srv_of[i] = srv_names.size();
      srv_names.push_back(srv_name(t));
    }
  }
  std::vector<SrvResult> srv_results;
  if (!srv_names.empty()) srv_results = resolver.query_srv(srv_names);

  // The ordered SRV records of each entry (drawn in config order: one Rng sequence per run).
  std::vector<std::vector<routing::SrvRecord>> ordered(configured.size());
  // Round 2: the addresses of every name still needed, each name once.
  std::vector<std::string> host_names;
  std::map<std::string, std::size_t> host_index;
  const auto need = [&](const std::string& name) {
    const std::string key = lower_name(name);
    if (!host_index.contains(key)) {
      host_index.emplace(key, host_names.size());
      host_names.push_back(name);
    }
  };
  std::vector<bool> by_address(configured.size(), false);  // A/AAAA of the ipname itself
  for (std::size_t i = 0; i < configured.size(); ++i) {
    if (!out[i].targets.empty()) continue;
    const auto& t = configured[i];
    const std::string& host = t.destination.remote.ip;
    if (srv_of[i] == SIZE_MAX) {
      out[i].source = resolver.lan_host(host) ? "LAN hosts" : "DNS A/AAAA";
      by_address[i] = true;
      need(host);
      continue;
    }
    const std::string& name = srv_names[srv_of[i]];
    const SrvResult& srv = srv_results[srv_of[i]];
    if (!srv) {
      if (srv.error() == DnsError::NotFound || srv.error() == DnsError::NoRecords) {
        // RFC 3263 §4.2: no SRV records: A/AAAA of the name, with the configured port.
        out[i].source = "DNS A/AAAA (no SRV records at " + name + ")";
        by_address[i] = true;
        need(host);
      } else {
        out[i].source = "DNS SRV " + name;
        out[i].error = srv.error();
      }
      continue;
    }
    out[i].source = "DNS SRV " + name;
    if (routing::says_service_unavailable(*srv)) {
      out[i].error = DnsError::ServiceUnavailable;
      continue;
    }
    ordered[i] = routing::order_srv_records(*srv, rng);
    for (const auto& r : ordered[i]) need(r.target);
  }
  std::vector<HostResult> hosts;
  if (!host_names.empty()) hosts = resolver.resolve_hosts(host_names);
  const auto host_result = [&](const std::string& name) -> const HostResult& {
    return hosts[host_index.at(lower_name(name))];
  };

  for (std::size_t i = 0; i < configured.size(); ++i) {
    auto& r = out[i];
    if (r.error || r.source == "address") continue;
    const auto& t = configured[i];
    if (by_address[i]) {
      const HostResult& addresses = host_result(t.destination.remote.ip);
      if (!addresses) {
        r.error = addresses.error();
        continue;
      }
      // A name DNS answered is looked up again while the daemon runs (proxy_node_dns.cpp); a
      // LAN hosts entry is the operator's word and stays.
      const bool from_dns = !resolver.lan_host(t.destination.remote.ip);
      for (const auto& ip : *addresses) {
        if (r.targets.size() == kMaxTargetsPerName) break;
        r.targets.push_back(make_target(t, ip, t.destination.remote.port));
        if (from_dns) r.targets.back().host = t.destination.remote.ip;
        // dnssrv without SRV records: the core asks for SRV again at each refresh.
        if (from_dns && srv_of[i] != SIZE_MAX) r.targets.back().service = srv_names[srv_of[i]];
      }
      continue;
    }
    std::vector<std::string> notes;
    std::optional<DnsError> first_error;
    for (const auto& record : ordered[i]) {
      std::string note = record.target + ":" + std::to_string(record.port) + " (priority " +
                         std::to_string(record.priority) + ", weight " +
                         std::to_string(record.weight) + ")";
      const HostResult& addresses = host_result(record.target);
      if (record.port == 0) {
        note += " port 0: skipped";
      } else if (!addresses) {
        note += " " + std::string(to_string(addresses.error()));
        if (!first_error) first_error = addresses.error();
      } else {
        std::vector<std::string> used;
        for (const auto& ip : *addresses) {
          if (r.targets.size() == kMaxTargetsPerName) break;
          r.targets.push_back(make_target(t, ip, record.port));
          // One of the SRV set the core looks up again while running (proxy_node_dns.cpp).
          r.targets.back().service = srv_names[srv_of[i]];
          r.targets.back().host = record.target;
          used.push_back(ip);
        }
        note += " -> " + (used.empty() ? std::string("(over the limit)") : join(used));
      }
      notes.push_back(std::move(note));
    }
    r.detail = join(notes, "; ");
    if (r.targets.empty()) r.error = first_error.value_or(DnsError::NoRecords);
  }
  return out;
}

DnsResolverOptions dns_options_for(const DaemonConfig& config) {
  DnsResolverOptions options;
  options.lan_hosts = config.lan_hosts;
  options.servers = config.dns_servers;
  options.timeout = config.dns_timeout;
  options.families = families_for_listen_address(config.listen_address);
  return options;
}

bool needs_name_refresh(const DaemonConfig& config) {
  const auto& monitor = config.proxy.itsp.monitor;
  const bool unresolved = std::any_of(monitor.targets.begin(), monitor.targets.end(),
                                      [](const routing::ItspTarget& t) { return routing::is_unresolved(t); });
  return unresolved ||
         (monitor.dns_refresh > Duration::zero() &&
          std::any_of(monitor.targets.begin(), monitor.targets.end(), [](const routing::ItspTarget& t) {
            return !t.host.empty() || !t.service.empty();
          }));
}

void resolve_itsp_names(DaemonConfig& config, Logger& logger, std::uint64_t seed) {
  auto& targets = config.proxy.itsp.monitor.targets;
  const bool any_name = std::any_of(targets.begin(), targets.end(), [](const auto& t) {
    return !security::parse_ip(t.destination.remote.ip);
  });
  if (!any_name) return;
  const auto mode = config.proxy.mode;
  if (mode != routing::ProxyMode::ForwardItsp && mode != routing::ProxyMode::SipTrunk) {
    logger.debug("ITSP proxy host names are not resolved in mode " +
                 std::string(routing::to_string(mode)));
    return;
  }

  DnsResolverOptions options = dns_options_for(config);
  std::vector<std::string> servers;
  for (const auto& s : options.servers) servers.push_back(s.to_string());
  const auto selection = config.proxy.itsp.monitor.selection;
  logger.info("resolving ITSP proxy names (mode " + std::string(routing::to_string(selection)) +
              "): LAN hosts table (" + std::to_string(options.lan_hosts.size()) +
              " entries), then DNS at " +
              (servers.empty() ? std::string("the system's servers") : join(servers)) +
              ", at most " +
              std::to_string(
                  std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout).count()) +
              " ms per round");
  DnsResolver resolver(std::move(options));
  // Its own stream: the core's Rng (seeded with `seed`) draws exactly what it did before.
  SeededRng rng(seed ^ 0x5352562d6f726465ULL);
  const auto started = std::chrono::steady_clock::now();
  const auto results = resolve_itsp_targets(targets, selection, resolver, rng);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);

  std::vector<routing::ItspTarget> resolved;
  std::set<std::tuple<std::string, std::uint16_t, Transport>> seen;
  for (std::size_t index = 0; index < results.size(); ++index) {
    const auto& r = results[index];
    if (r.error) {
      logger.error("ITSP proxy " + r.name + ": cannot resolve (" + r.source + "): " +
                   std::string(to_string(*r.error)) + (r.detail.empty() ? "" : "; " + r.detail) +
                   "; it counts as down and is looked up again while resproxy runs");
      resolved.push_back(targets[index]);  // by name: the core resolves it (is_unresolved)
      continue;
    }
    std::vector<std::string> used;
    for (const auto& t : r.targets) {
      const auto key = std::make_tuple(t.destination.remote.ip, t.destination.remote.port,
                                       t.destination.transport);
      if (!seen.insert(key).second) {
        logger.warn("ITSP proxy " + r.name + ": " + t.destination.remote.to_string() + " " +
                    std::string(resproxy::to_string(t.destination.transport)) +
                    " is already an ITSP proxy; used once");
        continue;
      }
      used.push_back(t.destination.remote.to_string());
      resolved.push_back(t);
    }
    if (r.source != "address") {
      logger.info("ITSP proxy " + r.name + " (" + r.source + "): " + join(used) +
                  (r.detail.empty() ? "" : " [" + r.detail + "]"));
    }
  }
  logger.info("ITSP proxy names resolved in " + std::to_string(took.count()) + " ms, " +
              std::to_string(resolver.queries_sent()) + " DNS queries: " +
              std::to_string(resolved.size()) + " ITSP proxy addresses");
  if (std::all_of(resolved.begin(), resolved.end(), [](const auto& t) { return routing::is_unresolved(t); })) {
    logger.error("no ITSP proxy address could be resolved: resproxy runs in failure operation "
                 "(every ITSP proxy counts as down) until a look-up while it runs succeeds, or "
                 "it is restarted with a resolvable ipname or a [sipproxy.lan_hosts.N] entry");
  }
  targets = std::move(resolved);
}

}  // namespace resproxy::native
