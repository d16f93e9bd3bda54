// Fuzzes time as well as bytes (STYLE.md §9): a SipNode (transport + transaction layers under an
// OptionsResponder, which answers OPTIONS 200 and everything else 405, so server INVITE and
// non-INVITE transactions with all their timers run) gets datagrams, stream bytes, stream closes
// and forward jumps of the clock in the order and sizes the fuzzer picks.
// Invariants: nothing crashes or trips a sanitizer; time never runs backwards through the node;
// every response the node builds for a request it accepted parses again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/base/rng.h"
#include "proxy/base/trace.h"
#include "model/options_responder.h"
#include "proxy/sip/message.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using namespace resproxy;
using fuzz::FuzzInput;

void check_sent(const Effect& effect) {
  const std::string* bytes = nullptr;
  if (const auto* d = std::get_if<SendDatagram>(&effect)) bytes = &d->bytes;
  if (const auto* w = std::get_if<WriteStream>(&effect)) bytes = &w->bytes;
  if (bytes == nullptr) return;
  const std::string_view b = *bytes;
  // Our own transaction responses (not the best-effort stateless answers to garbage) must parse.
  if (b.starts_with("SIP/2.0 200 ") || b.starts_with("SIP/2.0 405 ") ||
      b.starts_with("SIP/2.0 100 ")) {
    if (!sip::Message::parse(std::string(b), sip::Framing::Stream)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  SeededRng rng(in.u64());
  NullTraceSink trace;
  const Address local{"192.0.2.1", 5060};
  model::OptionsResponder node(
      transaction::SipNodeConfig{.transport = {.local = local}, .timers = {}}, rng, trace);
  const Address peers[] = {{"192.0.2.9", 5062}, {"2001:db8::9", 5060}};
  bool open[4] = {false, false, false, false};
  TimePoint now{std::chrono::seconds(1)};

  auto drain = [&] {
    while (auto effect = node.next_effect()) check_sent(*effect);
  };
  while (!in.empty()) {
    const std::uint8_t op = in.byte();
    const Address& peer = peers[op & 1];
    switch ((op >> 1) % 5) {
      case 0:
        node.on_datagram(now, Path{Transport::Udp, local, peer, StreamId{}}, in.bytes(4096));
        break;
      case 1: {
        const std::uint64_t id = 1 + (op >> 4) % 3;
        if (!open[id]) {
          node.on_stream_opened(now, Path{Transport::Tcp, local, peer, StreamId{id}});
          open[id] = true;
        }
        node.on_stream_data(now, StreamId{id}, in.bytes(4096));
        break;
      }
      case 2: {
        const std::uint64_t id = 1 + (op >> 4) % 3;
        if (open[id]) node.on_stream_closed(now, StreamId{id}, StreamCloseReason::PeerClosed);
        open[id] = false;
        break;
      }
      default: {
        // Forwards only, up to 40 s; fire whatever is due.
        now += std::chrono::milliseconds((static_cast<int>(in.byte()) << 8 | in.byte()) % 40000);
        if (auto deadline = node.next_deadline(); deadline && *deadline <= now) {
          node.on_deadline(now);
        }
        break;
      }
    }
    drain();
  }
  // Let every transaction run out: the heap must drain without growing forever.
  for (int i = 0; i < 1000000; ++i) {
    const auto deadline = node.next_deadline();
    if (!deadline) break;
    now = std::max(now, *deadline);
    node.on_deadline(now);
    drain();
  }
  if (node.next_deadline().has_value()) std::abort();  // timers must not re-arm forever
  return 0;
}
