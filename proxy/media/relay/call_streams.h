#pragma once
// A call's m= lines as RelaySessions sessions, shared by the proxy's built-in relay
// (routing/media_anchor.h) and the ng relay server (ng/ng_server.h): one session per relayed m=
// line, keyed by the call and the line's index, and what both do with them — add the lines a
// re-offer brings, tell whether any line still lives, remove them all, forward a packet.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/base/node.h"
#include "proxy/media/relay/session.h"

namespace resproxy::media::relay {

using CallKey = std::pair<std::string, std::string>;  // Call-ID, the offerer's From tag

// The session of m= line `index`. A tag has no '/' in SIP (RFC 3261 token); one from ng that
// has one cannot make two calls' keys meet either, since the index follows the last '/'.
[[nodiscard]] SessionKey stream_key(const CallKey& call, std::size_t index);

// True while a relayed line of the call still has its session (another line may have timed out).
[[nodiscard]] bool any_stream_alive(const RelaySessions& sessions, const CallKey& call,
                                    const std::vector<bool>& relayed);

// Removes the sessions of every relayed line (their ports go to quarantine).
void remove_streams(RelaySessions& sessions, TimePoint now, const CallKey& call,
                    const std::vector<bool>& relayed);

// The m= lines a re-offer from side `from` adds beyond relayed.size() (video next to the audio):
// `media[i]` is line i as that side wrote it, none where the line is not relayable. Each added
// line gets a session — the offering side's leg from `media`, the other side's from its answer
// (later, through update) — with each side keeping its family; `answered`: the call was
// answered, so inactivity applies at once. `relayed` grows to media.size(); a line without ports
// or an address of its family stays unrelayed. Returns the new sessions' ports, to bind.
[[nodiscard]] std::vector<SessionPorts> add_streams(RelaySessions& sessions, TimePoint now,
                                                    const CallKey& call, std::vector<bool>& relayed,
                                                    Side from,
                                                    const std::vector<std::optional<LegMedia>>& media,
                                                    bool answered);

// A datagram on one of the relay's ports: where it goes (none: dropped).
[[nodiscard]] std::optional<MediaSend> forward(RelaySessions& sessions, TimePoint now, const Address& local,
                                               const Address& source, std::string_view bytes);

}  // namespace resproxy::media::relay
