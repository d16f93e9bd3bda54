// The relay's session table (proxy/media/relay/session.h) on a hand clock: ports per side,
// latching and early media through on_packet, hijack protection and its counters, re-INVITEs,
// RTCP with and without rtcp-mux, IPv4<->IPv6 interworking, exhaustion and limits, and the
// inactivity timeout — exact, paused by hold, kept off by RTCP alone.
#include "proxy/media/relay/session.h"

#include <gtest/gtest.h>

#include <array>
#include <ostream>
#include <vector>

#include "proxy/media/rtp_packet.h"
#include "tests/unit/media/media_support.h"

namespace resproxy::media::relay {

void PrintTo(const PacketVerdict& v, std::ostream* os) {
  if (const auto* f = std::get_if<Forward>(&v)) {
    *os << "Forward{to " << f->to.to_string() << " from " << f->from.to_string() << "}";
  } else {
    *os << "Drop{" << to_string(std::get<Drop>(v).reason) << "}";
  }
}

namespace {

using namespace std::chrono_literals;
using test::at_ms;

const SessionKey kCall{"a84b4c76e66710@pc33.office", "1928301774"};
const Address kAliceSdp{"198.51.100.20", 40000};
const Address kAliceNat{"198.51.100.20", 61002};  // what her NAT makes of 40000
const Address kBobSdp{"203.0.113.30", 50000};
const Address kHijacker{"192.0.2.66", 40000};
const std::string kOurIpv4 = "192.0.2.1";
const std::string kOurIpv6 = "2001:db8::1";

RelayConfig test_config() {
  RelayConfig c;
  c.ipv4_address = kOurIpv4;
  c.ipv6_address = kOurIpv6;
  c.ipv4_ports = {30000, 30099};
  c.ipv6_ports = {30000, 30099};
  return c;
}

LegMedia media(const Address& rtp, bool mux = false) {
  LegMedia m;
  m.family = family_of(rtp);
  m.rtp = rtp;
  m.rtcp_mux = mux;
  return m;
}

std::vector<std::uint8_t> rtp(std::uint16_t seq, std::uint32_t ssrc = 0xa11ce) {
  static const std::array<std::uint8_t, 160> kSilence{};
  RtpPacket p;
  p.payload_type = kPayloadTypePcma;
  p.sequence_number = seq;
  p.timestamp = seq * 160u;
  p.ssrc = ssrc;
  p.payload = kSilence;
  return build_rtp(p).value();
}
const std::vector<std::uint8_t> kRtcp{0x80, 201, 0, 1, 0, 0x0a, 0x11, 0xce};  // an empty RR

PacketVerdict forward(const Address& to, const Address& from) { return Forward{to, from}; }
PacketVerdict drop(DropReason r) { return Drop{r}; }

// A relay with its Rng and a hand clock starting at 1 s.
struct Relay {
  RelayConfig config;
  SeededRng rng{42};
  RelaySessions sessions;
  TimePoint now = at_ms(1000);
  SessionPorts ports;
  std::uint16_t seq = 1;

  explicit Relay(RelayConfig c = test_config()) : config(std::move(c)), sessions(config, rng) {}

