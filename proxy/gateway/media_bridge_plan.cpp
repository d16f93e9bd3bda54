// MediaBridgePlan (media_bridge_plan.h): what a runtime's bridge table does with a MediaBridge.
#include "proxy/gateway/media_bridge_plan.h"

#include <utility>

#include "proxy/base/check.h"

namespace resproxy::gateway {

MediaBridgePlan plan_media_bridge(const MediaBridge& command, const MediaBridgeTableView& table) {
  const bool bridged = table.call_port.has_value();
  if (command.rtp_port == 0) return {.close_call = bridged};
  if (!media::BridgeCore::law_of(command.payload_type)) {
    // A refused command leaves no bridge behind: the old one would go on in the old law.
    return {.close_call = bridged, .action = MediaBridgeAction::Refuse};
  }
  if (table.call_port == command.rtp_port) return {.action = MediaBridgeAction::Update};
  MediaBridgePlan plan{.close_call = bridged, .close_holder = table.port_held_by_other};
  const std::size_t closing = (plan.close_call ? 1 : 0) + (plan.close_holder ? 1 : 0);
  // guaranteed by the runtime: both bridges it names are in its table. Going on with a smaller
  // size would wrap around and refuse every call from here on.
  RESPROXY_CHECK(table.size >= closing);
  plan.action = table.size - closing >= table.max_bridges ? MediaBridgeAction::Refuse
                                                          : MediaBridgeAction::Open;
  return plan;
}

media::BridgeSettings to_bridge_settings(const MediaBridge& command,
                                         std::optional<Address> remote) {
  return media::BridgeSettings{.remote = std::move(remote),
                               .payload_type = command.payload_type,
                               .telephone_event = command.telephone_event,
                               .telephone_event_rx = command.telephone_event_rx};
}

}  // namespace resproxy::gateway
