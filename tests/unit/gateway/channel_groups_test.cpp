// Channel groups: hunting policies, the emergency reserve for outgoing and incoming calls, spans
// in alarm, release and look-ups.
#include "proxy/gateway/channel_groups.h"

#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

namespace resproxy::gateway {
namespace {

SpanInfo span(SpanId id, std::uint16_t channel_count) {
  SpanInfo info;
  info.span = id;
  info.name = "span-" + std::to_string(id);
  info.channels.resize(channel_count);
  std::iota(info.channels.begin(), info.channels.end(), std::uint16_t{1});
  return info;
}

ChannelGroupConfig group(std::string name, std::vector<SpanId> spans,
                         HuntPolicy hunt = HuntPolicy::LowestFree, std::size_t reserve = 0) {
  ChannelGroupConfig config;
  config.name = std::move(name);
  config.spans = std::move(spans);
  config.hunt = hunt;
  config.emergency_reserve = reserve;
  return config;
}

// One group "pstn" over spans 1 and 2 of `channels` channels each.
ChannelGroups two_spans(HuntPolicy hunt, std::size_t reserve = 0, std::uint16_t channels = 4) {
  ChannelGroups groups({group("pstn", {1, 2}, hunt, reserve)});
  groups.add_span(span(1, channels));
  groups.add_span(span(2, channels));
  return groups;
}

ChannelId ch(SpanId s, std::uint16_t c) { return ChannelId{s, c}; }

TEST(ChannelGroups, LowestFreeTakesTheFirstFreeChannelInSpanOrder) {
  auto groups = two_spans(HuntPolicy::LowestFree);
  EXPECT_EQ(groups.seize("pstn", 1, false), ch(1, 1));
  EXPECT_EQ(groups.seize("pstn", 3, false), ch(1, 2));
  groups.release(ch(1, 1));
  EXPECT_EQ(groups.seize("pstn", 5, false), ch(1, 1));
}

TEST(ChannelGroups, HighestFreeTakesTheLastFreeChannel) {
  auto groups = two_spans(HuntPolicy::HighestFree);
  EXPECT_EQ(groups.seize("pstn", 1, false), ch(2, 4));
  EXPECT_EQ(groups.seize("pstn", 3, false), ch(2, 3));
}

TEST(ChannelGroups, HuntingOrderFollowsTheConfiguredSpanOrder) {
  ChannelGroups groups({group("pstn", {2, 1})});
  groups.add_span(span(1, 2));
  groups.add_span(span(2, 2));
  EXPECT_EQ(groups.seize("pstn", 1, false), ch(2, 1));
}

TEST(ChannelGroups, RoundRobinContinuesAfterTheLastSeizedChannel) {
  auto groups = two_spans(HuntPolicy::RoundRobin, 0, 2);
  EXPECT_EQ(groups.seize("pstn", 1, false), ch(1, 1));
  groups.release(ch(1, 1));
  EXPECT_EQ(groups.seize("pstn", 3, false), ch(1, 2));  // not 1/1 again, though it is free
  groups.release(ch(1, 2));
  EXPECT_EQ(groups.seize("pstn", 5, false), ch(2, 1));
  EXPECT_EQ(groups.seize("pstn", 7, false), ch(2, 2));
  EXPECT_EQ(groups.seize("pstn", 9, false), ch(1, 1));  // wrapped
  EXPECT_EQ(groups.seize("pstn", 11, false), ch(1, 2));
  EXPECT_EQ(groups.seize("pstn", 13, false), std::nullopt);  // all four busy
}

TEST(ChannelGroups, RoundRobinSkipsBusyChannels) {
  auto groups = two_spans(HuntPolicy::RoundRobin, 0, 2);
  ASSERT_TRUE(groups.occupy(ch(1, 2), 2, false));
  EXPECT_EQ(groups.seize("pstn", 1, false), ch(1, 1));
  EXPECT_EQ(groups.seize("pstn", 3, false), ch(2, 1));  // 1/2 busy with the incoming call
}

TEST(ChannelGroups, ReserveRefusesTheLastOrdinarySeizuresButNotEmergencyCalls) {
  auto groups = two_spans(HuntPolicy::LowestFree, /*reserve=*/2, /*channels=*/2);  // 4 channels
  EXPECT_TRUE(groups.seize("pstn", 1, false).has_value());
  EXPECT_TRUE(groups.seize("pstn", 3, false).has_value());
  EXPECT_EQ(groups.seize("pstn", 5, false), std::nullopt);  // would leave 1 < 2 free
  EXPECT_EQ(groups.seize("pstn", 7, true), ch(2, 1));
  EXPECT_EQ(groups.seize("pstn", 9, true), ch(2, 2));
  EXPECT_EQ(groups.seize("pstn", 11, true), std::nullopt);  // nothing left at all
  EXPECT_EQ(groups.in_use("pstn"), 4U);
}

TEST(ChannelGroups, IncomingOrdinaryCallBeyondTheReserveIsRefusedButRecorded) {
  auto groups = two_spans(HuntPolicy::LowestFree, /*reserve=*/1, /*channels=*/2);  // 4 channels
  EXPECT_TRUE(groups.occupy(ch(2, 2), 2, false));
  EXPECT_TRUE(groups.occupy(ch(2, 1), 4, false));
  EXPECT_TRUE(groups.occupy(ch(1, 2), 6, false));  // leaves 1 free: the reserve, intact
  EXPECT_FALSE(groups.occupy(ch(1, 1), 8, false));  // would cut into it: the gateway answers 34
  EXPECT_EQ(groups.channel_of(1, 8), ch(1, 1));     // recorded until release()
  EXPECT_EQ(groups.in_use("pstn"), 4U);
  groups.release(ch(1, 1));
  EXPECT_TRUE(groups.occupy(ch(1, 1), 10, /*emergency=*/true));
}

TEST(ChannelGroups, IncomingCallsMayIgnoreTheReserveWhenConfigured) {
  auto config = group("pstn", {1}, HuntPolicy::LowestFree, 2);
  config.reserve_applies_to_incoming = false;
  ChannelGroups groups({config});
  groups.add_span(span(1, 2));
  EXPECT_TRUE(groups.occupy(ch(1, 1), 2, false));
  EXPECT_TRUE(groups.occupy(ch(1, 2), 4, false));
}

TEST(ChannelGroups, AlarmBlocksASpanAndHuntingMovesToTheOtherSpan) {
  auto groups = two_spans(HuntPolicy::LowestFree, 0, 2);
  EXPECT_EQ(groups.seize("pstn", 1, false), ch(1, 1));
  groups.set_alarm(1, Alarm::Los);
  EXPECT_EQ(groups.usable("pstn"), 2U);
  EXPECT_EQ(groups.seize("pstn", 3, false), ch(2, 1));
  EXPECT_EQ(groups.seize("pstn", 5, false), ch(2, 2));
  EXPECT_EQ(groups.seize("pstn", 7, false), std::nullopt);  // span 1 is down: 34, re-present

  const auto views = groups.channels();
  ASSERT_EQ(views.size(), 4U);
  EXPECT_EQ(views[0].state, ChannelState::Blocked);
  EXPECT_EQ(views[0].call, std::optional<LineCallId>(1));  // the caller's to clear
  EXPECT_EQ(views[1].state, ChannelState::Blocked);
  EXPECT_EQ(views[2].state, ChannelState::Outgoing);

  groups.release(ch(1, 1));  // the gateway cleared the call on the dead span
  groups.set_alarm(1, Alarm::None);
  EXPECT_EQ(groups.channels()[0].state, ChannelState::Idle);
  EXPECT_EQ(groups.seize("pstn", 9, false), ch(1, 1));
}

TEST(ChannelGroups, AlarmShrinksTheChannelsTheReserveIsCountedOver) {
  auto groups = two_spans(HuntPolicy::LowestFree, /*reserve=*/2, /*channels=*/2);
  groups.set_alarm(2, Alarm::Ais);
  EXPECT_EQ(groups.seize("pstn", 1, false), std::nullopt);  // 2 usable, both reserved
  EXPECT_EQ(groups.seize("pstn", 3, true), ch(1, 1));
}

TEST(ChannelGroups, ReleaseIsIdempotent) {
  auto groups = two_spans(HuntPolicy::LowestFree);
  ASSERT_EQ(groups.seize("pstn", 1, false), ch(1, 1));
  ASSERT_EQ(groups.seize("pstn", 3, false), ch(1, 2));
  groups.release(ch(1, 1));
  groups.release(ch(1, 1));
  groups.release(ch(9, 9));  // never reported: ignored
  EXPECT_EQ(groups.in_use("pstn"), 1U);
  EXPECT_EQ(groups.channel_of(1, 1), std::nullopt);
  EXPECT_EQ(groups.channel_of(1, 3), ch(1, 2));
}

TEST(ChannelGroups, UnknownGroupGivesNoChannel) {
  auto groups = two_spans(HuntPolicy::LowestFree);
  EXPECT_EQ(groups.seize("nope", 1, false), std::nullopt);
  EXPECT_EQ(groups.seize("nope", 1, true), std::nullopt);
  EXPECT_EQ(groups.in_use("nope"), 0U);
  EXPECT_EQ(groups.usable("nope"), 0U);
}

TEST(ChannelGroups, SpansInNoGroupAreUnusable) {
  ChannelGroups groups({group("pstn", {1})});
  groups.add_span(span(1, 1));
  groups.add_span(span(7, 2));
  EXPECT_EQ(groups.group_of(7), std::nullopt);
  EXPECT_EQ(groups.group_of(1), "pstn");
  EXPECT_EQ(groups.usable("pstn"), 1U);
  EXPECT_FALSE(groups.occupy(ch(7, 1), 2, false));  // no group to route it from: 34
  EXPECT_FALSE(groups.occupy(ch(1, 5), 4, false));  // a channel the card never reported
  EXPECT_EQ(groups.channel_of(1, 4), std::nullopt);
  EXPECT_EQ(groups.channels().back().group, "");
}

TEST(ChannelGroups, ChannelsAreListedBySpanThenChannel) {
  ChannelGroups groups({group("b", {3}), group("a", {1})});
  groups.add_span(span(3, 2));
  groups.add_span(span(1, 2));
  ASSERT_TRUE(groups.occupy(ch(3, 2), 2, false));
  const auto views = groups.channels();
  ASSERT_EQ(views.size(), 4U);
  EXPECT_EQ(views[0].channel, ch(1, 1));
  EXPECT_EQ(views[0].group, "a");
  EXPECT_EQ(views[3].channel, ch(3, 2));
  EXPECT_EQ(views[3].group, "b");
  EXPECT_EQ(views[3].state, ChannelState::Incoming);
  EXPECT_EQ(views[3].call, std::optional<LineCallId>(2));
}

// Q.931 call collision: the network's call takes the channel; ours is cleared with 44 by the card.
TEST(ChannelGroups, GlareGivesTheChannelToThePresentedCall) {
  auto groups = two_spans(HuntPolicy::LowestFree);
  ASSERT_EQ(groups.seize("pstn", 1, false), ch(1, 1));
  EXPECT_TRUE(groups.occupy(ch(1, 1), 2, false));
  EXPECT_EQ(groups.channel_of(1, 1), std::nullopt);
  EXPECT_EQ(groups.channel_of(1, 2), ch(1, 1));
  EXPECT_EQ(groups.in_use("pstn"), 1U);
}

TEST(ChannelGroups, ASpanListedInTwoGroupsBelongsToTheFirst) {
  ChannelGroups groups({group("first", {1}), group("second", {1, 2})});
  groups.add_span(span(1, 2));
  groups.add_span(span(2, 2));
  EXPECT_EQ(groups.group_of(1), "first");
  EXPECT_EQ(groups.usable("second"), 2U);
  EXPECT_EQ(groups.seize("second", 1, false), ch(2, 1));
}

}  // namespace
}  // namespace resproxy::gateway
