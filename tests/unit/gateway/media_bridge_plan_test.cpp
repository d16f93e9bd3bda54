// MediaBridgePlan: what a runtime's bridge table does with each MediaBridge command — close, update,
// reopen on a new port, close a stale holder of the port, refuse at the limit and for non-G.711.
#include "proxy/gateway/media_bridge_plan.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <ostream>

namespace resproxy::gateway {

// GoogleTest prints plans by argument-dependent lookup.
void PrintTo(const MediaBridgePlan& plan, std::ostream* os) {
  constexpr const char* kActions[] = {"None", "Update", "Open", "Refuse"};
  *os << "{close_call=" << plan.close_call << " close_holder=" << plan.close_holder
      << " action=" << kActions[static_cast<int>(plan.action)] << "}";
}

namespace {

constexpr std::uint16_t kPort = 40000;
constexpr std::uint16_t kOtherPort = 40002;
constexpr std::uint8_t kG729 = 18;  // RFC 3551 §6: a payload type the gateway never offers

MediaBridge bridge_on(std::uint16_t rtp_port, std::uint8_t payload_type = media::kPayloadTypePcma) {
  return MediaBridge{.call = 7, .rtp_port = rtp_port, .remote_ip = "192.0.2.10",
                     .remote_port = 30000, .payload_type = payload_type};
}

constexpr MediaBridgePlan plan(bool close_call, bool close_holder, MediaBridgeAction action) {
  return {.close_call = close_call, .close_holder = close_holder, .action = action};
}

TEST(MediaBridgePlan, PortZeroClosesTheCallsBridgeAndNothingElse) {
  EXPECT_EQ(plan_media_bridge(bridge_on(0), {.call_port = kPort, .size = 3, .max_bridges = 3}),
            plan(true, false, MediaBridgeAction::None));
}

TEST(MediaBridgePlan, PortZeroForACallWithoutABridgeDoesNothing) {
  EXPECT_EQ(plan_media_bridge(bridge_on(0), {.size = 2, .max_bridges = 2}),
            plan(false, false, MediaBridgeAction::None));
}

TEST(MediaBridgePlan, NonG711IsRefusedAndClosesTheCallsBridge) {
  EXPECT_EQ(plan_media_bridge(bridge_on(kPort, kG729), {.call_port = kPort, .size = 1}),
            plan(true, false, MediaBridgeAction::Refuse));
}

TEST(MediaBridgePlan, NonG711ForACallWithoutABridgeIsRefusedAndLeavesThePortsHolderAlone) {
  EXPECT_EQ(plan_media_bridge(bridge_on(kPort, kG729), {.port_held_by_other = true, .size = 1}),
            plan(false, false, MediaBridgeAction::Refuse));
}

TEST(MediaBridgePlan, PcmuOpensLikePcma) {
  EXPECT_EQ(plan_media_bridge(bridge_on(kPort, media::kPayloadTypePcmu), {}),
            plan(false, false, MediaBridgeAction::Open));
}

TEST(MediaBridgePlan, TheSamePortAgainUpdatesTheBridgeInsteadOfReopeningIt) {
  // At the limit too: an update opens nothing.
  EXPECT_EQ(plan_media_bridge(bridge_on(kPort), {.call_port = kPort, .size = 4, .max_bridges = 4}),
            plan(false, false, MediaBridgeAction::Update));
}

TEST(MediaBridgePlan, TheSamePortWithANewG711LawIsStillAnUpdate) {
  EXPECT_EQ(plan_media_bridge(bridge_on(kPort, media::kPayloadTypePcmu),
                              {.call_port = kPort, .size = 1}),
            plan(false, false, MediaBridgeAction::Update));
}

TEST(MediaBridgePlan, ANewPortForABridgedCallClosesTheOldBridgeThenOpens) {
  EXPECT_EQ(plan_media_bridge(bridge_on(kOtherPort), {.call_port = kPort, .size = 1}),
            plan(true, false, MediaBridgeAction::Open));
}

TEST(MediaBridgePlan, APortHeldByAnotherCallClosesThatStaleBridgeThenOpens) {
  EXPECT_EQ(plan_media_bridge(bridge_on(kPort), {.port_held_by_other = true, .size = 1}),
            plan(false, true, MediaBridgeAction::Open));
}

TEST(MediaBridgePlan, ANewPortHeldByAnotherCallClosesBothBridgesThenOpens) {
  EXPECT_EQ(plan_media_bridge(bridge_on(kOtherPort),
                              {.call_port = kPort, .port_held_by_other = true, .size = 2}),
            plan(true, true, MediaBridgeAction::Open));
}

TEST(MediaBridgePlan, ANewCallAtTheLimitIsRefused) {
  EXPECT_EQ(plan_media_bridge(bridge_on(kPort), {.size = 2, .max_bridges = 2}),
            plan(false, false, MediaBridgeAction::Refuse));
}

TEST(MediaBridgePlan, ANewCallBelowTheLimitOpens) {
  EXPECT_EQ(plan_media_bridge(bridge_on(kPort), {.size = 1, .max_bridges = 2}),
            plan(false, false, MediaBridgeAction::Open));
}

TEST(MediaBridgePlan, ACallMovingToANewPortAtTheLimitStillOpensAfterItsOldBridgeCloses) {
  EXPECT_EQ(plan_media_bridge(bridge_on(kOtherPort),
                              {.call_port = kPort, .size = 2, .max_bridges = 2}),
            plan(true, false, MediaBridgeAction::Open));
}

TEST(MediaBridgePlan, ANewCallAtTheLimitStillOpensAfterTheStaleHolderOfItsPortCloses) {
  EXPECT_EQ(plan_media_bridge(bridge_on(kPort),
                              {.port_held_by_other = true, .size = 2, .max_bridges = 2}),
            plan(false, true, MediaBridgeAction::Open));
}

TEST(MediaBridgePlan, TheClosesHappenEvenWhenTheTableStaysAtItsLimit) {
  // Out of reach of a table that kept to its limit; the plan is total: the closes still come.
  EXPECT_EQ(plan_media_bridge(bridge_on(kOtherPort),
                              {.call_port = kPort, .size = 3, .max_bridges = 2}),
            plan(true, false, MediaBridgeAction::Refuse));
}

TEST(MediaBridgePlan, ALimitOfZeroRefusesEveryOpen) {
  EXPECT_EQ(plan_media_bridge(bridge_on(kPort), {.max_bridges = 0}),
            plan(false, false, MediaBridgeAction::Refuse));
}

TEST(MediaBridgePlan, TheDefaultLimitIsNone) {
  EXPECT_EQ(plan_media_bridge(bridge_on(kPort), {.size = 1'000'000}),
            plan(false, false, MediaBridgeAction::Open));
}

TEST(MediaBridgePlanDeathTest, AViewThatDoesNotCountTheBridgesItNamesIsARuntimeBugAndStops) {
  EXPECT_DEATH((void)plan_media_bridge(bridge_on(kOtherPort),
                                       {.call_port = kPort, .port_held_by_other = true, .size = 1}),
               "table.size >= closing");
}

TEST(MediaBridgeSettings, CarryTheCommandsPayloadTypesAndTheRuntimesRemote) {
  MediaBridge command = bridge_on(kPort, media::kPayloadTypePcmu);
  command.telephone_event = 101;
  command.telephone_event_rx = 96;
  const media::BridgeSettings settings =
      to_bridge_settings(command, Address{"192.0.2.10", 30000});
  EXPECT_EQ(settings.remote, (Address{"192.0.2.10", 30000}));
  EXPECT_EQ(settings.payload_type, media::kPayloadTypePcmu);
  EXPECT_EQ(settings.telephone_event, std::optional<std::uint8_t>(101));
  EXPECT_EQ(settings.telephone_event_rx, std::optional<std::uint8_t>(96));
  EXPECT_EQ(to_bridge_settings(command, std::nullopt).remote, std::nullopt)
      << "no remote from the runtime: the core latches";
}

}  // namespace
}  // namespace resproxy::gateway