  // INVITE with Alice's SDP, then Bob's answer in his 2xx.
  void call(const LegMedia& alice = media(kAliceSdp), const LegMedia& bob = media(kBobSdp)) {
    ports = sessions.offer(now, kCall, alice, bob.family).value();
    ports = sessions.answer(now, kCall, "a6c85cf", bob).value();
    EXPECT_TRUE(sessions.confirm(now, kCall));
  }
  PacketVerdict send(const Address& from, const Address& to_local,
                     const std::vector<std::uint8_t>& bytes) {
    return sessions.on_packet(now, to_local, from, bytes);
  }
  PacketVerdict rtp_from(const Address& from, const Address& to_local) {
    return send(from, to_local, rtp(seq++));
  }
  const RelayLeg& leg(Side s) const { return sessions.find(kCall)->leg(s); }
  // Jumps from deadline to deadline up to `until`; returns the sessions that timed out.
  std::vector<SessionKey> run_until(TimePoint until) {
    std::vector<SessionKey> out;
    while (auto d = sessions.next_deadline()) {
      if (*d > until) break;
      now = *d;
      for (auto& k : sessions.on_deadline(now)) out.push_back(k);
    }
    now = until;
    return out;
  }
};

TEST(RelaySessions, AnOfferGivesEachSideAPortPairOfOurs) {
  Relay r;
  const auto ports = r.sessions.offer(r.now, kCall, media(kAliceSdp), Family::Ipv4).value();
  for (const LocalMedia& side : {ports.a, ports.b}) {
    EXPECT_EQ(side.rtp.ip, kOurIpv4);
    EXPECT_EQ(side.rtp.port % 2, 0);
    EXPECT_EQ(side.rtcp, (Address{kOurIpv4, static_cast<std::uint16_t>(side.rtp.port + 1)}));
  }
  EXPECT_NE(ports.a.rtp, ports.b.rtp);
  EXPECT_EQ(r.sessions.pool(Family::Ipv4)->in_use_count(), 2u);
  EXPECT_EQ(r.sessions.counters().sessions_created, 1u);
  // A retransmitted INVITE gets the same ports, not new ones.
  EXPECT_EQ(r.sessions.offer(r.now, kCall, media(kAliceSdp), Family::Ipv4).value(), ports);
  EXPECT_EQ(r.sessions.pool(Family::Ipv4)->in_use_count(), 2u);
}

TEST(RelaySessions, TheFirstRtpPacketLatchesAndTheAnswerGoesBackToIt) {
  Relay r;
  r.call();
  // Bob has not sent yet: Alice's audio goes to his SDP address.
  EXPECT_EQ(r.rtp_from(kAliceNat, r.ports.a.rtp), forward(kBobSdp, r.ports.b.rtp));
  // Bob's audio goes where Alice's came from, not to her SDP's port (her NAT's mapping).
  EXPECT_EQ(r.rtp_from(kBobSdp, r.ports.b.rtp), forward(kAliceNat, r.ports.a.rtp));
  EXPECT_EQ(r.leg(Side::A).rtp_latch.latched, kAliceNat);
  EXPECT_EQ(r.sessions.counters().forwarded, 2u);
}

TEST(RelaySessions, EarlyMediaReachesTheCallerBeforeSheSendsAnything) {
  Relay r;
  (void)r.sessions.offer(r.now, kCall, media(kAliceSdp), Family::Ipv4);
  r.ports = r.sessions.answer(r.now, kCall, "a6c85cf", media(kBobSdp)).value();  // the 183
  EXPECT_EQ(r.rtp_from(kBobSdp, r.ports.b.rtp), forward(kAliceSdp, r.ports.a.rtp));
}

TEST(RelaySessions, BeforeTheAnswerTheCalleeSideAdmitsNobodyAndHasNoDestination) {
  Relay r;
  r.ports = r.sessions.offer(r.now, kCall, media(kAliceSdp), Family::Ipv4).value();
  EXPECT_EQ(r.rtp_from(kAliceSdp, r.ports.a.rtp), drop(DropReason::NoDestination));
  EXPECT_EQ(r.rtp_from(kHijacker, r.ports.b.rtp), drop(DropReason::Foreign));
  EXPECT_EQ(r.sessions.counters().dropped_for(DropReason::NoDestination), 1u);
  EXPECT_EQ(r.leg(Side::B).dropped[static_cast<std::size_t>(DropReason::Foreign)], 1u);
}

TEST(RelaySessions, AfterTheWindowAHijackerIsDroppedAndCountedWhileThePhoneFlows) {
  Relay r;
  r.call();
  (void)r.rtp_from(kAliceNat, r.ports.a.rtp);
  r.now = at_ms(4000);  // the 3 s window after the answer is over
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(r.rtp_from(kHijacker, r.ports.a.rtp), drop(DropReason::Foreign));
    EXPECT_EQ(r.rtp_from(Address{kAliceNat.ip, 61004}, r.ports.a.rtp),
              drop(DropReason::Foreign));  // her IP, another port: spoofable, refused
    EXPECT_EQ(r.rtp_from(kAliceNat, r.ports.a.rtp), forward(kBobSdp, r.ports.b.rtp));
    r.now += 20ms;
  }
  EXPECT_EQ(r.sessions.counters().dropped_for(DropReason::Foreign), 100u);
  EXPECT_EQ(r.leg(Side::A).dropped[static_cast<std::size_t>(DropReason::Foreign)], 100u);
  EXPECT_EQ(r.leg(Side::A).forwarded, 51u);
  EXPECT_EQ(r.leg(Side::A).rtp_stats.packets(), 51u);  // foreign packets are not her stream
  EXPECT_TRUE(r.leg(Side::A).rtp_latch.locked);
}

TEST(RelaySessions, WithinTheWindowAnotherIpIsRefusedUnlessTheSdpAddressIsUnusable) {
  Relay strict;
  strict.call();
  strict.now = at_ms(1500);
  EXPECT_EQ(strict.rtp_from(kHijacker, strict.ports.a.rtp), drop(DropReason::Foreign));

  Relay nat;
  LegMedia behind_nat = media(Address{"192.168.1.20", 40000});
  behind_nat.address_usable = false;  // the caller saw a private address from a public source
  nat.call(behind_nat);
  nat.now = at_ms(1500);
  EXPECT_EQ(nat.rtp_from(kAliceNat, nat.ports.a.rtp), forward(kBobSdp, nat.ports.b.rtp));
  EXPECT_EQ(nat.rtp_from(kBobSdp, nat.ports.b.rtp), forward(kAliceNat, nat.ports.a.rtp));
}

TEST(RelaySessions, RtcpAloneDoesNotLatch) {
  Relay r;
  r.call(media(kAliceSdp, /*mux=*/true), media(kBobSdp, /*mux=*/true));
  EXPECT_EQ(r.send(kAliceNat, r.ports.a.rtp, kRtcp), forward(kBobSdp, r.ports.b.rtp));
  EXPECT_EQ(r.rtp_from(kBobSdp, r.ports.b.rtp), forward(kAliceSdp, r.ports.a.rtp));
  (void)r.rtp_from(kAliceNat, r.ports.a.rtp);
  EXPECT_EQ(r.rtp_from(kBobSdp, r.ports.b.rtp), forward(kAliceNat, r.ports.a.rtp));
  EXPECT_EQ(r.leg(Side::A).rtcp_packets, 1u);
}

TEST(RelaySessions, RtcpGoesToThePortAboveUnlessMuxedAndBothKindsInterwork) {
  Relay r;
  r.call(media(kAliceSdp, /*mux=*/false), media(kBobSdp, /*mux=*/true));
  const Address alice_rtcp{kAliceSdp.ip, 40001};
  // Bob's RTCP, multiplexed on his RTP port, leaves from Alice's RTCP port to her port + 1.
  EXPECT_EQ(r.send(kBobSdp, r.ports.b.rtp, kRtcp), forward(alice_rtcp, r.ports.a.rtcp));
  // Alice's RTCP on her RTCP port goes to Bob's RTP port: he multiplexes.
  EXPECT_EQ(r.send(alice_rtcp, r.ports.a.rtcp, kRtcp), forward(kBobSdp, r.ports.b.rtp));
  // Nobody should send to the RTCP port of a muxing side.
  EXPECT_EQ(r.send(kBobSdp, r.ports.b.rtcp, kRtcp), drop(DropReason::UnusedPort));
  EXPECT_EQ(r.send(kAliceSdp, r.ports.a.rtp, {1, 2, 3}), drop(DropReason::NotRtp));
}

TEST(RelaySessions, AReInviteReopensLearning) {
  Relay r;
  r.call();
  (void)r.rtp_from(kAliceNat, r.ports.a.rtp);
  r.now = at_ms(10'000);
  const Address new_mapping{kAliceNat.ip, 61010};  // her NAT rebound after a network change
  EXPECT_EQ(r.rtp_from(new_mapping, r.ports.a.rtp), drop(DropReason::Foreign));
  r.now = at_ms(20'000);
  ASSERT_TRUE(r.sessions.update(r.now, kCall, Side::A, media(kAliceSdp)).has_value());
  EXPECT_EQ(r.rtp_from(new_mapping, r.ports.a.rtp), forward(kBobSdp, r.ports.b.rtp));
  EXPECT_EQ(r.rtp_from(kBobSdp, r.ports.b.rtp), forward(new_mapping, r.ports.a.rtp));
}

TEST(RelaySessions, AnIpv4AndAnIpv6SideForwardBothWays) {
  Relay r;
  const Address bob6{"2001:db8:2::30", 50000};
  r.call(media(kAliceSdp), media(bob6));
  EXPECT_EQ(r.ports.a.rtp.ip, kOurIpv4);
  EXPECT_EQ(r.ports.b.rtp.ip, kOurIpv6);
  EXPECT_EQ(r.rtp_from(kAliceSdp, r.ports.a.rtp), forward(bob6, r.ports.b.rtp));
  EXPECT_EQ(r.rtp_from(bob6, r.ports.b.rtp), forward(kAliceSdp, r.ports.a.rtp));
  EXPECT_EQ(r.send(bob6, r.ports.b.rtcp, kRtcp),
            forward(Address{kAliceSdp.ip, 40001}, r.ports.a.rtcp));
}

TEST(RelaySessions, ASourceOfTheOtherFamilyIsForeign) {
  RelayConfig c = test_config();
  Relay r(c);
  LegMedia nat = media(Address{"192.168.1.20", 40000});
  nat.address_usable = false;  // would admit any source of its family
  r.call(nat);
  EXPECT_EQ(r.rtp_from(Address{"2001:db8:9::9", 40000}, r.ports.a.rtp), drop(DropReason::Foreign));
  EXPECT_FALSE(r.leg(Side::A).rtp_latch.latched.has_value());
}

TEST(RelaySessions, ThePortNumberIsPerFamily) {
  RelayConfig c = test_config();
  c.ipv4_ports = {30000, 30001};  // one pair each: both sides get port 30000
  c.ipv6_ports = {30000, 30001};
  Relay r(c);
  const Address bob6{"2001:db8:2::30", 50000};
  r.call(media(kAliceSdp), media(bob6));
  ASSERT_EQ(r.ports.a.rtp.port, r.ports.b.rtp.port);
  EXPECT_EQ(r.rtp_from(kAliceSdp, r.ports.a.rtp), forward(bob6, r.ports.b.rtp));
  EXPECT_EQ(r.rtp_from(bob6, r.ports.b.rtp), forward(kAliceSdp, r.ports.a.rtp));
}

TEST(RelaySessions, ARefusedFamilyOrAMismatchedAnswerIsA488) {
  RelayConfig c = test_config();
  c.ipv6_address.reset();
  Relay r(c);
  const auto refused = r.sessions.offer(r.now, kCall, media(kAliceSdp), Family::Ipv6);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), RelayError::NoLocalAddress);
  EXPECT_EQ(to_sip_status(refused.error()), 488);
  (void)r.sessions.offer(r.now, kCall, media(kAliceSdp), Family::Ipv4);
  const auto mismatch = r.sessions.answer(r.now, kCall, "x", media({"2001:db8:2::30", 5000}));
  EXPECT_EQ(mismatch.error(), RelayError::FamilyMismatch);
  EXPECT_EQ(to_sip_status(mismatch.error()), 488);
  const auto unknown = r.sessions.answer(r.now, {"other", "t"}, "x", media(kBobSdp));
  EXPECT_EQ(unknown.error(), RelayError::UnknownSession);
}

TEST(RelaySessions, AnExhaustedPoolIsA503AndQuarantineHoldsReleasedPorts) {
  RelayConfig c = test_config();
  c.ipv4_ports = {30000, 30003};  // two pairs: one call
  Relay r(c);
  r.call();
  const SessionKey second{"second-call", "t2"};
  const auto refused = r.sessions.offer(r.now, second, media(kAliceSdp), Family::Ipv4);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), RelayError::PoolExhausted);
  EXPECT_EQ(to_sip_status(refused.error()), 503);
  EXPECT_EQ(r.sessions.counters().pool_exhausted, 1u);
  EXPECT_TRUE(r.sessions.remove(r.now, kCall));
  EXPECT_EQ(r.sessions.pool(Family::Ipv4)->quarantined_count(), 2u);
  EXPECT_FALSE(r.sessions.offer(r.now + 30s - 1ns, second, media(kAliceSdp), Family::Ipv4));
  EXPECT_TRUE(r.sessions.offer(r.now + 30s, second, media(kAliceSdp), Family::Ipv4));
}

