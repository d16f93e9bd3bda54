// libFuzzer target for the emulated PRI card (sim_hardware/pri/pri_card.h) wired to the exchange's
// network span (network_span.h): arbitrary octets into either side's D-channel, the gateway's
// commands, the exchange's requests, layer-1 alarms and time (STYLE.md §9). Each step is one
// byte `op` and one byte of time (the clock moves 0..25.5 s, forwards only):
//   op % 16 == 0 / 1   up to 260 arbitrary octets received by the card / the network span;
//   2                  PlaceCall (a new odd id) on channel (op >> 4) * 2 (0: any channel);
//   3..8               Accept / Alert / Progress / Answer / Clear / SendDigits on a known call;
//   9                  the exchange presents a call; 10 it answers, alerts or clears one of its
//                      calls; 11 it restarts a channel or the interface;
//   12 / 13            the card's / the network's layer-1 alarm becomes (op >> 4) % 4;
//   14                 one frame in flight is delivered (either way); 15 every deadline due fires.
// Invariants: nothing crashes; every frame either side sends decodes; every call the gateway
// placed or the card presented gets at most one CallReleased, and no event after it; ids of
// presented calls are even and new; the exchange gets at most one CallEnded per call.
#include "tests/fuzz/fuzz_check.h"
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <set>
#include <span>
#include <type_traits>
#include <variant>
#include <vector>

#include "sim_hardware/pri/network_span.h"
#include "sim_hardware/pri/pri_card.h"
#include "sim_hardware/q931/codec.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using namespace resproxy;
using namespace resproxy::pri;
using resproxy::fuzz::FuzzInput;

struct Harness {
  PriCard card;
  NetworkSpan network;
  std::deque<Frame> to_network, to_card;
  std::vector<gateway::LineCallId> card_calls;  // ids the gateway knows (placed or presented)
  std::set<gateway::LineCallId> released;
  std::vector<ExchangeCallId> exchange_calls;
  std::set<ExchangeCallId> ended;
  gateway::LineCallId next_odd = 1;

  static gateway::LineCallId call_of(const gateway::CardEvent& e) {
    return std::visit(
        [](const auto& ev) -> gateway::LineCallId {
          using T = std::decay_t<decltype(ev)>;
          if constexpr (std::is_same_v<T, gateway::SpanState> ||
                        std::is_same_v<T, gateway::ChannelsRestarted>) {
            return 0;
          } else {
            return ev.call;
          }
        },
        e);
  }

  void collect() {
    for (Frame& f : card.take_frames()) {
      FUZZ_CHECK(q931::decode(f).has_value());
      to_network.push_back(std::move(f));
    }
    for (Frame& f : network.take_frames()) {
      FUZZ_CHECK(q931::decode(f).has_value());
      to_card.push_back(std::move(f));
    }
    for (const auto& e : card.take_events()) {
      const gateway::LineCallId id = call_of(e);
      if (id != 0) FUZZ_CHECK(!released.contains(id));  // nothing after CallReleased
      if (const auto* in = std::get_if<gateway::IncomingCall>(&e)) {
        FUZZ_CHECK(in->call % 2 == 0);
        FUZZ_CHECK(std::find(card_calls.begin(), card_calls.end(), in->call) == card_calls.end());
        FUZZ_CHECK(is_e1_b_channel(in->channel.channel));
        card_calls.push_back(in->call);
      }
      if (std::holds_alternative<gateway::CallReleased>(e)) released.insert(id);
    }
    for (const auto& e : network.take_events()) {
      if (const auto* in = std::get_if<IncomingSetup>(&e)) exchange_calls.push_back(in->call);
      if (const auto* end = std::get_if<CallEnded>(&e)) {
        FUZZ_CHECK(!ended.contains(end->call));
        ended.insert(end->call);
      }
    }
    FUZZ_CHECK(card.call_count() <= card_calls.size());
  }
};

