#include "proxy/native/host_address.h"

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

}  // namespace resproxy::native