TEST(RelaySessions, MaxSessionsBoundsTheTable) {
  RelayConfig c = test_config();
  c.max_sessions = 1;
  Relay r(c);
  r.call();
  const auto refused = r.sessions.offer(r.now, {"second", "t"}, media(kAliceSdp), Family::Ipv4);
  EXPECT_EQ(refused.error(), RelayError::TooManySessions);
  EXPECT_EQ(r.sessions.counters().too_many_sessions, 1u);
  EXPECT_EQ(r.sessions.size(), 1u);
}

TEST(RelaySessions, ARemovedSessionsLatePacketsFindNoPort) {
  Relay r;
  r.call();
  EXPECT_TRUE(r.sessions.remove(r.now, kCall));
  EXPECT_FALSE(r.sessions.remove(r.now, kCall));
  EXPECT_EQ(r.rtp_from(kAliceSdp, r.ports.a.rtp), drop(DropReason::UnknownPort));
  EXPECT_EQ(r.sessions.next_deadline(), std::nullopt);
}

TEST(RelaySessions, AnotherForksAnswerRetargetsTheCalleeSide) {
  Relay r;
  r.call();
  (void)r.rtp_from(kBobSdp, r.ports.b.rtp);
  const Address carol{"203.0.113.40", 52000};
  ASSERT_TRUE(r.sessions.answer(r.now, kCall, "other-fork", media(carol)).has_value());
  EXPECT_FALSE(r.leg(Side::B).rtp_latch.latched.has_value());
  EXPECT_EQ(r.rtp_from(kAliceSdp, r.ports.a.rtp), forward(carol, r.ports.b.rtp));
  EXPECT_EQ(r.rtp_from(kBobSdp, r.ports.b.rtp), drop(DropReason::Foreign));
}

