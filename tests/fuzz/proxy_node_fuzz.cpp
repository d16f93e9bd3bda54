// Fuzzes ProxyNode with the exit rule's invariant (security/exit_rule.h). The first byte picks
// the mode (standalone, forward_itsp, sip_trunk); then each step (one byte `op`, op % 8):
//   0..3  a datagram from one of four senders — a trusted phone, an untrusted host on the
//         internet, the PSTN gateway, the ITSP;
//   4     the clock moves (0..40 s);
//   5     the oldest store write still open is answered: Ok, or Failed when op & 8;
//   6     a management command (op >> 3) % 4: show reg, kill reg N, show counters, or the wall
//         clock steps (−32768..32767 s: an NTP step);
//   7     every open store write is answered Ok.
// Timers that are due fire in a step of their own, so every message sent while a datagram is
// handled is that datagram's doing.
// With the media relay on (mode & 4) a datagram op with its top bit set is an RTP/RTCP packet on
// one of the relay's open ports instead; a port is never opened twice or closed unopened, and a
// forward always leaves from an open port.
// With an external relay too (mode & 12 == 12; media_anchor.h: the built-in relay a spare) the
// harness plays it with a real NgServer: what the proxy sends to its ng address is queued, and a
// clock op with its top bit set has the relay answer the oldest (op & 0x40: lose it instead) —
// the proxy parks and resumes messages, fails over to the built-in relay, and marks the relay
// down, all under fuzzed SIP. ng datagrams to the relay are exempt from the exit rule (control,
// not SIP).
// Invariants: nothing crashes or trips a sanitizer; while handling a datagram from the untrusted
// host the proxy sends no request to the PSTN gateway, and no request to any host but the ones
// the rule names in the current state — Local (standalone, failure operation): a registered
// phone (the trusted phone, or the untrusted host itself if a registration of it was cached);
// forward_itsp with the ITSP up: the ITSP; sip_trunk with the ITSP up: the ITSP or a phone.
// CANCEL is exempt (RFC 3261 §9: it matches a transaction by its Via, from wherever it comes;
// it can only end a call that is still ringing). Every command is answered exactly once — at
// the latest when the store writes are all answered at the end — and never twice.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <iterator>
#include <set>
#include <string>
#include <string_view>

