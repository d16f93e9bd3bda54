// The control front of a sharded relay (ng_shards.h).
#include "proxy/media/ng/ng_shards.h"

#include <algorithm>
#include <set>
#include <utility>

#include "proxy/base/check.h"
#include "proxy/media/ng/ng_message.h"

namespace resproxy::media::ng {

std::size_t shard_of(std::string_view call_id, std::size_t shards) {
  RESPROXY_CHECK(shards > 0);
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : call_id) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return static_cast<std::size_t>(hash % shards);
}

std::vector<relay::PortRange> split_port_range(relay::PortRange range, std::size_t shards) {
  if (shards == 0 || range.max < range.min) return {};
  const std::uint32_t first = (range.min % 2 == 0) ? range.min : range.min + 1u;
  if (first + 1u > range.max) return {};
  const std::uint32_t pairs = (range.max - first + 1u) / 2u;
  const std::uint32_t per = pairs / static_cast<std::uint32_t>(shards);
  if (per == 0) return {};
  std::vector<relay::PortRange> out;
  out.reserve(shards);
  for (std::size_t i = 0; i < shards; ++i) {
    const std::uint32_t lo = first + 2u * per * static_cast<std::uint32_t>(i);
    const std::uint32_t hi = (i + 1 == shards) ? range.max : lo + 2u * per - 1u;
    out.push_back(relay::PortRange{static_cast<std::uint16_t>(lo), static_cast<std::uint16_t>(hi)});
  }
  return out;
}

ControlRoute route_control(std::string_view datagram, std::size_t shards) {
  RESPROXY_CHECK(shards > 0);
  auto message = parse_datagram(datagram);
  if (!message) return {};
  const Value* command = message->dict.find("command");
  if (command != nullptr && command->string() != nullptr &&
      command_from_string(*command->string()) == NgCommand::List) {
    return {.kind = ControlRoute::Kind::All, .shard = 0};
  }
  const Value* call_id = message->dict.find("call-id");
  if (call_id == nullptr || call_id->string() == nullptr || call_id->string()->empty()) return {};
  return {.kind = ControlRoute::Kind::One, .shard = shard_of(*call_id->string(), shards)};
}

ListGather::ListGather(std::size_t shards, NgSigner* signer, ListGatherConfig config)
    : shards_(shards), signer_(signer), config_(config) {
  RESPROXY_CHECK(shards_ > 0);
}

void ListGather::expire(TimePoint now) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now - it->second.started >= config_.timeout) {
      it = pending_.erase(it);
      ++dropped_;
    } else {
      ++it;
    }
  }
}

bool ListGather::begin(TimePoint now, const Address& source, std::string_view datagram) {
  expire(now);
  const auto parts = split_datagram(datagram);
  if (!parts) return false;  // no cookie: the shards would drop it too
  Key key{source, std::string(parts->cookie)};
  if (pending_.contains(key) || pending_.size() >= config_.max_pending) {
    ++dropped_;
    return false;
  }
  Pending p;
  p.started = now;
  if (auto message = parse_datagram(datagram)) {
    if (const Value* limit = message->dict.find("limit"); limit != nullptr && limit->integer() != nullptr &&
                                                          *limit->integer() > 0) {
      p.limit = static_cast<std::size_t>(std::min<std::int64_t>(*limit->integer(), 1'000'000));
    }
  }
  pending_.emplace(std::move(key), std::move(p));
  return true;
}

ListGather::Taken ListGather::take_reply(TimePoint now, Duration since_unix_epoch, const Address& destination,
                                         std::string_view reply) {
  const auto parts = split_datagram(reply);
  if (!parts || pending_.empty()) return {};
  const auto it = pending_.find(Key{destination, std::string(parts->cookie)});
  if (it == pending_.end()) return {};
  it->second.replies.emplace_back(reply);
  Taken taken{.gathered = true, .merged = std::nullopt};
  if (it->second.replies.size() >= shards_) {
    taken.merged = merge(parts->cookie, it->second, since_unix_epoch);
    pending_.erase(it);
  }
  expire(now);
  return taken;
}

std::string ListGather::merge(std::string_view cookie, const Pending& pending, Duration since_unix_epoch) const {
  std::set<std::string, std::less<>> ids;
  bool signed_replies = false;
  for (const auto& reply : pending.replies) {
    auto message = parse_datagram(reply);
    if (!message) return reply;
    const Value* result = message->dict.find("result");
    if (result == nullptr || result->string() == nullptr || *result->string() != "ok") return reply;
    signed_replies = signed_replies || message->dict.contains(kAuthKey);
    if (const Value* calls = message->dict.find("calls"); calls != nullptr && calls->list() != nullptr) {
      for (const Value& id : *calls->list()) {
        if (id.string() != nullptr) ids.insert(*id.string());
      }
    }
  }
  std::vector<std::string> out;
  for (const auto& id : ids) {
    if (out.size() >= pending.limit) break;
    out.push_back(id);
  }
  Dict merged = list_reply(out);
  if (signed_replies && (signer_ == nullptr || !signer_->sign(cookie, merged, since_unix_epoch))) {
    merged = error_reply("Signing failed");
  }
  return build_datagram(cookie, merged);
}

}  // namespace resproxy::media::ng