TEST(RelaySessions, ASilentSessionTimesOutAtExactlyTheConfiguredTime) {
  Relay r;
  r.call();
  const TimePoint answered = r.now;
  EXPECT_EQ(r.sessions.next_deadline(), answered + 60s);
  EXPECT_TRUE(r.sessions.on_deadline(answered + 60s - 1ns).empty());
  EXPECT_EQ(r.sessions.on_deadline(answered + 60s), std::vector<SessionKey>{kCall});
  EXPECT_EQ(r.sessions.size(), 0u);
  EXPECT_EQ(r.sessions.counters().sessions_timed_out, 1u);
  EXPECT_EQ(r.sessions.pool(Family::Ipv4)->quarantined_count(), 2u);
}

TEST(RelaySessions, ACallThatRingsWithoutMediaIsNotTimedOutBeforeItIsAnswered) {
  Relay r;
  r.ports = r.sessions.offer(r.now, kCall, media(kAliceSdp), Family::Ipv4).value();
  const TimePoint invited = r.now;
  EXPECT_TRUE(r.run_until(invited + 10min).empty());  // ringing: no RTP at all
  r.now = invited + 10min;
  ASSERT_TRUE(r.sessions.answer(r.now, kCall, "a6c85cf", media(kBobSdp)).has_value());
  ASSERT_TRUE(r.sessions.confirm(r.now, kCall));
  const TimePoint answered = r.now;
  EXPECT_TRUE(r.run_until(answered + 60s - 1ns).empty());
  EXPECT_EQ(r.run_until(answered + 60s), std::vector<SessionKey>{kCall});
  EXPECT_FALSE(r.sessions.confirm(r.now, kCall));  // gone
}

