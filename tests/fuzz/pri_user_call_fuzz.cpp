// libFuzzer target for the PRI card's user-side call control (sim_hardware/pri/user_call.h):
// bytes and time (STYLE.md §9). The first byte picks the origin (outgoing or incoming); then each
// step is one byte `op` and one byte of time (the clock moves 0..25.5 s, forwards only):
//   op % 10 == 0  a message from the network: up to 260 bytes through decode(), on this call's
//                 call reference when op & 0x10 (else on whatever the bytes say);
//   1..8          the owner's requests: setup, information, proceeding, alerting, connect,
//                 reject, disconnect, release (a B-channel from op >> 4 where one is taken);
//   9             the running timer fires at its deadline.
// Invariants: nothing crashes; every message the call sends encodes, decodes back to itself and
// carries its mandatory IEs in the user-to-network direction; a timer runs exactly in the state
// Q.931 runs it in (T303 in U1, T304 in U2, T310 in U3, T313 in U8, T305 in U11, T308 in U19), and
// none in U0; a Released indication leaves the call in U0.
#include "tests/fuzz/fuzz_check.h"
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

#include "sim_hardware/pri/user_call.h"
#include "sim_hardware/q931/codec.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using namespace resproxy;
using namespace resproxy::pri;
using resproxy::fuzz::FuzzInput;

std::optional<Timer> timer_of(CallStateValue state) {
  switch (state) {
    case CallStateValue::CallInitiated: return Timer::T303;
    case CallStateValue::OverlapSending: return Timer::T304;
    case CallStateValue::OutgoingCallProceeding: return Timer::T310;
    case CallStateValue::ConnectRequest: return Timer::T313;
    case CallStateValue::DisconnectRequest: return Timer::T305;
    case CallStateValue::ReleaseRequest: return Timer::T308;
    default: return std::nullopt;
  }
}

void check(const UserCall& call, const Output& out) {
  for (const q931::Message& m : out.messages) {
    auto decoded = q931::decode(q931::encode(m));
    FUZZ_CHECK(decoded.has_value());
    FUZZ_CHECK(*decoded == m);
    const q931::ValidationContext context{.direction = q931::Direction::UserToNetwork,
                                          .first_response_to_setup = false,
                                          .first_clearing_message = false};
    const auto problem = q931::validate(m, context);
    FUZZ_CHECK(!problem || problem->action != q931::ValidationAction::RejectMessage);
  }
  if (const auto t = call.running_timer()) FUZZ_CHECK(timer_of(call.state()) == t);
  FUZZ_CHECK(call.deadline().has_value() == call.running_timer().has_value());
  if (call.state() == CallStateValue::Null) FUZZ_CHECK(!call.running_timer().has_value());
  for (const Indication& i : out.indications) {
    if (i.kind == IndicationKind::Released) FUZZ_CHECK(call.state() == CallStateValue::Null);
  }
}

OutgoingCall outgoing(bool sending_complete) {
  OutgoingCall c;
  c.bearer_capability.layer1 = q931::Layer1Protocol::G711ALaw;
  c.called_party_number.digits = "2079460123";
  c.sending_complete = sending_complete;
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  const Origin origin = (in.byte() & 1) != 0 ? Origin::Incoming : Origin::Outgoing;
  UserCall call(0x0101, origin);
  q931::CallReference network = call.call_reference();
  network.flag = network.flag == q931::CallReferenceFlag::FromOriginatingSide
                     ? q931::CallReferenceFlag::ToOriginatingSide
                     : q931::CallReferenceFlag::FromOriginatingSide;
  TimePoint now{};
  while (!in.empty()) {
    const std::uint8_t op = in.byte();
    now += std::chrono::milliseconds(100 * in.byte());
    const std::uint8_t channel = static_cast<std::uint8_t>(1 + (op >> 4));
    Output out;
    switch (op % 10) {
      case 0: {
        const std::string_view bytes = in.bytes(260);
        auto m = q931::decode(
            std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
        if (!m) continue;
        if ((op & 0x10) != 0) m->call_reference = network;
        out = call.on_message(now, *m);
        break;
      }
      case 1: out = call.on_setup_request(now, outgoing((op & 0x10) != 0)); break;
      case 2: out = call.on_information_request(now, "12", (op & 0x10) != 0); break;
      case 3:
        out = call.on_proceeding_request(now,
                                         (op & 0x80) != 0 ? std::optional(channel) : std::nullopt);
        break;
      case 4:
        out =
            call.on_alerting_request(now, (op & 0x80) != 0 ? std::optional(channel) : std::nullopt);
        break;
      case 5:
        out =
            call.on_connect_request(now, (op & 0x80) != 0 ? std::optional(channel) : std::nullopt);
        break;
      case 6: out = call.on_reject_request(now, q931::CauseValue::CallRejected); break;
      case 7: out = call.on_disconnect_request(now, q931::CauseValue::NormalCallClearing); break;
      case 8: out = call.on_release_request(now); break;
      case 9:
        if (const auto deadline = call.deadline()) {
          now = std::max(now, *deadline);
          out = call.on_deadline(now);
          FUZZ_CHECK(out.accepted);
        }
        break;
    }
    check(call, out);
  }
  return 0;
}