#include "proxy/media/ng/ng_server.h"
#include "proxy/native/openssl_crypto.h"
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
const Address kRelay{"127.0.0.1", 2223};

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
  // Every fourth mode byte anchors every call's media (media_anchor.h): the SDP of whatever the
  // senders write is rewritten, and its ports get packets (datagram ops with the top bit set).
  if ((mode & 4) != 0) {
    c.media_relay.enabled = true;
    c.media_relay.relay.ipv4_ports = {40000, 40063};
    c.media_relay.relay.max_sessions = 16;
    c.media_relay.phones = c.media_relay.itsp = c.media_relay.gateway = sip::MediaRelayPolicy::Always;
    if ((mode & 8) != 0) {
      c.media_relay.external.push_back({.name = "relay1", .address = kRelay, .weight = 1, .secret = ""});
      c.media_relay.builtin_weight = 0;
    }
  }
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  const std::uint8_t mode = in.byte();
  SeededRng rng(in.u64());
  NullTraceSink trace;
  routing::ProxyNode node(config_for(mode), {}, rng, native::openssl_crypto(), trace);
  const bool forwards = node.config().mode != routing::ProxyMode::Standalone;
  TimePoint now{std::chrono::seconds(1)};
  const Address senders[] = {kPhone, kUntrusted, kGateway, kItsp};
  std::deque<std::uint64_t> open_writes;
  std::set<std::uint64_t> unanswered_commands;
  std::uint64_t next_command = 1;

  std::set<Address> media_ports;  // open now (OpenMediaPort, not yet CloseMediaPort)
  std::deque<std::string> to_relay;  // ng requests the proxy sent the external relay
  media::ng::NgServerConfig relay_config;
  relay_config.relay.ipv4_address = "192.0.2.1";
  relay_config.relay.ipv4_ports = {30000, 30063};
  relay_config.relay.max_sessions = 16;
  relay_config.trusted = {*security::IpRange::parse("192.168.1.10")};
  SeededRng relay_rng(5);
  media::ng::NgServer relay(relay_config, native::openssl_crypto(), relay_rng);
  auto drain = [&](const Address* from, bool local, bool itsp_up) {
    while (auto effect = node.next_effect()) {
      if (const auto* d = std::get_if<SendDatagram>(&*effect); d != nullptr && d->remote == kRelay) {
        if (to_relay.size() < 64) to_relay.push_back(d->bytes);
        continue;
      }
      if (const auto* o = std::get_if<OpenMediaPort>(&*effect)) {
        if (!media_ports.insert(o->local).second) std::abort();  // opened twice
        continue;
      }
      if (const auto* c = std::get_if<CloseMediaPort>(&*effect)) {
        if (media_ports.erase(c->local) != 1) std::abort();  // closed but never opened
        continue;
      }
      if (const auto* w = std::get_if<StoreWrite>(&*effect)) {
        open_writes.push_back(w->id);
        continue;
      }
      if (const auto* r = std::get_if<CommandReply>(&*effect)) {
        if (unanswered_commands.erase(r->id) != 1) std::abort();  // answered twice, or never asked
        continue;
      }
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
  auto answer_store = [&](StoreOutcome outcome) {
    if (open_writes.empty()) return;
    const std::uint64_t id = open_writes.front();
    open_writes.pop_front();
    node.on_completion(now, StoreDone{id, outcome});
    drain(nullptr, true, false);
  };
  auto command = [&](admin::Request request) {
    const std::uint64_t id = next_command++;
    unanswered_commands.insert(id);
    node.on_command(now, AdminCommand{id, std::move(request)});
    drain(nullptr, true, false);
  };
  drain(nullptr, true, false);
  while (!in.empty()) {
    const std::uint8_t op = in.byte();
    if (auto deadline = node.next_deadline(); deadline && *deadline <= now) {
      node.on_deadline(now);
      drain(nullptr, true, false);
    }
    switch (op % 8) {
      case 4:
        if ((op & 0x80) != 0 && !to_relay.empty()) {
          const std::string request = std::move(to_relay.front());
          to_relay.pop_front();
          if ((op & 0x40) != 0) continue;  // lost
          const Duration wall = now.time_since_epoch();
          if (auto reply = relay.on_control(now, wall, kProxy, request)) {
            const bool local = !forwards || node.in_failure_operation();
            node.on_datagram(now, Path{Transport::Udp, kProxy, kRelay, StreamId{}}, *reply);
            drain(nullptr, local, !local);
          }
          continue;
        }
        now += std::chrono::milliseconds((static_cast<int>(in.byte()) << 8 | in.byte()) % 40000);
        continue;
      case 5:
        answer_store((op & 8) != 0 ? StoreOutcome::Failed : StoreOutcome::Ok);
        continue;
      case 6:
        switch ((op >> 3) % 4) {
          case 0: command(admin::ShowRegistrations{}); break;
          case 1: command(admin::KillRegistration{static_cast<std::size_t>(in.byte() % 4)}); break;
          case 2: command(admin::ShowCounters{}); break;
          default: {
            const auto step = static_cast<std::int16_t>(in.byte() << 8 | in.byte());
            node.on_wall_clock(now, std::chrono::hours(24 * 365 * 50) + std::chrono::seconds(step));
            drain(nullptr, true, false);
          }
        }
        continue;
      case 7:
        while (!open_writes.empty()) answer_store(StoreOutcome::Ok);
        continue;
      default:
        break;
    }
    const Address& from = senders[op % 8];
    if ((op & 0x80) != 0 && !media_ports.empty()) {
      // A packet on one of the relay's ports: what it forwards leaves from a port that is open.
      auto port = media_ports.begin();
      std::advance(port, in.byte() % media_ports.size());
      const Address source{from.ip, static_cast<std::uint16_t>(40000 + in.byte())};
      const auto send = node.on_media_packet(now, *port, source, in.bytes(256));
      if (send && !media_ports.contains(send->from)) std::abort();
      drain(nullptr, true, false);
      continue;
    }
    const bool local = !forwards || node.in_failure_operation();
    node.on_datagram(now, Path{Transport::Udp, kProxy, from, StreamId{}}, in.bytes(4096));
    drain(&from, local, !local);
  }
  // Whatever is still waiting for the store is answered: then every command has its reply.
  while (!open_writes.empty()) answer_store(StoreOutcome::Ok);
  if (!unanswered_commands.empty()) std::abort();
  return 0;
}