TEST(RelaySessions, AnUnansweredSessionStillEndsAtTheHoldTimeout) {
  Relay r;
  r.ports = r.sessions.offer(r.now, kCall, media(kAliceSdp), Family::Ipv4).value();
  EXPECT_EQ(r.sessions.next_deadline(), r.now + 1h);
}

TEST(RelaySessions, RtcpAloneKeepsASessionAliveAndItsLastPacketStartsTheTimeout) {
  Relay r;
  r.call(media(kAliceSdp, true), media(kBobSdp, true));
  const TimePoint end = r.now + 5min;
  while (r.now < end) {  // silence suppression: RTCP every 5 s from each side, no RTP
    r.now += 5s;
    ASSERT_TRUE(r.sessions.on_deadline(r.now).empty());
    (void)r.send(kAliceSdp, r.ports.a.rtp, kRtcp);
    (void)r.send(kBobSdp, r.ports.b.rtp, kRtcp);
  }
  const TimePoint last = r.now;
  EXPECT_TRUE(r.run_until(last + 60s - 1ns).empty());
  EXPECT_EQ(r.run_until(last + 60s), std::vector<SessionKey>{kCall});
}

TEST(RelaySessions, OneSideFallingSilentEndsTheSessionAlthoughTheOtherTalksOn) {
  Relay r;
  r.call();
  (void)r.rtp_from(kBobSdp, r.ports.b.rtp);
  const TimePoint bob_last = r.now;  // Bob's link dies here; Alice talks on
  for (int i = 0; i < 59; ++i) {
    r.now += 1s;
    (void)r.rtp_from(kAliceSdp, r.ports.a.rtp);
    ASSERT_TRUE(r.sessions.on_deadline(r.now).empty()) << i;
  }
  EXPECT_EQ(r.run_until(bob_last + 60s), std::vector<SessionKey>{kCall});
}

