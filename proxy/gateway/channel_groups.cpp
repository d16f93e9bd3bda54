#include "proxy/gateway/channel_groups.h"

#include <algorithm>

namespace resproxy::gateway {

ChannelGroups::ChannelGroups(std::vector<ChannelGroupConfig> groups) {
  groups_.reserve(groups.size());
  for (auto& config : groups) {
    const std::size_t index = groups_.size();
    for (SpanId span : config.spans) group_of_span_.try_emplace(span, index);  // first group wins
    groups_.push_back(Group{std::move(config), std::nullopt});
  }
}

void ChannelGroups::add_span(const SpanInfo& span) {
  // from the card: a re-report replaces the list; channels it drops lose their calls
  auto it = channels_.lower_bound(ChannelId{span.span, 0});
  while (it != channels_.end() && it->first.span == span.span) {
    const bool kept = std::find(span.channels.begin(), span.channels.end(), it->first.channel) !=
                      span.channels.end();
    if (kept) {
      ++it;
      continue;
    }
    forget_call(it->first, it->second);
    it = channels_.erase(it);
  }
  for (std::uint16_t channel : span.channels) {
    if (channel == 0) continue;  // 0 is PlaceCall's "any channel", never a bearer
    channels_.try_emplace(ChannelId{span.span, channel});
  }
}

void ChannelGroups::set_alarm(SpanId span, Alarm alarm) {
  if (alarm == Alarm::None) {
    alarms_.erase(span);
  } else {
    alarms_[span] = alarm;
  }
}

std::optional<ChannelId> ChannelGroups::seize(std::string_view group, LineCallId call,
                                              bool emergency) {
  const auto index = find_group(group);
  if (!index) return std::nullopt;
  Group& g = groups_[*index];
  const std::vector<ChannelId> usable = usable_channels(g);
  const std::size_t free = free_count(usable);
  if (free == 0) return std::nullopt;
  // After an ordinary call, `emergency_reserve` usable channels must still be free.
  if (!emergency && free <= g.config.emergency_reserve) return std::nullopt;

  const std::size_t n = usable.size();
  auto is_free = [&](std::size_t i) { return !channels_.at(usable[i]).call.has_value(); };
  std::optional<std::size_t> chosen;
  switch (g.config.hunt) {
    case HuntPolicy::LowestFree:
      for (std::size_t i = 0; i < n && !chosen; ++i) {
        if (is_free(i)) chosen = i;
      }
      break;
    case HuntPolicy::HighestFree:
      for (std::size_t i = n; i > 0 && !chosen; --i) {
        if (is_free(i - 1)) chosen = i - 1;
      }
      break;
    case HuntPolicy::RoundRobin: {
      // Start after the channel seized last, by its place in the hunting order (its span may be
      // in alarm now, so it need not be in `usable`).
      std::size_t start = 0;
      if (g.last_seized) {
        auto position = [&](ChannelId id) {
          const auto& spans = g.config.spans;
          const auto span_at = std::find(spans.begin(), spans.end(), id.span) - spans.begin();
          return std::pair{span_at, id.channel};
        };
        const auto last = position(*g.last_seized);
        while (start < n && position(usable[start]) <= last) ++start;
      }
      for (std::size_t k = 0; k < n && !chosen; ++k) {
        const std::size_t i = (start + k) % n;
        if (is_free(i)) chosen = i;
      }
      break;
    }
  }
  if (!chosen) return std::nullopt;  // unreachable: free > 0
  const ChannelId id = usable[*chosen];
  record(id, channels_.at(id), call, /*incoming=*/false);
  g.last_seized = id;
  return id;
}

bool ChannelGroups::occupy(ChannelId channel, LineCallId call, bool emergency) {
  // from the card: a channel it never reported has no record to hold the call
  const auto it = channels_.find(channel);
  if (it == channels_.end()) return false;
  record(channel, it->second, call, /*incoming=*/true);
  const auto owner = group_of_span_.find(channel.span);
  if (owner == group_of_span_.end()) return false;
  const Group& g = groups_[owner->second];
  if (emergency || !g.config.reserve_applies_to_incoming) return true;
  // Counted after recording: the call just took its channel (or, in glare, one already taken).
  return free_count(usable_channels(g)) >= g.config.emergency_reserve;
}

void ChannelGroups::release(ChannelId channel) {
  const auto it = channels_.find(channel);
  if (it != channels_.end()) forget_call(channel, it->second);
}

std::optional<ChannelId> ChannelGroups::channel_of(SpanId span, LineCallId call) const {
  const auto it = call_index_.find({span, call});
  if (it == call_index_.end()) return std::nullopt;
  return ChannelId{span, it->second};
}

std::size_t ChannelGroups::in_use(std::string_view group) const {
  const auto index = find_group(group);
  if (!index) return 0;
  std::size_t count = 0;
  for (const auto& [id, channel] : channels_) {
    const auto owner = group_of_span_.find(id.span);
    if (owner != group_of_span_.end() && owner->second == *index && channel.call) ++count;
  }
  return count;
}

std::size_t ChannelGroups::usable(std::string_view group) const {
  const auto index = find_group(group);
  return index ? usable_channels(groups_[*index]).size() : 0;
}

std::optional<std::string> ChannelGroups::group_of(SpanId span) const {
  const auto owner = group_of_span_.find(span);
  if (owner == group_of_span_.end()) return std::nullopt;
  return groups_[owner->second].config.name;
}

std::vector<ChannelGroups::ChannelView> ChannelGroups::channels() const {
  std::vector<ChannelView> out;
  out.reserve(channels_.size());
  for (const auto& [id, channel] : channels_) {
    const auto owner = group_of_span_.find(id.span);
    out.push_back(ChannelView{
        .channel = id,
        .group = owner == group_of_span_.end() ? std::string() : groups_[owner->second].config.name,
        .state = state_of(id, channel),
        .call = channel.call,
    });
  }
  return out;
}

std::optional<std::size_t> ChannelGroups::find_group(std::string_view name) const {
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    if (groups_[i].config.name == name) return i;
  }
  return std::nullopt;
}

