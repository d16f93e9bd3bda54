#pragma once
// What the PRI card (user side) and the exchange's network span share about one E1 interface
// (ITU-T G.704 framing, Q.931 §4.5.13 channel numbering, §5.5 restart procedures): which time
// slots are B-channels, how a RESTART / RESTART ACKNOWLEDGE names channels, and small message
// helpers. Pure functions; no state.
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "proxy/gateway/card.h"
#include "sim_hardware/q931/message.h"

namespace resproxy::pri {

// Time slot 0 carries framing, time slot 16 the D-channel: the 30 B-channels of an E1 are
// 1-15 and 17-31 (Q.931 §4.5.13 note: channel number = time slot number on 2048 kbit/s).
inline constexpr std::array<std::uint16_t, 30> kE1BChannels = {
    1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
inline constexpr std::uint16_t kE1ChannelSlots = 32;  // indexable by time slot 0..31
[[nodiscard]] constexpr bool is_e1_b_channel(unsigned channel) {
  return channel >= 1 && channel <= 31 && channel != 16;
}

// The lowest B-channel for which `is_free` holds, or with `highest` the highest (the two ends of
// a PRI hunt from opposite ends, so they meet last).
template <class IsFree>
[[nodiscard]] std::optional<std::uint16_t> hunt_b_channel(bool highest, IsFree&& is_free) {
  if (highest) {
    for (auto it = kE1BChannels.rbegin(); it != kE1BChannels.rend(); ++it) {
      if (is_free(*it)) return *it;
    }
    return std::nullopt;
  }
  for (std::uint16_t ch : kE1BChannels) {
    if (is_free(ch)) return ch;
  }
  return std::nullopt;
}

// The call reference as the other side uses it: the same value, the flag inverted (§4.3).
[[nodiscard]] q931::CallReference inverted(q931::CallReference reference);

// The global call reference (§4.3, §5.5.1): value 0, two octets on a PRI.
[[nodiscard]] q931::CallReference global_call_reference();

// Progress indicator 8 (in-band information now available) is among the message's (§4.5.23).
[[nodiscard]] bool has_in_band_information(const q931::Message& message);

// A RESTART or RESTART ACKNOWLEDGE (§3.4.1, §3.4.2) on the global call reference: for the
// channels named (restart class 0, "indicated channels", with a Channel identification naming
// them, exclusive), or for the whole interface when `channels` is empty (class 7, "all
// interfaces": the interface this D-channel controls — the only one on a single E1, so the
// Channel identification is absent; class 6 "single interface" would need an interface
// identifier, which only non-associated signalling uses).
[[nodiscard]] q931::Message restart_message(q931::MessageType type,
                                            const std::vector<std::uint16_t>& channels);

// What a received RESTART (or RESTART ACKNOWLEDGE) names: the channels, ascending, or an empty
// vector for the whole interface (classes 6 and 7). nullopt when it names a channel this E1 does
// not have, a channel type other than B or a slot map: the receiver answers STATUS with cause
// 82 (identified channel does not exist, §5.5.2) — from the wire: untrusted.
[[nodiscard]] std::optional<std::vector<std::uint16_t>> restarted_channels(
    const q931::Message& message);

// Q.850 cause between the Q.931 IE and the gateway's vocabulary (same values, same locations).
[[nodiscard]] gateway::Cause to_gateway(const q931::Cause& cause);
[[nodiscard]] q931::Cause to_q931(const gateway::Cause& cause);

// Party numbers between the Q.931 IEs (§4.5.8, §4.5.10) and the gateway's vocabulary. A calling
// party number with presentation "restricted" is `restricted`; "not available" or no IE at all
// is `available == false`.
[[nodiscard]] gateway::PartyNumber to_party_number(
    const std::optional<q931::CallingPartyNumber>& number);
[[nodiscard]] gateway::PartyNumber to_party_number(
    const std::optional<q931::CalledPartyNumber>& number);
[[nodiscard]] std::optional<q931::CallingPartyNumber> to_calling_party_number(
    const gateway::PartyNumber& number, q931::ScreeningIndicator screening);
[[nodiscard]] q931::CalledPartyNumber to_called_party_number(const gateway::PartyNumber& number);

}  // namespace resproxy::pri