TEST(RelaySessions, ASideThatNeverSendsEndsTheSessionAfterTheTimeoutFromTheAnswer) {
  Relay r;
  r.call();
  const TimePoint answered = r.now;
  for (int i = 0; i < 59; ++i) {
    r.now += 1s;
    (void)r.rtp_from(kAliceSdp, r.ports.a.rtp);
  }
  EXPECT_TRUE(r.sessions.on_deadline(answered + 60s - 1ns).empty());
  EXPECT_EQ(r.run_until(answered + 60s), std::vector<SessionKey>{kCall});
}

TEST(RelaySessions, ForeignPacketsDoNotKeepASessionAlive) {
  Relay r;
  r.call();
  const TimePoint answered = r.now;
  for (int i = 0; i < 59; ++i) {
    r.now += 1s;
    (void)r.rtp_from(kHijacker, r.ports.a.rtp);
  }
  EXPECT_EQ(r.run_until(answered + 60s), std::vector<SessionKey>{kCall});
}

TEST(RelaySessions, HoldPausesTheInactivityTimeoutUntilTheHoldTimeout) {
  Relay r;
  r.call();
  r.now = at_ms(10'000);
  LegMedia hold = media(kAliceSdp);
  hold.direction = Direction::SendOnly;  // Alice holds Bob (RFC 3264 §8.4)
  ASSERT_TRUE(r.sessions.update(r.now, kCall, Side::A, hold).has_value());
  const TimePoint held = r.now;
  EXPECT_TRUE(r.run_until(held + 10min).empty());
  EXPECT_TRUE(r.run_until(held + 1h - 1ns).empty());
  EXPECT_EQ(r.run_until(held + 1h), std::vector<SessionKey>{kCall});
}

TEST(RelaySessions, ResumingFromHoldRestartsTheInactivityTimeout) {
  Relay r;
  r.call();
  LegMedia hold = media(kAliceSdp);
  hold.direction = Direction::Inactive;
  ASSERT_TRUE(r.sessions.update(r.now, kCall, Side::A, hold).has_value());
  EXPECT_TRUE(r.run_until(r.now + 30min).empty());
  ASSERT_TRUE(r.sessions.update(r.now, kCall, Side::A, media(kAliceSdp)).has_value());
  const TimePoint resumed = r.now;
  EXPECT_TRUE(r.run_until(resumed + 60s - 1ns).empty());
  EXPECT_EQ(r.run_until(resumed + 60s), std::vector<SessionKey>{kCall});
}

TEST(RelaySessions, AcceptedRtpIsCountedIntoTheSidesStreamStatistics) {
  Relay r;
  r.call();
  for (int i = 0; i < 10; ++i) {
    (void)r.rtp_from(kAliceSdp, r.ports.a.rtp);
    r.now += 20ms;
  }
  const StreamStats& stats = r.leg(Side::A).rtp_stats;
  EXPECT_EQ(stats.packets(), 10u);
  EXPECT_EQ(stats.received(), 9u);  // the first was on probation (RFC 3550 A.1)
  EXPECT_EQ(stats.lost(), 0);
  EXPECT_EQ(r.leg(Side::A).last_packet, r.now - 20ms);
  EXPECT_EQ(r.leg(Side::B).rtp_stats.packets(), 0u);
}

}  // namespace
}  // namespace resproxy::media::relay