std::vector<ChannelId> ChannelGroups::usable_channels(const Group& group) const {
  std::vector<ChannelId> out;
  const auto& spans = group.config.spans;
  for (std::size_t s = 0; s < spans.size(); ++s) {
    const SpanId span = spans[s];
    // Only the spans this group owns (the first group listing a span), each once.
    const auto owner = group_of_span_.find(span);
    if (owner == group_of_span_.end() || &groups_[owner->second] != &group) continue;
    if (std::find(spans.begin(), spans.begin() + static_cast<std::ptrdiff_t>(s), span) !=
        spans.begin() + static_cast<std::ptrdiff_t>(s)) {
      continue;
    }
    if (in_alarm(span)) continue;
    for (auto it = channels_.lower_bound(ChannelId{span, 0});
         it != channels_.end() && it->first.span == span; ++it) {
      out.push_back(it->first);
    }
  }
  return out;
}

std::size_t ChannelGroups::free_count(const std::vector<ChannelId>& usable) const {
  return static_cast<std::size_t>(std::count_if(usable.begin(), usable.end(), [&](ChannelId id) {
    return !channels_.at(id).call.has_value();
  }));
}

ChannelState ChannelGroups::state_of(ChannelId id, const Channel& channel) const {
  if (in_alarm(id.span)) return ChannelState::Blocked;
  if (!channel.call) return ChannelState::Idle;
  return channel.incoming ? ChannelState::Incoming : ChannelState::Outgoing;
}

void ChannelGroups::record(ChannelId id, Channel& channel, LineCallId call, bool incoming) {
  forget_call(id, channel);  // glare: the presented call replaces ours (see the header)
  channel.call = call;
  channel.incoming = incoming;
  call_index_[{id.span, call}] = id.channel;
}

void ChannelGroups::forget_call(ChannelId id, Channel& channel) {
  if (!channel.call) return;
  const auto it = call_index_.find({id.span, *channel.call});
  if (it != call_index_.end() && it->second == id.channel) call_index_.erase(it);
  channel.call.reset();
  channel.incoming = false;
}

}  // namespace resproxy::gateway
