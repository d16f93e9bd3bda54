#pragma once
// GatewayService: the daemon's PSTN gateway ([gateway], docs/configuration.md): a
// gateway::GatewayNode on a NativeRuntime of its own — its own SIP port, on the proxy's
// io_context and thread — with the emulated cards and exchange of [sim_hardware.*]
// (sim_hardware/host/telephony_host.h) as its CardHost (card_host.h). Without emulated cards the
// runtime hosts none: every call placed fails with 38 (the "no card" contract). The gateway's
// media (its MediaBridge commands) runs on MediaBridges (media_bridge.h) on the same io_context:
// RTP ports bound on the listen address, the emulated lines echoing what they hear.
//
// Not part of resproxy_native: it is compiled into the daemon, which alone links the gateway
// core and the emulators (proxy/native/CMakeLists.txt), so the runtime library knows only
// CardHost.
#include <memory>
#include <span>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "proxy/base/net.h"
#include "proxy/base/rng.h"
#include "proxy/base/trace.h"
#include "proxy/config/daemon_config.h"
#include "proxy/gateway/gateway_node.h"
#include "proxy/native/control_server.h"
#include "proxy/native/runtime.h"

namespace resproxy::telephony {
class TelephonyHost;
}

namespace resproxy::native {

class TelephonyCardHost;
class MediaBridges;

class GatewayService {
 public:
  // `listen_ip`: where the gateway's port is bound; `advertised_ip`: the address in its Contact
  // and SDP; `proxy`: where calls from the PSTN go unless [gateway] proxy says otherwise.
  // Throws std::runtime_error naming the problem if the emulated hardware is refused (a
  // [sim_hardware.*] combination the parser cannot see, e.g. two ports of one name).
  GatewayService(boost::asio::io_context& io, const config::DaemonConfig& config,
                 const std::string& listen_ip, const std::string& advertised_ip,
                 const Address& proxy, Rng& rng, TraceSink& trace);
  ~GatewayService();
  GatewayService(const GatewayService&) = delete;
  GatewayService& operator=(const GatewayService&) = delete;

  // Binds the gateway's port (throws std::runtime_error like NativeRuntime::start) and starts
  // the cards.
  void start();
  void stop();

  [[nodiscard]] Address local_address() const { return runtime_->local_address(); }
  [[nodiscard]] const gateway::GatewayNode& node() const { return *node_; }
  [[nodiscard]] NativeRuntime& runtime() { return *runtime_; }
  [[nodiscard]] MediaBridges& media() { return *media_; }

  // The operator's `pstn` commands (resproxyctl; docs/gateway.md "Calls from the PSTN on
  // demand"), `words` as split by words_of (admin_text.h), words[0] == "pstn":
  //   pstn call FROM TO [hold S] [patience S]   the emulated exchange's subscriber FROM (a
  //       number, or `withheld`) calls the office's number TO (a DDI or a line's number) now;
  //       answers "call ID" (the exchange's call id), and the cause at once if it was refused
  //   pstn calls                                 the exchange's call records, one a line
  // The emulators are the daemon's, not the core's: this is native-side, not an AdminCommand.
  // An error reply when the daemon has no emulated hardware. Call on the io_context's thread.
  [[nodiscard]] ControlReply pstn_command(std::span<const std::string_view> words);

 private:
  std::unique_ptr<telephony::TelephonyHost> host_;
  std::unique_ptr<TelephonyCardHost> cards_;
  std::unique_ptr<gateway::GatewayNode> node_;
  std::unique_ptr<MediaBridges> media_;  // outlives the runtime that feeds it
  std::unique_ptr<NativeRuntime> runtime_;
};

}  // namespace resproxy::native
