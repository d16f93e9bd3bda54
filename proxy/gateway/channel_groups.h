#pragma once
// The gateway's side of channel bookkeeping: which card spans form which channel group, which
// channel carries which call, and hunting a free channel for an outgoing call. Fed by the
// gateway's call state machine (seize before PlaceCall, occupy on IncomingCall, release on
// CallReleased) and by card events (SpanInfo at start-up, SpanState alarms); emits nothing.
//
// Choices (tests in tests/unit/gateway/channel_groups_test.cpp):
//   - A group's channels are ordered by its configured spans (in the order listed), then by
//     channel number. LowestFree takes the first free one, HighestFree the last, RoundRobin the
//     first after the one it last seized in that group, wrapping. LowestFree is the default
//     because the exchange hunts from the highest channel down: both ends rarely pick the same
//     channel at the same moment (glare).
//   - The emergency reserve is a count, not particular channels: an ordinary call is admitted
//     only if, after it, at least `emergency_reserve` of the group's usable channels (on spans
//     without alarm) are still free. Emergency calls may take the last free channel.
//   - A channel's state is derived: Blocked while its span is in alarm, whatever it carries;
//     otherwise Outgoing/Incoming while it carries a call, Idle when free. A call on a span that
//     goes into alarm stays recorded until release(): clearing it is the caller's job.
//   - in_use() counts the group's channels carrying a call (also on spans in alarm, until they
//     are released); usable() the group's channels on spans without alarm.
//   - A span listed in several groups belongs to the first; of two groups with one name, the
//     first counts.
//   - Glare on a channel (the card presents a call on a channel we seized): the presented call
//     takes the channel, since the network's call wins a collision (Q.931 §5.7) and the card
//     clears ours with cause 44; channel_of() no longer finds ours.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/gateway/card.h"

namespace resproxy::gateway {

enum class HuntPolicy : std::uint8_t { LowestFree, HighestFree, RoundRobin };

struct ChannelGroupConfig {
  std::string name;
  std::vector<SpanId> spans;
  HuntPolicy hunt = HuntPolicy::LowestFree;
  std::size_t emergency_reserve = 0;         // channels ordinary calls leave free
  bool reserve_applies_to_incoming = true;   // ordinary incoming calls respect it too
};

enum class ChannelState : std::uint8_t { Idle, Outgoing, Incoming, Blocked /*span in alarm*/ };

class ChannelGroups {
 public:
  explicit ChannelGroups(std::vector<ChannelGroupConfig> groups);

  // A span the card reported at start-up. Spans in no group are recorded but unusable. Adding a
  // span again replaces its channel list; channels it keeps keep their calls.
  void add_span(const SpanInfo& span);

  // alarm != None: all the span's channels Blocked (their calls are the caller's to clear);
  // None: back to Idle where free. Remembered for spans not yet added.
  void set_alarm(SpanId span, Alarm alarm);

  // Hunts a free channel for an outgoing call in `group`; ordinary calls leave
  // `emergency_reserve` channels free (counted over the whole group's usable channels). nullopt:
  // none, or no such group (the caller answers 34 and may re-present). Records the call on it.
  [[nodiscard]] std::optional<ChannelId> seize(std::string_view group, LineCallId call,
                                               bool emergency);

  // A call the card presented on `channel`: records it. False: the gateway clears it with 34 —
  // an ordinary call that would cut into its group's reserve (when the reserve applies to
  // incoming calls; still recorded until release()), or a channel of a span in no group (recorded
  // too), or a channel the card never reported (not recorded).
  [[nodiscard]] bool occupy(ChannelId channel, LineCallId call, bool emergency);

  // The channel is free again (CallReleased). Idempotent; unknown channels are ignored.
  void release(ChannelId channel);

  // The channel carrying `call` on `span`, if recorded. Look it up when the call ends: a call
  // this class never recorded, or lost to glare, has none.
  [[nodiscard]] std::optional<ChannelId> channel_of(SpanId span, LineCallId call) const;

  [[nodiscard]] std::size_t in_use(std::string_view group) const;
  [[nodiscard]] std::size_t usable(std::string_view group) const;
  [[nodiscard]] std::optional<std::string> group_of(SpanId span) const;

  struct ChannelView {
    ChannelId channel;
    std::string group;  // empty: a span in no group
    ChannelState state = ChannelState::Idle;
    std::optional<LineCallId> call;
  };
  // Every channel of every added span, ordered by span, channel.
  [[nodiscard]] std::vector<ChannelView> channels() const;

 private:
  struct Channel {
    std::optional<LineCallId> call;
    bool incoming = false;
  };
  struct Group {
    ChannelGroupConfig config;
    std::optional<ChannelId> last_seized;  // RoundRobin continues after it
  };

  [[nodiscard]] std::optional<std::size_t> find_group(std::string_view name) const;
  // The group's channels on spans without alarm, in hunting order.
  [[nodiscard]] std::vector<ChannelId> usable_channels(const Group& group) const;
  [[nodiscard]] std::size_t free_count(const std::vector<ChannelId>& usable) const;
  [[nodiscard]] bool in_alarm(SpanId span) const { return alarms_.contains(span); }
  [[nodiscard]] ChannelState state_of(ChannelId id, const Channel& channel) const;
  void record(ChannelId id, Channel& channel, LineCallId call, bool incoming);
  void forget_call(ChannelId id, Channel& channel);

  std::vector<Group> groups_;
  std::map<SpanId, std::size_t> group_of_span_;  // index into groups_
  std::map<ChannelId, Channel> channels_;        // every channel of every added span
  std::map<SpanId, Alarm> alarms_;               // spans in alarm only
  std::map<std::pair<SpanId, LineCallId>, std::uint16_t> call_index_;  // (span, call) → channel
};

}  // namespace resproxy::gateway
