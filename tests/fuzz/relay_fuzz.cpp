// libFuzzer target for the media relay's sessions (proxy/media/relay/): offers, answers and
// updates of a few calls (both families, NAT, rtcp-mux, hold, no SDP, mismatched families),
// removals, datagrams of any shape from the phones and from strangers to every port of ours and
// to others, and time with the deadlines — all chosen by the input. For any input: no crash or
// sanitizer report; the pools hold exactly two pairs per live session; every packet is counted
// once, forwarded or dropped; a Forward leaves from our address of its destination's family;
// next_deadline() is never in the past after on_deadline().
#include "tests/fuzz/fuzz_check.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>

#include "proxy/base/rng.h"
#include "proxy/media/relay/session.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using namespace resproxy;
using namespace resproxy::media::relay;

const std::array<std::string, 6> kIps{"198.51.100.20", "203.0.113.30", "192.168.1.5",
                                      "2001:db8:2::30", "2001:db8:9::9", "192.0.2.1"};

Address address(fuzz::FuzzInput& in) {
  return Address{kIps[in.byte() % kIps.size()], static_cast<std::uint16_t>(40000 + in.byte() % 4)};
}

LegMedia leg_media(fuzz::FuzzInput& in) {
  const std::uint8_t flags = in.byte();
  LegMedia m;
  if ((flags & 0x01) == 0) m.rtp = address(in);
  m.family = m.rtp ? family_of(*m.rtp) : Family::Ipv4;
  if (flags & 0x02) m.family = m.family == Family::Ipv4 ? Family::Ipv6 : Family::Ipv4;  // mismatch
  if (flags & 0x04) m.rtcp = address(in);
  m.rtcp_mux = (flags & 0x08) != 0;
  m.address_usable = (flags & 0x10) == 0;
  m.direction = static_cast<Direction>((flags >> 5) & 0x03);
  m.clock_rate = (flags & 0x80) ? 48000 : 8000;
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput in(data, size);
  RelayConfig config;
  config.ipv4_address = "192.0.2.1";
  config.ipv6_address = "2001:db8::1";
  config.ipv4_ports = {30000, 30011};  // six pairs: exhaustion is reachable
  config.ipv6_ports = {30000, 30011};
  config.max_sessions = 3;
  SeededRng rng(in.u64());
  RelaySessions relay(config, rng);
  std::array<std::optional<SessionPorts>, 4> ports;  // the last ports each key was given
  std::int64_t now_ns = 0;
  std::uint64_t packets = 0;

  while (!in.empty()) {
    now_ns += static_cast<std::int64_t>(in.byte()) * 250'000'000;  // 0..64 s, forwards only
    const TimePoint now = from_ns(now_ns);
    const std::uint8_t op = in.byte();
    const std::size_t k = (op >> 4) % ports.size();
    const SessionKey key{"call-" + std::to_string(k), "tag"};
    auto remember = [&](const Result<SessionPorts, RelayError>& r) {
      if (r) ports[k] = *r;
      else FUZZ_CHECK(to_sip_status(r.error()) >= 400 && !to_string(r.error()).empty());
    };
    switch (op % 8) {
      case 0: {
        const LegMedia caller = leg_media(in);
        remember(relay.offer(now, key, caller, (in.byte() & 1) ? Family::Ipv6 : Family::Ipv4));
        break;
      }
      case 1: {
        const std::string to_tag = "to-" + std::to_string(in.byte() % 2);
        remember(relay.answer(now, key, to_tag, leg_media(in)));
        break;
      }
      case 2: {
        const Side side = (in.byte() & 1) ? Side::B : Side::A;
        remember(relay.update(now, key, side, leg_media(in)));
        break;
      }
      case 3:
        if (relay.remove(now, key)) ports[k].reset();
        break;
      case 7:
        if (const auto d = relay.next_deadline(); d && *d <= now) {
          for (const auto& gone : relay.on_deadline(now)) FUZZ_CHECK(relay.find(gone) == nullptr);
          if (const auto next = relay.next_deadline()) FUZZ_CHECK(*next > now);
        }
        break;
      default: {  // a datagram: to a port we gave out (possibly since removed) or to any port
        const std::uint8_t how = in.byte();
        Address local{(how & 1) ? "2001:db8::1" : "192.0.2.1",
                      static_cast<std::uint16_t>(30000 + in.byte() % 14)};
        if (ports[k] && (how & 2)) {
          const LocalMedia& side = (how & 4) ? ports[k]->b : ports[k]->a;
          local = (how & 8) ? side.rtcp : side.rtp;
        }
        const Address source = address(in);
        const std::string_view raw = in.bytes(400);
        std::string bytes(raw);
        if (bytes.size() >= 12 && (how & 0x10)) bytes[0] = static_cast<char>(0x80);  // RTP-like
        const std::span<const std::uint8_t> d(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                              bytes.size());
        const PacketVerdict v = relay.on_packet(now, local, source, d);
        ++packets;
        if (const auto* f = std::get_if<Forward>(&v)) {
          FUZZ_CHECK(family_of(f->to) == family_of(f->from));
          const bool v4 = family_of(f->from) == Family::Ipv4;
          FUZZ_CHECK(f->from.ip == (v4 ? *config.ipv4_address : *config.ipv6_address));
        }
        break;
      }
    }
    std::size_t in_use = 0;
    for (const Family f : {Family::Ipv4, Family::Ipv6}) in_use += relay.pool(f)->in_use_count();
    FUZZ_CHECK(in_use == 2 * relay.size());
    FUZZ_CHECK(relay.size() <= config.max_sessions);
    const RelayCounters& c = relay.counters();
    std::uint64_t dropped = 0;
    for (const auto n : c.dropped) dropped += n;
    FUZZ_CHECK(c.forwarded + dropped == packets);
  }
  return 0;
}