template <typename T>
T pick(const std::vector<T>& v, std::uint8_t b) {
  return v.empty() ? T{} : v[b % v.size()];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  Harness h;
  TimePoint now{};
  int steps = 0;
  while (!in.empty() && ++steps < 2000) {
    const std::uint8_t op = in.byte();
    now += std::chrono::milliseconds(100 * in.byte());
    const std::uint8_t arg = in.byte();
    switch (op % 16) {
      case 0:
      case 1: {
        const std::string_view bytes = in.bytes(260);
        const std::span octets(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
        if (op % 16 == 0) h.card.on_frame(now, octets);
        else h.network.on_frame(now, octets);
        break;
      }
      case 2: {
        const gateway::LineCallId id = h.next_odd;
        h.next_odd += 2;
        h.card_calls.push_back(id);
        h.card.on_command(now, gateway::PlaceCall{
                                   .call = id,
                                   .channel = {.span = 1, .channel = static_cast<std::uint16_t>(
                                                              (op >> 4) * 2)},
                                   .called = {.digits = "0201234567"},
                                   .calling = {.digits = "1", .restricted = (arg & 1) != 0},
                                   .sending_complete = (arg & 2) == 0});
        break;
      }
      case 3: h.card.on_command(now, gateway::AcceptCall{pick(h.card_calls, arg)}); break;
      case 4:
        h.card.on_command(now, gateway::AlertCall{.call = pick(h.card_calls, arg),
                                                  .inband = (op & 0x10) != 0});
        break;
      case 5: h.card.on_command(now, gateway::ProgressCall{pick(h.card_calls, arg)}); break;
      case 6: h.card.on_command(now, gateway::AnswerCall{pick(h.card_calls, arg)}); break;
      case 7:
        h.card.on_command(now, gateway::ClearCall{.call = pick(h.card_calls, arg),
                                                  .cause = static_cast<std::uint8_t>(op >> 1)});
        break;
      case 8:
        h.card.on_command(now, gateway::SendDigits{.call = pick(h.card_calls, arg),
                                                   .digits = "12",
                                                   .complete = (op & 0x10) != 0});
        break;
      case 9: {
        auto id = h.network.present_call(
            now, {.digits = "2", .restricted = (arg & 1) != 0}, {.digits = "100"},
            (op & 0x10) != 0 ? std::optional<std::uint16_t>(arg % 33) : std::nullopt);
        if (id) h.exchange_calls.push_back(*id);
        break;
      }
      case 10: {
        const ExchangeCallId id = pick(h.exchange_calls, arg);
        switch ((op >> 4) % 5) {
          case 0: (void)h.network.proceed(now, id); break;
          case 1: (void)h.network.alert(now, id, (arg & 1) != 0); break;
          case 2: (void)h.network.progress(now, id); break;
          case 3: (void)h.network.answer(now, id); break;
          default: (void)h.network.clear(now, id, arg & 0x7F, (arg & 0x80) != 0); break;
        }
        break;
      }
      case 11:
        if ((op & 0x10) != 0) h.network.restart(now, {});
        else h.network.restart(now, {static_cast<std::uint16_t>(arg % 33)});
        break;
      case 12: h.card.on_alarm(now, static_cast<gateway::Alarm>((op >> 4) % 4)); break;
      case 13: h.network.on_alarm(now, static_cast<gateway::Alarm>((op >> 4) % 4)); break;
      case 14:
        if ((op & 0x10) != 0 && !h.to_card.empty()) {
          const Frame f = std::move(h.to_card.front());
          h.to_card.pop_front();
          h.card.on_frame(now, f);
        } else if (!h.to_network.empty()) {
          const Frame f = std::move(h.to_network.front());
          h.to_network.pop_front();
          h.network.on_frame(now, f);
        }
        break;
      case 15: {
        const auto a = h.card.next_deadline();
        const auto b = h.network.next_deadline();
        if (a && *a > now) now = *a;
        if (b && *b > now && (!a || (op & 0x10) != 0)) now = *b;
        h.card.on_deadline(now);
        h.network.on_deadline(now);
        break;
      }
    }
    h.collect();
  }
  return 0;
}
