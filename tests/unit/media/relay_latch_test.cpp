// The relay's latching decision (proxy/media/relay/latch.h), rule by rule, on a hand clock:
// what latches, what is refused as foreign, when the latch locks, how signalling reopens it and
// where the other side's packets go. Then a property over random sources: nobody outside the
// rules ever becomes the latched source.
#include "proxy/media/relay/latch.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "proxy/media/rtp_packet.h"
#include "tests/unit/media/media_support.h"

namespace resproxy::media::relay {
namespace {

using namespace std::chrono_literals;
using test::at_ms;

const Address kSdp{"198.51.100.20", 40000};          // what the phone's SDP says
const Address kPhoneViaNat{"198.51.100.20", 61002};  // its NAT kept the IP, picked the port
const Address kHijacker{"203.0.113.66", 40000};
const Address kPrivateSdp{"192.168.1.20", 40000};    // a phone behind NAT writes its own address

constexpr auto kRtp = PacketKind::Rtp;
constexpr auto kRtcp = PacketKind::Rtcp;

// A leg that has just been signalled at t = 1 s (window until 4 s with the default 3 s).
struct Leg {
  LatchConfig config{};
  LatchState state{};
  explicit Leg(std::optional<Address> expected = kSdp, bool usable = true) {
    state = on_signalling(state, at_ms(1000), std::move(expected), usable, config);
  }
  // decide() then apply(): what the data path does.
  Decision packet(const Address& from, TimePoint now, PacketKind kind = kRtp,
                  Component component = Component::Rtp) {
    const Decision d = decide(state, from, now, kind, component, config);
    apply(state, d, from);
    return d;
  }
};

TEST(RelayLatch, ClassifiesRtpRtcpAndEverythingElse) {
  RtpPacket fields;
  fields.payload_type = 8;
  const auto rtp = build_rtp(fields).value();
  const std::vector<std::uint8_t> receiver_report{0x80, 201, 0, 1, 0, 0, 0x12, 0x34};
  const std::vector<std::uint8_t> stun{0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42,
                                       1,    2,    3,    4,    5,    6,    7,    8};
  const std::vector<std::uint8_t> short_rtcp{0x80, 201, 0, 0};
  EXPECT_EQ(classify(rtp), PacketKind::Rtp);
  EXPECT_EQ(classify(receiver_report), PacketKind::Rtcp);
  EXPECT_EQ(classify(stun), PacketKind::Other);
  EXPECT_EQ(classify(short_rtcp), PacketKind::Other);
  EXPECT_EQ(classify(std::vector<std::uint8_t>{}), PacketKind::Other);
}

TEST(RelayLatch, TheFirstRtpPacketFromTheSdpIpLatchesItsSource) {
  Leg leg;
  const Decision d = leg.packet(kPhoneViaNat, at_ms(1100));
  EXPECT_TRUE(d.accept);
  EXPECT_TRUE(d.learn);
  EXPECT_FALSE(d.lock);
  EXPECT_EQ(leg.state.latched, kPhoneViaNat);
  EXPECT_EQ(*destination(leg.state), kPhoneViaNat);  // symmetric RTP: we answer where it sent
}

TEST(RelayLatch, RtcpOnTheRtpPortIsForwardedButDoesNotLatch) {
  Leg leg;
  const Decision d = leg.packet(kPhoneViaNat, at_ms(1100), kRtcp);
  EXPECT_TRUE(d.accept);
  EXPECT_FALSE(d.learn);
  EXPECT_FALSE(leg.state.latched.has_value());
}

TEST(RelayLatch, RtcpLatchesTheSeparateRtcpComponentAndRtpDoesNot) {
  Leg leg(Address{"198.51.100.20", 40001});
  EXPECT_FALSE(leg.packet(kPhoneViaNat, at_ms(1100), kRtp, Component::Rtcp).learn);
  EXPECT_FALSE(leg.state.latched.has_value());
  EXPECT_TRUE(leg.packet(kPhoneViaNat, at_ms(1200), kRtcp, Component::Rtcp).learn);
  EXPECT_EQ(leg.state.latched, kPhoneViaNat);
}

TEST(RelayLatch, NeitherRtpNorRtcpIsDroppedEvenFromTheLatchedSource) {
  Leg leg;
  (void)leg.packet(kSdp, at_ms(1100));
  const Decision d = leg.packet(kSdp, at_ms(1200), PacketKind::Other);
  EXPECT_FALSE(d.accept);
  EXPECT_EQ(d.reason, DropReason::NotRtp);
}

TEST(RelayLatch, WithinTheWindowASourceFromAnotherIpThanTheSdpsIsRefused) {
  Leg leg;
  (void)leg.packet(kSdp, at_ms(1100));
  const Decision d = leg.packet(kHijacker, at_ms(1200));
  EXPECT_FALSE(d.accept);
  EXPECT_EQ(d.reason, DropReason::Foreign);
  EXPECT_EQ(leg.state.latched, kSdp);
}

TEST(RelayLatch, WithinTheWindowAnyIpLatchesWhenTheSdpAddressIsUnusable) {
  Leg leg(kPrivateSdp, /*usable=*/false);
  EXPECT_TRUE(leg.packet(kPhoneViaNat, at_ms(1100)).learn);
  // Latest wins while learning: the NAT changed its mapping, or someone raced the phone.
  EXPECT_TRUE(leg.packet(kHijacker, at_ms(1200)).learn);
  EXPECT_EQ(leg.state.latched, kHijacker);
  EXPECT_TRUE(leg.packet(kPhoneViaNat, at_ms(1300)).learn);
  EXPECT_EQ(leg.state.latched, kPhoneViaNat);
}

TEST(RelayLatch, AnUnusableSdpAddressIsNoDestination) {
  Leg leg(kPrivateSdp, /*usable=*/false);
  EXPECT_EQ(destination(leg.state), nullptr);  // it may name a host on our own LAN
  (void)leg.packet(kPhoneViaNat, at_ms(1100));
  EXPECT_EQ(*destination(leg.state), kPhoneViaNat);
}

TEST(RelayLatch, WithinTheWindowTheLatestSourceFromTheSdpIpWins) {
  Leg leg;
  (void)leg.packet(kSdp, at_ms(1100));
  EXPECT_TRUE(leg.packet(kPhoneViaNat, at_ms(3999)).learn);
  EXPECT_EQ(leg.state.latched, kPhoneViaNat);
}

TEST(RelayLatch, AfterTheWindowTheLatchLocksAndAnyNewSourceIsForeign) {
  Leg leg;
  (void)leg.packet(kPhoneViaNat, at_ms(1100));
  const Decision first_after = leg.packet(kPhoneViaNat, at_ms(4000));  // the window is [1 s, 4 s)
  EXPECT_TRUE(first_after.accept);
  EXPECT_TRUE(first_after.lock);
  EXPECT_TRUE(leg.state.locked);
  // Same IP, another port: still not the latched source.
  const Decision other_port = leg.packet(Address{"198.51.100.20", 61004}, at_ms(4100));
  EXPECT_FALSE(other_port.accept);
  EXPECT_EQ(other_port.reason, DropReason::Foreign);
  EXPECT_FALSE(leg.packet(kHijacker, at_ms(4200)).accept);
  EXPECT_EQ(leg.state.latched, kPhoneViaNat);
  EXPECT_TRUE(leg.packet(kPhoneViaNat, at_ms(4300)).accept);
}

TEST(RelayLatch, WithStrictSourceOffANewSourceAfterTheWindowIsForwardedButNeverLatched) {
  Leg leg;
  leg.config.strict_source = false;
  (void)leg.packet(kPhoneViaNat, at_ms(1100));
  const Decision d = leg.packet(kHijacker, at_ms(5000));
  EXPECT_TRUE(d.accept);
  EXPECT_FALSE(d.learn);
  EXPECT_EQ(leg.state.latched, kPhoneViaNat);
}

TEST(RelayLatch, TheSignalledAddressIsAlwaysAcceptedAndRelatchesEvenWhenLocked) {
  Leg leg;
  (void)leg.packet(kPhoneViaNat, at_ms(1100));
  (void)leg.packet(kPhoneViaNat, at_ms(5000));
  ASSERT_TRUE(leg.state.locked);
  const Decision d = leg.packet(kSdp, at_ms(6000));
  EXPECT_TRUE(d.accept);
  EXPECT_TRUE(d.learn);
  EXPECT_EQ(leg.state.latched, kSdp);
  EXPECT_TRUE(leg.state.locked);  // still after the window: nobody else gets in
  EXPECT_FALSE(leg.packet(kPhoneViaNat, at_ms(6100)).accept);
}

TEST(RelayLatch, ReInviteReopensTheWindowForTheSdpIp) {
  Leg leg;
  (void)leg.packet(kSdp, at_ms(1100));
  (void)leg.packet(kSdp, at_ms(5000));
  ASSERT_FALSE(leg.packet(kPhoneViaNat, at_ms(20'000)).accept);
  leg.state = on_signalling(leg.state, at_ms(30'000), kSdp, true, leg.config);
  EXPECT_FALSE(leg.state.locked);
  EXPECT_EQ(leg.state.latched, kSdp);  // same address: the flow goes on meanwhile
  EXPECT_TRUE(leg.packet(kPhoneViaNat, at_ms(30'100)).learn);
  EXPECT_FALSE(leg.packet(kHijacker, at_ms(30'200)).accept);  // reopened for the SDP's IP only
  EXPECT_TRUE(leg.packet(kPhoneViaNat, at_ms(33'000)).lock);
}

TEST(RelayLatch, ASignalledAddressChangeForgetsTheLatchedSource) {
  Leg leg;
  (void)leg.packet(kPhoneViaNat, at_ms(1100));
  const Address moved{"198.51.100.30", 42000};
  leg.state = on_signalling(leg.state, at_ms(10'000), moved, true, leg.config);
  EXPECT_FALSE(leg.state.latched.has_value());
  EXPECT_EQ(*destination(leg.state), moved);
  EXPECT_FALSE(leg.packet(kPhoneViaNat, at_ms(10'100)).accept);  // the old phone's IP
}

TEST(RelayLatch, ALegWithoutSdpAdmitsNobody) {
  LatchState no_sdp;
  const Decision d = decide(no_sdp, kSdp, at_ms(1000), kRtp, Component::Rtp, LatchConfig{});
  EXPECT_FALSE(d.accept);
  EXPECT_EQ(d.reason, DropReason::Foreign);
  EXPECT_EQ(destination(no_sdp), nullptr);
}

TEST(RelayLatch, TheFirstPacketAfterAnEmptyWindowLatchesAndLocksAtOnce) {
  Leg leg;
  const Decision d = leg.packet(kPhoneViaNat, at_ms(9000));
  EXPECT_TRUE(d.learn);
  EXPECT_TRUE(d.lock);
  EXPECT_FALSE(leg.packet(Address{"198.51.100.20", 61004}, at_ms(9100)).accept);
}

TEST(RelayLatch, BeforeLatchingTheDestinationIsTheSdpAddress) {
  Leg leg;
  EXPECT_EQ(*destination(leg.state), kSdp);  // early media reaches the phone before it sends
}

TEST(RelayLatch, NextStateIsApplyOnACopy) {
  const Leg leg;
  const Decision d = decide(leg.state, kPhoneViaNat, at_ms(1100), kRtp, Component::Rtp, {});
  const LatchState next = next_state(leg.state, d, kPhoneViaNat);
  EXPECT_EQ(next.latched, kPhoneViaNat);
  EXPECT_FALSE(leg.state.latched.has_value());
  // Same inputs, same answer: the data path and the core cannot disagree.
  EXPECT_EQ(d, decide(leg.state, kPhoneViaNat, at_ms(1100), kRtp, Component::Rtp, {}));
}

// Random packets (sources, kinds, times, re-INVITEs) never latch a source the rules forbid: a
// new latched source is the signalled address or, within the window, one from the SDP's IP.
TEST(RelayLatch, RandomTrafficNeverLatchesAForbiddenSource) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    const std::array<std::string, 3> ips{"198.51.100.20", "203.0.113.66", "192.0.2.9"};
    Leg leg;
    TimePoint now = at_ms(1000);
    for (int i = 0; i < 2000; ++i) {
      now += std::chrono::milliseconds(rng() % 200);
      if (rng() % 500 == 0) leg.state = on_signalling(leg.state, now, kSdp, true, leg.config);
      const Address from{ips[rng() % ips.size()], static_cast<std::uint16_t>(40000 + rng() % 4)};
      const auto kind = static_cast<PacketKind>(rng() % 3);
      const LatchState before = leg.state;
      const Decision d = leg.packet(from, now, kind);
      if (leg.state.latched != before.latched) {
        ASSERT_EQ(kind, kRtp);
        const bool allowed = from == kSdp || (now < before.learn_until && from.ip == kSdp.ip) ||
                             (!before.latched && from.ip == kSdp.ip);
        ASSERT_TRUE(allowed) << from.to_string();
      }
      if (from.ip != kSdp.ip) {
        ASSERT_FALSE(d.accept && d.learn);
      }
    }
  }
}

}  // namespace
}  // namespace resproxy::media::relay
