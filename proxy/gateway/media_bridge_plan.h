#pragma once
// MediaBridgePlan: what a runtime's table of media bridges does with one MediaBridge card command
// (card.h) — the one definition of that behaviour, which the native data path
// (proxy/native/media_bridge.h) and the ns-3 one (model/media_bridges.h) each perform with their
// own sockets. Fed by the runtime with the command and what its table holds; emits a plan.
//
// For the command's (span, call):
//   - rtp_port 0: close the call's bridge (the gateway unbridges; CallReleased does the same
//     through the runtime's close()).
//   - a payload type that is not G.711 (media::BridgeCore::law_of): refused, and the call's bridge
//     closed — the gateway offers G.711 only, anything else cannot reach a line.
//   - the call already bridged on that port: update it (183 then 200, a re-INVITE: new remote,
//     law and telephone-event, the same stream).
//   - otherwise: close the call's bridge on another port; close the bridge another call still
//     holds on that port (ports are the gateway's to hand out, GatewayNode's pool: such a bridge
//     is stale); then refuse when the table is at its limit, else open. The closes come first, so
//     a replacement within the limit still opens.
// A runtime that cannot bind the port to open refuses too, and counts it like any refusal.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

#include "proxy/base/net.h"
#include "proxy/gateway/card.h"
#include "proxy/media/bridge_core.h"

namespace resproxy::gateway {

// A table with no limit of its own (the ns-3 runtime's default).
inline constexpr std::size_t kUnlimitedMediaBridges = std::numeric_limits<std::size_t>::max();

// What the runtime's table holds, as far as one command is concerned.
struct MediaBridgeTableView {
  // The port of the command's call's bridge; none: the call has no bridge.
  std::optional<std::uint16_t> call_port = std::nullopt;
  // Another call's bridge holds the command's rtp_port. One bridge per port (each binds its
  // port), so this is never the call's own bridge.
  bool port_held_by_other = false;
  std::size_t size = 0;  // bridges open, the two above included
  std::size_t max_bridges = kUnlimitedMediaBridges;
};

enum class MediaBridgeAction : std::uint8_t {
  None,    // nothing after the closes
  Update,  // the call's bridge stays on its port: on_update() with the command's settings
  Open,    // bind the port and open a BridgeCore; a bind that fails is refused (counted)
  Refuse,  // count the command as refused; the call has no bridge
};

// The closes are performed first, in this order, then the action.
struct MediaBridgePlan {
  bool close_call = false;    // the call's own bridge
  bool close_holder = false;  // the stale bridge of another call on the command's rtp_port
  MediaBridgeAction action = MediaBridgeAction::None;
  friend bool operator==(const MediaBridgePlan&, const MediaBridgePlan&) = default;
};

// Total: every command and consistent view gets a plan. The view must count the bridges it
// names (size ≥ the closes); a runtime that hands a smaller size has a corrupt table (checked).
[[nodiscard]] MediaBridgePlan plan_media_bridge(const MediaBridge& command,
                                                const MediaBridgeTableView& table);

// The BridgeCore settings of a command. `remote` is the command's remote_ip:remote_port as the
// runtime's sockets see it, or none when it is not known yet (the core latches): each runtime
// parses the SDP's address its own way (the native one takes IPv6 too), so it translates that.
[[nodiscard]] media::BridgeSettings to_bridge_settings(const MediaBridge& command,
                                                       std::optional<Address> remote);

}  // namespace resproxy::gateway
