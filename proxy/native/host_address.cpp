#include "proxy/native/host_address.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <bit>
#include <fstream>
#include <string>
#include <map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>

namespace resproxy::native {

std::string primary_outbound_ipv4() {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::udp::socket socket(io);
  boost::system::error_code ec;
  socket.open(asio::ip::udp::v4(), ec);
  if (!ec) socket.connect({asio::ip::make_address_v4("192.0.2.1"), 9}, ec);
  if (ec) return "127.0.0.1";
  const auto local = socket.local_endpoint(ec);
  if (ec || local.address().is_unspecified()) return "127.0.0.1";
  return local.address().to_string();
}

std::string choose_advertised_address(const std::string& configured, const std::string& listen_ip) {
  if (!configured.empty()) return configured;
  boost::system::error_code ec;
  const auto listen = boost::asio::ip::make_address(listen_ip, ec);
  if (!ec && !listen.is_unspecified()) return listen_ip;
  return primary_outbound_ipv4();
}

namespace {

// The prefix length of a netmask (contiguous ones, as the kernel keeps them).
int prefix_length(const sockaddr* mask) {
  if (mask == nullptr) return -1;
  int bits = 0;
  const auto* bytes = mask->sa_family == AF_INET
                          ? reinterpret_cast<const unsigned char*>(
                                &reinterpret_cast<const sockaddr_in*>(mask)->sin_addr)
                          : reinterpret_cast<const unsigned char*>(
                                &reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr);
  const int size = mask->sa_family == AF_INET ? 4 : 16;
  for (int i = 0; i < size; ++i) bits += std::popcount(static_cast<unsigned>(bytes[i]));
  return bits;
}

}  // namespace

std::vector<NetInterface> host_interfaces() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return {};
  std::map<std::string, NetInterface> by_name;
  for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_name == nullptr || (a->ifa_flags & IFF_UP) == 0) continue;
    NetInterface& i = by_name[a->ifa_name];
    if (i.name.empty()) {
      i.name = a->ifa_name;
      i.index = ::if_nametoindex(a->ifa_name);
      i.loopback = (a->ifa_flags & IFF_LOOPBACK) != 0;
    }
    if (a->ifa_addr == nullptr) continue;
    const int family = a->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw = family == AF_INET
                          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr)
                          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr);
    if (::inet_ntop(family, raw, text, sizeof text) == nullptr) continue;
    const int length = prefix_length(a->ifa_netmask);
    if (length < 0) continue;
    i.networks.push_back(std::string(text) + "/" + std::to_string(length));
  }
  ::freeifaddrs(list);
  std::vector<NetInterface> out;
  for (auto& [name, i] : by_name) {
    std::sort(i.networks.begin(), i.networks.end());
    out.push_back(std::move(i));
  }
  std::sort(out.begin(), out.end(), [](const NetInterface& a, const NetInterface& b) {
    return a.index < b.index;
  });
  return out;
}

std::string media_ports_overlap_warning(std::uint16_t first, std::uint16_t last) {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned low = 0;
  unsigned high = 0;
  if (!(in >> low >> high) || low > high) return {};
  if (last < low || first > high) return {};
  return "media ports " + std::to_string(first) + "-" + std::to_string(last) +
         " overlap the kernel's ephemeral ports " + std::to_string(low) + "-" + std::to_string(high) +
         " (net.ipv4.ip_local_port_range): another program's socket may hold a port the relay hands "
         "out, and the call given it loses its media; choose ports below " + std::to_string(low) +
         " or narrow the ephemeral range";
}

}  // namespace resproxy::native
