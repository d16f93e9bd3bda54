// A call's m= lines as relay sessions (call_streams.h).
#include "proxy/media/relay/call_streams.h"

#include <span>
#include <utility>
#include <variant>

namespace resproxy::media::relay {

SessionKey stream_key(const CallKey& call, std::size_t index) {
  return SessionKey{call.first, call.second + "/" + std::to_string(index)};
}

bool any_stream_alive(const RelaySessions& sessions, const CallKey& call, const std::vector<bool>& relayed) {
  for (std::size_t i = 0; i < relayed.size(); ++i) {
    if (relayed[i] && sessions.find(stream_key(call, i)) != nullptr) return true;
  }
  return false;
}

void remove_streams(RelaySessions& sessions, TimePoint now, const CallKey& call, const std::vector<bool>& relayed) {
  for (std::size_t i = 0; i < relayed.size(); ++i) {
    if (relayed[i]) (void)sessions.remove(now, stream_key(call, i));
  }
}

std::vector<SessionPorts> add_streams(RelaySessions& sessions, TimePoint now, const CallKey& call,
                                      std::vector<bool>& relayed, Side from,
                                      const std::vector<std::optional<LegMedia>>& media, bool answered) {
  Family a_family = Family::Ipv4;
  Family b_family = Family::Ipv4;
  for (std::size_t i = 0; i < relayed.size(); ++i) {  // each side keeps its family
    if (const auto* s = relayed[i] ? sessions.find(stream_key(call, i)) : nullptr) {
      a_family = s->leg(Side::A).family;
      b_family = s->leg(Side::B).family;
      break;
    }
  }
  std::vector<SessionPorts> added;
  const std::size_t known = relayed.size();
  if (media.size() > known) relayed.resize(media.size(), false);
  for (std::size_t i = known; i < media.size(); ++i) {
    if (!media[i]) continue;
    const auto key = stream_key(call, i);
    Result<SessionPorts, RelayError> ports = unexpected(RelayError::UnknownSession);
    if (from == Side::A) {
      ports = sessions.offer(now, key, *media[i], b_family);
    } else {
      LegMedia waiting;  // A's side comes with the answer
      waiting.family = a_family;
      ports = sessions.offer(now, key, waiting, media[i]->family);
      if (ports) ports = sessions.update(now, key, Side::B, *media[i]);
    }
    if (!ports) {
      (void)sessions.remove(now, key);  // that line goes unrelayed
      continue;
    }
    relayed[i] = true;
    if (answered) (void)sessions.confirm(now, key);
    added.push_back(*ports);
  }
  return added;
}

std::optional<MediaSend> forward(RelaySessions& sessions, TimePoint now, const Address& local, const Address& source,
                                 std::string_view bytes) {
  const std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  auto verdict = sessions.on_packet(now, local, source, data);
  if (auto* f = std::get_if<Forward>(&verdict)) return MediaSend{std::move(f->from), std::move(f->to)};
  return std::nullopt;
}

}  // namespace resproxy::media::relay
