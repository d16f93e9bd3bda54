// Fuzzes ProxyNode with the exit rule's invariant (security/exit_rule.h). The first byte picks
// the mode (standalone, forward_itsp, sip_trunk); then each step delivers a datagram from one of
// four senders — a trusted phone, an untrusted host on the internet, the PSTN gateway, the ITSP —
// or moves the clock. Timers that are due fire in a step of their own, so every message sent
// while a datagram is handled is that datagram's doing.
// Invariants: nothing crashes or trips a sanitizer; while handling a datagram from the untrusted
// host the proxy sends no request to the PSTN gateway, and no request to any host but the ones
// the rule names in the current state — Local (standalone, failure operation): a registered
// phone (the trusted phone, or the untrusted host itself if a registration of it was cached);
// forward_itsp with the ITSP up: the ITSP; sip_trunk with the ITSP up: the ITSP or a phone.
// CANCEL is exempt (RFC 3261 §9: it matches a transaction by its Via, from wherever it comes;
// it can only end a call that is still ringing).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/base/rng.h"
#include "proxy/base/trace.h"
#include "proxy/routing/proxy_node.h"
#include "proxy/sip/message.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using namespace resproxy;
using fuzz::FuzzInput;

const Address kProxy{"192.168.1.10", 5060};
const Address kPhone{"192.168.1.21", 5060};
const Address kUntrusted{"203.0.113.66", 5060};
const Address kGateway{"192.168.1.5", 5060};
const Address kItsp{"198.51.100.10", 5060};

routing::ProxyConfig config_for(std::uint8_t mode) {
  routing::ProxyConfig c;
  c.realm = "office.example";
  c.local = kProxy;
  c.mode = mode % 3 == 0 ? routing::ProxyMode::Standalone
           : mode % 3 == 1 ? routing::ProxyMode::ForwardItsp
                           : routing::ProxyMode::SipTrunk;
  c.trust_defaults = false;
  c.trusted.push_back(*security::IpRange::parse("192.168.1.20-192.168.1.29"));
  c.pstn_gateway.address = kGateway;
  c.auth_users.push_back({"6666", "s3cret"});
  routing::ItspTarget t;
  t.name = "itsp.example";
  t.destination = transport::Destination{Transport::Udp, kItsp, StreamId{}};
  c.itsp.monitor.targets.push_back(t);
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  const std::uint8_t mode = in.byte();
  SeededRng rng(in.u64());
  NullTraceSink trace;
  routing::ProxyNode node(config_for(mode), {}, rng, trace);
  const bool forwards = node.config().mode != routing::ProxyMode::Standalone;
  TimePoint now{std::chrono::seconds(1)};
  const Address senders[] = {kPhone, kUntrusted, kGateway, kItsp};

  auto drain = [&](const Address* from, bool local, bool itsp_up) {
    while (auto effect = node.next_effect()) {
      if (from == nullptr || *from != kUntrusted) continue;
      const std::string* bytes = nullptr;
      Address to;
      if (const auto* d = std::get_if<SendDatagram>(&*effect)) {
        bytes = &d->bytes;
        to = d->remote;
      } else if (const auto* o = std::get_if<OpenStream>(&*effect)) {
        to = o->remote;
      } else {
        continue;
      }
      if (bytes != nullptr && (bytes->starts_with("SIP/2.0 ") || bytes->starts_with("CANCEL "))) {
        continue;
      }
      if (to == kGateway) std::abort();  // toll fraud
      const bool phone = to.ip == kPhone.ip || to.ip == kUntrusted.ip;
      const bool allowed = local ? phone
                           : node.config().mode == routing::ProxyMode::ForwardItsp
                               ? to == kItsp && itsp_up
                               : to == kItsp || phone;
      if (!allowed) std::abort();  // an open relay
    }
  };
  drain(nullptr, true, false);
  while (!in.empty()) {
    const std::uint8_t op = in.byte();
    if (auto deadline = node.next_deadline(); deadline && *deadline <= now) {
      node.on_deadline(now);
      drain(nullptr, true, false);
    }
    if (op % 4 == 3) {
      now += std::chrono::milliseconds((static_cast<int>(in.byte()) << 8 | in.byte()) % 40000);
      continue;
    }
    const Address& from = senders[(op >> 2) % 4];
    const bool local = !forwards || node.in_failure_operation();
    node.on_datagram(now, Path{Transport::Udp, kProxy, from, StreamId{}}, in.bytes(4096));
    drain(&from, local, !local);
  }
  return 0;
}
