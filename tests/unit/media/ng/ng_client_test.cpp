// resproxy's ng client (proxy/media/ng/ng_client.h) against fake relays that answer like the real
// server would (ReplyCache, then NgAuthVerifier, then a reply, signed when they have a secret),
// with the real HMAC (OpenSSL): weighted picks with exact shares, spares and failover; replies
// matched by cookie and source; retransmission of the same bytes; timeouts, relays going down
// and coming back with a pong; signed requests and the refusal of unsigned or forged replies;
// error replies; the max_pending bound; the order of deadlines; determinism.
#include "proxy/media/ng/ng_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proxy/media/ng/ng_auth.h"
#include "proxy/media/ng/ng_message.h"
#include "proxy/native/openssl_crypto.h"
#include "tests/unit/media/ng/ng_test_support.h"

namespace resproxy::media::ng {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kWallAtZero = 1'700'000'000;  // Unix seconds at core time 0
constexpr std::string_view kSecret = "correct horse battery staple";

const Address kClient{"192.0.2.100", 40000};  // where the proxy's control socket is
const Address kRelayA{"192.0.2.1", 2223};
const Address kRelayB{"192.0.2.2", 2223};
const Address kSpare1{"192.0.2.3", 2223};
const Address kSpare2{"192.0.2.4", 2223};

TimePoint at(std::chrono::milliseconds ms) { return TimePoint{} + ms; }
const TimePoint t0 = at(10'000ms);
// The wall clock, moving with core time.
Duration wall(TimePoint now) { return std::chrono::seconds{kWallAtZero} + now.time_since_epoch(); }

Dict offer(std::string_view call_id = "a84b4c76e66710@pc33.office") {
  return Dict{{"command", "offer"},
              {"call-id", Value(call_id)},
              {"from-tag", "1928301774"},
              {"sdp", "v=0\r\no=- 1 1 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\n"
                      "m=audio 40000 RTP/AVP 8\r\n"}};
}

RelayTarget target(std::string name, Address address, std::uint32_t weight = 1, std::string secret = {}) {
  return RelayTarget{.name = std::move(name), .address = std::move(address), .weight = weight,
                     .secret = std::move(secret)};
}

NgClientConfig config_of(std::vector<RelayTarget> relays) {
  NgClientConfig config;
  config.relays = std::move(relays);
  return config;
}

std::string cookie_of(std::string_view datagram) {
  const auto parts = split_datagram(datagram);
  EXPECT_TRUE(parts.has_value());
  return parts ? std::string(parts->cookie) : std::string();
}

// A relay as the real server (ng_auth.h's order): reply cache by (source, cookie) first, then
// verification when it has a secret (a refusal is answered unsigned and not cached), then the
// command; its replies are signed under the request's cookie when it has a secret.
class FakeRelay {
 public:
  FakeRelay(Address address, std::string secret = {}, std::uint64_t seed = 99)
      : address_(std::move(address)), rng_(seed) {
    if (!secret.empty()) {
      verifier_.emplace(NgAuthConfig{.secret = secret, .window = 30s, .max_nonces = 1024},
                        native::openssl_crypto());
      signer_.emplace(secret, native::openssl_crypto(), rng_);
    }
  }
  FakeRelay(const FakeRelay&) = delete;
  FakeRelay& operator=(const FakeRelay&) = delete;

  const Address& address() const { return address_; }
  bool answering = true;
  // The reply to everything but ping; default: ok with an SDP naming the call-id.
  std::function<Dict(const NgRequest&)> reply_for;

  // The reply datagram to `datagram`, or nullopt when silent.
  std::optional<std::string> handle(TimePoint now, std::string_view datagram) {
    ++received;
    if (!answering) return std::nullopt;
    const auto parts = split_datagram(datagram);
    if (!parts) return std::nullopt;
    if (const std::string* cached = cache_.find(now, kClient, parts->cookie)) {
      ++from_cache;
      return *cached;
    }
    auto m = parse_datagram(datagram);
    if (!m) return build_datagram(m.error().cookie, error_reply(to_string(m.error())));
    Dict dict = m->dict;
    if (verifier_) {
      auto verified = verifier_->verify(m->cookie, dict, wall(now));
      if (!verified) {
        ++refused;
        return build_datagram(m->cookie, error_reply(to_string(verified.error())));
      }
      dict = std::move(*verified);
    }
    requests.push_back(dict);
    const auto request = read_request(dict);
    Dict reply;
    if (!request) {
      reply = error_reply(to_string(request.error()));
    } else if (request->command == NgCommand::Ping) {
      reply = pong();
    } else if (reply_for) {
      reply = reply_for(*request);
    } else {
      reply = ok_with_sdp("v=0 for " + request->call_id);
    }
    if (signer_) {
      EXPECT_TRUE(signer_->sign(m->cookie, reply, wall(now)));
    }
    std::string out = build_datagram(m->cookie, reply);
    cache_.insert(now, kClient, m->cookie, out);
    return out;
  }

  int received = 0;    // datagrams
  int from_cache = 0;  // answered from the reply cache
  int refused = 0;     // refused by the verifier
  std::vector<Dict> requests;  // run (verified, without "auth")

 private:
  Address address_;
  SeededRng rng_;
  ReplyCache cache_;
  std::optional<NgAuthVerifier> verifier_;
  std::optional<NgSigner> signer_;
};

// The client and its relays on a lossless network.
struct Net {
  SeededRng rng{42};
  NgClient client;
  std::deque<FakeRelay> relays;  // stable addresses: the verifier must not be copied

  explicit Net(NgClientConfig config, const Crypto& crypto = native::openssl_crypto())
      : client(std::move(config), crypto, rng) {}

  FakeRelay& relay(const Address& address) {
    for (auto& r : relays) {
      if (r.address() == address) return r;
    }
    ADD_FAILURE() << "no relay at " << address.to_string();
    return relays.front();
  }
  // Delivers the client's datagrams to the relays and every reply back at `now`; returns the
  // datagrams the client sent.
  std::vector<NgDatagram> pump(TimePoint now) {
    auto sent = client.take_datagrams();
    for (const auto& d : sent) {
      for (auto& r : relays) {
        if (r.address() != d.to) continue;
        if (auto reply = r.handle(now, d.bytes)) client.on_datagram(now, wall(now), r.address(), *reply);
      }
    }
    return sent;
  }
  // on_deadline, then pump.
  std::vector<NgDatagram> tick(TimePoint now) {
    client.on_deadline(now, wall(now));
    return pump(now);
  }
};

std::map<RelayIndex, int> count_picks(NgClient& client, int n) {
  std::map<RelayIndex, int> counts;
  for (int i = 0; i < n; ++i) {
    const auto r = client.pick();
    EXPECT_TRUE(r.has_value());
    if (r) ++counts[*r];
  }
  return counts;
}

// --- picking -----------------------------------------------------------------------------------

TEST(NgClient, WeightedSharesAreExactOverEveryCycle) {
  SeededRng rng(1);
  NgClient client(config_of({target("a", kRelayA, 3), target("b", kRelayB, 1)}), native::openssl_crypto(), rng);
  // Smooth: b comes in the middle of a's run, not after it.
  std::vector<RelayIndex> first;
  for (int i = 0; i < 4; ++i) first.push_back(client.pick().value());
  EXPECT_EQ(first, (std::vector<RelayIndex>{0, 0, 1, 0}));
  // Every cycle of 4 has exactly 3 a and 1 b.
  for (int cycle = 0; cycle < 99; ++cycle) {
    const auto counts = count_picks(client, 4);
    ASSERT_EQ(counts.at(0), 3) << "cycle " << cycle;
    ASSERT_EQ(counts.at(1), 1) << "cycle " << cycle;
  }
  // nginx's own example: weights 5, 1, 1 give a a b a c a a.
  NgClient three(config_of({target("a", kRelayA, 5), target("b", kRelayB, 1), target("c", kSpare1, 1)}),
                 native::openssl_crypto(), rng);
  std::vector<RelayIndex> seq;
  for (int i = 0; i < 7; ++i) seq.push_back(three.pick().value());
  EXPECT_EQ(seq, (std::vector<RelayIndex>{0, 0, 1, 0, 2, 0, 0}));
}

TEST(NgClient, WeightedSharesOver400PicksAre75To25) {
  SeededRng rng(1);
  NgClient client(config_of({target("a", kRelayA, 3), target("b", kRelayB, 1)}), native::openssl_crypto(), rng);
  const auto counts = count_picks(client, 400);
  EXPECT_EQ(counts.at(0), 300);
  EXPECT_EQ(counts.at(1), 100);
}

TEST(NgClient, WeightsRestartWhenARelayGoesDown) {
  NgClientConfig config = config_of({target("a", kRelayA), target("b", kRelayB), target("c", kSpare1)});
  config.max_tries = 1;
  SeededRng rng(1);
  NgClient client(config, native::openssl_crypto(), rng);
  EXPECT_EQ(client.pick(), 0u);
  EXPECT_EQ(client.pick(), 1u);
  client.send(t0, wall(t0), 1, offer());
  client.on_deadline(t0 + 1s, wall(t0 + 1s));
  ASSERT_FALSE(client.is_up(1));
  // a and c share evenly from a fresh start; carrying c's credit over would give it two in a row.
  std::vector<RelayIndex> picks;
  for (int i = 0; i < 4; ++i) picks.push_back(client.pick().value());
  EXPECT_EQ(picks, (std::vector<RelayIndex>{0, 2, 0, 2}));
}

TEST(NgClient, SparesOnlyWhenNoWeightedRelayIsUpAndNoneWhenAllAreDown) {
  NgClientConfig config = config_of({target("a", kRelayA, 2), target("b", kRelayB, 1), target("s1", kSpare1, 0),
                                      target("s2", kSpare2, 0)});
  config.max_tries = 1;  // a ping times out retransmit_interval after it was sent
  config.retransmit_interval = 1s;
  config.ping_interval = 5s;
  Net net(config);
  for (const auto& a : {kRelayA, kRelayB, kSpare1, kSpare2}) net.relays.emplace_back(a);

  auto counts = count_picks(net.client, 30);
  EXPECT_EQ(counts[0], 20);
  EXPECT_EQ(counts[1], 10);
  EXPECT_EQ(counts.count(2) + counts.count(3), 0u);  // spares unused while a weighted relay is up

  // a and b stop answering: their pings time out, the spares take over, in turn.
  net.relay(kRelayA).answering = false;
  net.relay(kRelayB).answering = false;
  net.client.start(t0);
  net.tick(t0);
  net.tick(t0 + 1s);
  EXPECT_FALSE(net.client.is_up(0));
  EXPECT_FALSE(net.client.is_up(1));
  EXPECT_TRUE(net.client.is_up(2));
  EXPECT_TRUE(net.client.is_up(3));
  std::vector<RelayIndex> picks;
  for (int i = 0; i < 4; ++i) picks.push_back(net.client.pick().value());
  EXPECT_EQ(picks, (std::vector<RelayIndex>{2, 3, 2, 3}));

  // The spares fail too: nothing left.
  net.relay(kSpare1).answering = false;
  net.relay(kSpare2).answering = false;
  net.tick(t0 + 5s);
  net.tick(t0 + 6s);
  EXPECT_EQ(net.client.pick(), std::nullopt);
  EXPECT_EQ(net.client.take_relays_down(), (std::vector<RelayIndex>{0, 1, 2, 3}));

  // b answers its next ping: b alone, the spares stay unused although one answers again.
  net.relay(kRelayB).answering = true;
  net.relay(kSpare1).answering = true;
  net.tick(t0 + 10s);
  EXPECT_TRUE(net.client.is_up(1));
  EXPECT_TRUE(net.client.is_up(2));
  counts = count_picks(net.client, 5);
  EXPECT_EQ(counts[1], 5);
}

TEST(NgClient, WithoutRelaysNothingIsPickedAndSendingFailsAtOnce) {
  SeededRng rng(1);
  NgClient none(config_of({}), native::openssl_crypto(), rng);
  EXPECT_EQ(none.pick(), std::nullopt);
  none.start(t0);
  EXPECT_EQ(none.next_deadline(), std::nullopt);
  const RequestId id = none.send(t0, wall(t0), 0, offer());
  const auto outcomes = none.take_outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].id, id);
  ASSERT_FALSE(outcomes[0].reply.has_value());
  EXPECT_EQ(outcomes[0].reply.error(), NgFailure::NoRelay);
  EXPECT_TRUE(none.take_datagrams().empty());
  EXPECT_EQ(none.counters().no_relay, 1u);

  NgClient one(config_of({target("a", kRelayA)}), native::openssl_crypto(), rng);
  const RequestId bad = one.send(t0, wall(t0), 5, offer());
  const auto o = one.take_outcomes();
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].id, bad);
  EXPECT_EQ(o[0].relay, 5u);
  EXPECT_EQ(o[0].reply.error(), NgFailure::NoRelay);
  EXPECT_FALSE(one.is_up(5));
}

// --- requests and replies ----------------------------------------------------------------------

TEST(NgClient, ReplyUnderTheRequestCookieCompletesIt) {
  Net net(config_of({target("a", kRelayA), target("b", kRelayB)}));
  net.relays.emplace_back(kRelayA);
  net.relays.emplace_back(kRelayB);
  const RequestId first = net.client.send(t0, wall(t0), 1, offer("call-1"));
  const RequestId second = net.client.send(t0, wall(t0), 0, offer("call-2"));
  EXPECT_NE(first, second);
  EXPECT_EQ(net.client.pending(), 2u);
  EXPECT_TRUE(net.client.take_outcomes().empty());  // nothing before the replies

  const auto sent = net.pump(t0 + 20ms);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].to, kRelayB);
  EXPECT_EQ(sent[1].to, kRelayA);
  const std::string cookie = cookie_of(sent[0].bytes);
  EXPECT_EQ(cookie.size(), 16u);
  EXPECT_EQ(cookie.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(cookie, cookie_of(sent[1].bytes));
  EXPECT_EQ(parse_datagram(sent[0].bytes)->dict, offer("call-1"));  // sent as given, unsigned

  const auto outcomes = net.client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].id, first);
  EXPECT_EQ(outcomes[0].relay, 1u);
  ASSERT_TRUE(outcomes[0].reply.has_value());
  EXPECT_EQ(outcomes[0].reply->result, NgResult::Ok);
  EXPECT_EQ(outcomes[0].reply->sdp, "v=0 for call-1");
  EXPECT_EQ(outcomes[0].dict, ok_with_sdp("v=0 for call-1"));
  EXPECT_EQ(outcomes[1].id, second);
  EXPECT_EQ(outcomes[1].reply->sdp, "v=0 for call-2");
  EXPECT_EQ(net.client.pending(), 0u);
  EXPECT_EQ(net.client.counters().replies, 2u);
  EXPECT_EQ(net.client.relay_status(1).last_reply, t0 + 20ms);
  EXPECT_EQ(net.client.relay_status(1).replies, 1u);
  EXPECT_EQ(net.client.next_deadline(), std::nullopt);  // nothing to retransmit, not started
}

TEST(NgClient, RetransmitsTheSameBytesAtTheIntervalThenTimesOutAndTheRelayGoesDown) {
  NgClientConfig config = config_of({target("a", kRelayA), target("b", kRelayB)});
  config.retransmit_interval = 500ms;
  config.max_tries = 3;
  SeededRng rng(3);
  NgClient client(config, native::openssl_crypto(), rng);
  const RequestId id = client.send(t0, wall(t0), 0, offer());
  const auto first = client.take_datagrams();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].to, kRelayA);

  EXPECT_EQ(client.next_deadline(), t0 + 500ms);
  client.on_deadline(t0 + 499ms, wall(t0 + 499ms));
  EXPECT_TRUE(client.take_datagrams().empty());
  for (const TimePoint when : {t0 + 500ms, t0 + 1000ms}) {
    client.on_deadline(when, wall(when));
    const auto again = client.take_datagrams();
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].to, kRelayA);
    EXPECT_EQ(again[0].bytes, first[0].bytes);  // same cookie, same bytes
    EXPECT_EQ(client.next_deadline(), when + 500ms);
    EXPECT_TRUE(client.take_outcomes().empty());
  }
  client.on_deadline(t0 + 1499ms, wall(t0 + 1499ms));
  EXPECT_TRUE(client.take_outcomes().empty());
  EXPECT_TRUE(client.is_up(0));

  client.on_deadline(t0 + 1500ms, wall(t0 + 1500ms));  // the last try + retransmit_interval
  EXPECT_TRUE(client.take_datagrams().empty());          // no fourth send
  const auto outcomes = client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].id, id);
  EXPECT_EQ(outcomes[0].relay, 0u);
  EXPECT_EQ(outcomes[0].reply.error(), NgFailure::Timeout);
  EXPECT_FALSE(client.is_up(0));
  EXPECT_EQ(client.take_relays_down(), std::vector<RelayIndex>{0});
  EXPECT_TRUE(client.take_relays_down().empty());  // reported once
  EXPECT_EQ(client.counters().requests, 1u);
  EXPECT_EQ(client.counters().retransmissions, 2u);
  EXPECT_EQ(client.counters().timeouts, 1u);
  EXPECT_EQ(client.counters().relays_down, 1u);
  EXPECT_EQ(client.relay_status(0).consecutive_failures, 1u);
  EXPECT_EQ(client.relay_status(0).pending, 0u);
  EXPECT_EQ(client.next_deadline(), std::nullopt);
  // New calls go to b only.
  const auto counts = count_picks(client, 10);
  EXPECT_EQ(counts.count(0), 0u);
  EXPECT_EQ(counts.at(1), 10);
}

TEST(NgClient, RetransmissionIsAnsweredFromTheRelaysCacheAndTheDuplicateReplyIsIgnored) {
  NgClientConfig config = config_of({target("a", kRelayA)});
  Net net(config);
  net.relays.emplace_back(kRelayA);
  const RequestId id = net.client.send(t0, wall(t0), 0, offer());
  // The relay's reply is lost on the way back.
  const auto sent = net.client.take_datagrams();
  ASSERT_EQ(sent.size(), 1u);
  const auto lost = net.relay(kRelayA).handle(t0, sent[0].bytes);
  ASSERT_TRUE(lost.has_value());
  // The retransmission is answered from the relay's cache (run once) and completes the request.
  net.tick(t0 + 1s);
  EXPECT_EQ(net.relay(kRelayA).from_cache, 1);
  EXPECT_EQ(net.relay(kRelayA).requests.size(), 1u);
  auto outcomes = net.client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].id, id);
  EXPECT_TRUE(outcomes[0].reply.has_value());
  // The first reply arrives late: ignored, no second outcome.
  net.client.on_datagram(t0 + 1100ms, wall(t0 + 1100ms), kRelayA, *lost);
  EXPECT_TRUE(net.client.take_outcomes().empty());
  EXPECT_EQ(net.client.counters().ignored_for(NgIgnored::UnknownCookie), 1u);
  EXPECT_EQ(net.client.counters().replies, 1u);
  EXPECT_EQ(net.client.counters().retransmissions, 1u);
}

TEST(NgClient, RepliesFromAWrongSourceWithAnUnknownCookieOrUndecodableAreIgnoredAndCounted) {
  Net net(config_of({target("a", kRelayA), target("b", kRelayB)}));
  const RequestId id = net.client.send(t0, wall(t0), 0, offer());
  const auto sent = net.client.take_datagrams();
  ASSERT_EQ(sent.size(), 1u);
  const std::string cookie = cookie_of(sent[0].bytes);
  const std::string good = build_datagram(cookie, ok_with_sdp("v=0 real"));
  std::string other_cookie = cookie;
  other_cookie[0] = other_cookie[0] == '0' ? '1' : '0';

  struct Case {
    std::string_view name;
    Address source;
    std::string bytes;
    NgIgnored want;
  };
  const std::vector<Case> cases = {
      {"another relay", kRelayB, good, NgIgnored::WrongSource},
      {"another port", Address{kRelayA.ip, 2224}, good, NgIgnored::WrongSource},
      {"another host", Address{"198.51.100.66", kRelayA.port}, good, NgIgnored::WrongSource},
      {"unknown cookie", kRelayA, build_datagram(other_cookie, ok()), NgIgnored::UnknownCookie},
      {"no cookie", kRelayA, "d6:result2:oke", NgIgnored::Undecodable},
      {"not a dictionary", kRelayA, cookie + " i5e", NgIgnored::Undecodable},
      {"truncated", kRelayA, cookie + " d6:result2:o", NgIgnored::Undecodable},
      {"JSON", kRelayA, cookie + " {\"result\":\"ok\"}", NgIgnored::Undecodable},
      {"too large", kRelayA, cookie + " d3:sdp70000:" + std::string(70'000, 'x') + "e", NgIgnored::TooLarge},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto before = net.client.counters().ignored_for(c.want);
    net.client.on_datagram(t0 + 10ms, wall(t0 + 10ms), c.source, c.bytes);
    EXPECT_EQ(net.client.counters().ignored_for(c.want), before + 1);
    EXPECT_TRUE(net.client.take_outcomes().empty());
    EXPECT_EQ(net.client.pending(), 1u);  // still waiting
  }
  EXPECT_EQ(net.client.relay_status(0).replies, 0u);  // ignored datagrams are no sign of life
  EXPECT_EQ(net.client.next_deadline(), t0 + 1s);

  net.client.on_datagram(t0 + 20ms, wall(t0 + 20ms), kRelayA, good);
  const auto outcomes = net.client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].id, id);
  EXPECT_EQ(outcomes[0].reply->sdp, "v=0 real");
  EXPECT_EQ(net.client.pending(), 0u);
}

TEST(NgClient, ErrorReplyGivesTheReasonAndIsNoFailureOfTheRelay) {
  NgClientConfig config = config_of({target("a", kRelayA)});
  config.max_tries = 1;
  config.failures_to_down = 2;
  Net net(config);
  net.relays.emplace_back(kRelayA);
  FakeRelay& relay = net.relay(kRelayA);

  // One timeout: one failure, still up.
  relay.answering = false;
  net.client.send(t0, wall(t0), 0, offer());
  net.pump(t0);
  net.tick(t0 + 1s);
  ASSERT_EQ(net.client.take_outcomes().size(), 1u);
  EXPECT_EQ(net.client.relay_status(0).consecutive_failures, 1u);
  EXPECT_TRUE(net.client.is_up(0));

  // An error reply: an answer, the failures start again from 0.
  relay.answering = true;
  relay.reply_for = [](const NgRequest&) { return error_reply("Unknown call-id"); };
  const RequestId id = net.client.send(t0 + 2s, wall(t0 + 2s), 0, offer());
  net.pump(t0 + 2s);
  auto outcomes = net.client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].id, id);
  ASSERT_FALSE(outcomes[0].reply.has_value());
  EXPECT_EQ(outcomes[0].reply.error(), NgFailure::ErrorReply);
  EXPECT_EQ(outcomes[0].error_reason, "Unknown call-id");
  EXPECT_EQ(outcomes[0].dict, error_reply("Unknown call-id"));
  EXPECT_EQ(net.client.relay_status(0).consecutive_failures, 0u);
  EXPECT_EQ(net.client.counters().error_replies, 1u);

  // So one more timeout leaves it up (it would be down after two in a row).
  relay.answering = false;
  net.client.send(t0 + 3s, wall(t0 + 3s), 0, offer());
  net.pump(t0 + 3s);
  net.tick(t0 + 4s);
  ASSERT_EQ(net.client.take_outcomes().size(), 1u);
  EXPECT_TRUE(net.client.is_up(0));
  EXPECT_TRUE(net.client.take_relays_down().empty());

  // Any other result is an ErrorReply too, with a reason that says so.
  relay.answering = true;
  relay.reply_for = [](const NgRequest&) { return Dict{{"result", "weird"}}; };
  net.client.send(t0 + 5s, wall(t0 + 5s), 0, offer());
  net.pump(t0 + 5s);
  relay.reply_for = [](const NgRequest&) { return Dict{{"sdp", "v=0"}}; };
  net.client.send(t0 + 5s, wall(t0 + 5s), 0, offer());
  net.pump(t0 + 5s);
  outcomes = net.client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].reply.error(), NgFailure::ErrorReply);
  EXPECT_EQ(outcomes[0].error_reason, "unexpected result \"weird\"");
  EXPECT_EQ(outcomes[1].reply.error(), NgFailure::ErrorReply);
  EXPECT_EQ(outcomes[1].error_reason, "reply without a result");
}

TEST(NgClient, MaxPendingRefusesAtOnceAndPingsAreExempt) {
  NgClientConfig config = config_of({target("a", kRelayA)});
  config.max_pending = 2;
  Net net(config);
  const RequestId a = net.client.send(t0, wall(t0), 0, offer("1"));
  net.client.send(t0, wall(t0), 0, offer("2"));
  auto sent = net.client.take_datagrams();
  ASSERT_EQ(sent.size(), 2u);
  const RequestId refused = net.client.send(t0, wall(t0), 0, offer("3"));
  EXPECT_TRUE(net.client.take_datagrams().empty());
  auto outcomes = net.client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].id, refused);
  EXPECT_EQ(outcomes[0].reply.error(), NgFailure::TooManyPending);
  EXPECT_EQ(net.client.counters().too_many_pending, 1u);
  EXPECT_EQ(net.client.pending(), 2u);

  // The ping still goes.
  net.client.start(t0);
  net.client.on_deadline(t0, wall(t0));
  const auto ping = net.client.take_datagrams();
  ASSERT_EQ(ping.size(), 1u);
  EXPECT_EQ(parse_datagram(ping[0].bytes)->dict, (Dict{{"command", "ping"}}));
  EXPECT_EQ(net.client.pending(), 2u);  // pings are not counted
  EXPECT_TRUE(net.client.relay_status(0).ping_pending);

  // One reply makes room for one more.
  net.client.on_datagram(t0 + 10ms, wall(t0 + 10ms), kRelayA, build_datagram(cookie_of(sent[0].bytes), ok()));
  outcomes = net.client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].id, a);
  net.client.send(t0 + 10ms, wall(t0 + 10ms), 0, offer("4"));
  EXPECT_EQ(net.client.take_datagrams().size(), 1u);
  EXPECT_TRUE(net.client.take_outcomes().empty());
  EXPECT_EQ(net.client.pending(), 2u);
}

// --- health ------------------------------------------------------------------------------------

TEST(NgClient, PingsFindADeadRelayAndAPongBringsItBackUp) {
  NgClientConfig config = config_of({target("a", kRelayA), target("b", kRelayB)});
  config.retransmit_interval = 1s;
  config.max_tries = 2;
  config.ping_interval = 5s;
  Net net(config);
  net.relays.emplace_back(kRelayA);
  net.relays.emplace_back(kRelayB);
  net.relay(kRelayA).answering = false;

  EXPECT_EQ(net.client.next_deadline(), std::nullopt);
  net.client.start(t0);
  EXPECT_EQ(net.client.next_deadline(), t0);
  auto sent = net.tick(t0);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].to, kRelayA);
  EXPECT_EQ(sent[1].to, kRelayB);
  EXPECT_EQ(net.client.relay_status(1).last_pong, t0);
  EXPECT_EQ(net.client.next_deadline(), t0 + 1s);
  sent = net.tick(t0 + 1s);  // a's ping again
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kRelayA);
  EXPECT_TRUE(net.client.is_up(0));
  net.tick(t0 + 2s);  // a's ping times out
  EXPECT_FALSE(net.client.is_up(0));
  EXPECT_EQ(net.client.take_relays_down(), std::vector<RelayIndex>{0});
  EXPECT_TRUE(net.client.take_outcomes().empty());  // pings have no outcomes
  EXPECT_EQ(net.client.counters().ping_timeouts, 1u);
  EXPECT_EQ(net.client.counters().pongs, 1u);
  EXPECT_EQ(net.client.relay_status(0).last_pong, std::nullopt);
  EXPECT_EQ(count_picks(net.client, 4).at(1), 4);

  // The next round: a spoofed pong from elsewhere does not bring a back…
  EXPECT_EQ(net.client.next_deadline(), t0 + 5s);
  net.client.on_deadline(t0 + 5s, wall(t0 + 5s));
  const auto pings = net.client.take_datagrams();
  ASSERT_EQ(pings.size(), 2u);
  const std::string a_cookie = cookie_of(pings[0].bytes);
  net.client.on_datagram(t0 + 5s, wall(t0 + 5s), Address{"198.51.100.66", 2223}, build_datagram(a_cookie, pong()));
  EXPECT_FALSE(net.client.is_up(0));
  // …its real pong does.
  net.client.on_datagram(t0 + 5s + 3ms, wall(t0 + 5s), kRelayA, build_datagram(a_cookie, pong()));
  EXPECT_TRUE(net.client.is_up(0));
  EXPECT_EQ(net.client.relay_status(0).last_pong, t0 + 5s + 3ms);
  EXPECT_EQ(net.client.relay_status(0).consecutive_failures, 0u);
  EXPECT_EQ(net.client.counters().relays_up, 1u);
  EXPECT_TRUE(net.client.take_relays_down().empty());
  EXPECT_TRUE(net.client.take_outcomes().empty());
  // Picks alternate again (weights restart from 0).
  std::vector<RelayIndex> picks;
  for (int i = 0; i < 4; ++i) picks.push_back(net.client.pick().value());
  EXPECT_EQ(picks, (std::vector<RelayIndex>{0, 1, 0, 1}));
}

TEST(NgClient, FailuresToDownCountsConsecutiveTimeoutsOfPingsAndRequests) {
  NgClientConfig config = config_of({target("a", kRelayA)});
  config.max_tries = 1;
  config.retransmit_interval = 1s;
  config.ping_interval = 10s;
  config.failures_to_down = 3;
  Net net(config);
  net.relays.emplace_back(kRelayA);
  net.relay(kRelayA).answering = false;
  net.client.start(t0);
  net.tick(t0);                                       // ping
  net.client.send(t0, wall(t0), 0, offer("1"));       // two requests
  net.client.send(t0 + 500ms, wall(t0), 0, offer("2"));
  net.pump(t0 + 500ms);
  net.tick(t0 + 1s);  // the ping and request 1 time out: 2 failures
  EXPECT_EQ(net.client.relay_status(0).consecutive_failures, 2u);
  EXPECT_TRUE(net.client.is_up(0));
  net.tick(t0 + 1500ms);  // request 2: the third
  EXPECT_FALSE(net.client.is_up(0));
  EXPECT_EQ(net.client.take_relays_down(), std::vector<RelayIndex>{0});
  EXPECT_EQ(net.client.take_outcomes().size(), 2u);
}

TEST(NgClient, GoingDownCancelsNothingAndALateAnswerBringsTheRelayBack) {
  NgClientConfig config = config_of({target("a", kRelayA)});
  config.max_tries = 1;
  config.retransmit_interval = 1s;
  Net net(config);
  const RequestId first = net.client.send(t0, wall(t0), 0, offer("1"));
  const RequestId second = net.client.send(t0 + 500ms, wall(t0 + 500ms), 0, offer("2"));
  const auto sent = net.client.take_datagrams();
  ASSERT_EQ(sent.size(), 2u);
  net.client.on_deadline(t0 + 1s, wall(t0 + 1s));
  auto outcomes = net.client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].id, first);
  EXPECT_FALSE(net.client.is_up(0));
  EXPECT_EQ(net.client.pending(), 1u);  // the second is still waiting
  // A request to a relay that is down is still sent (a call already on it).
  const RequestId third = net.client.send(t0 + 1s, wall(t0 + 1s), 0, offer("3"));
  EXPECT_EQ(net.client.take_datagrams().size(), 1u);

  net.client.on_datagram(t0 + 1200ms, wall(t0 + 1200ms), kRelayA, build_datagram(cookie_of(sent[1].bytes), ok()));
  outcomes = net.client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].id, second);
  EXPECT_TRUE(outcomes[0].reply.has_value());
  EXPECT_TRUE(net.client.is_up(0));
  EXPECT_EQ(net.client.counters().relays_up, 1u);
  EXPECT_EQ(net.client.pending(), 1u);
  EXPECT_NE(third, second);
}

TEST(NgClient, RelaysDownAreReportedOnceEachUntilTaken) {
  NgClientConfig config = config_of({target("a", kRelayA), target("b", kRelayB)});
  config.max_tries = 1;
  Net net(config);
  const auto down_once = [&net](RelayIndex relay, TimePoint now) {
    net.client.send(now, wall(now), relay, offer());
    EXPECT_EQ(net.client.take_datagrams().size(), 1u);
    net.client.on_deadline(now + 1s, wall(now + 1s));
  };
  down_once(1, t0);
  net.client.send(t0 + 2s, wall(t0 + 2s), 1, offer());
  const auto sent = net.client.take_datagrams();
  ASSERT_EQ(sent.size(), 1u);
  net.client.on_datagram(t0 + 2s, wall(t0 + 2s), kRelayB, build_datagram(cookie_of(sent[0].bytes), ok()));
  EXPECT_TRUE(net.client.is_up(1));
  down_once(1, t0 + 3s);
  down_once(0, t0 + 5s);
  EXPECT_EQ(net.client.counters().relays_down, 3u);
  EXPECT_EQ(net.client.take_relays_down(), (std::vector<RelayIndex>{1, 0}));
  EXPECT_TRUE(net.client.take_relays_down().empty());
}

TEST(NgClient, OnePingOutstandingPerRelayAndEqualDeadlinesRunTimeoutsBeforeNewPings) {
  NgClientConfig config = config_of({target("a", kRelayA)});
  config.retransmit_interval = 1s;
  config.max_tries = 3;      // a ping is in flight for 3 s…
  config.ping_interval = 1s; // …and a round is due every second
  Net net(config);
  net.relays.emplace_back(kRelayA);
  net.relay(kRelayA).answering = false;
  net.client.start(t0);
  auto sent = net.tick(t0);
  ASSERT_EQ(sent.size(), 1u);
  const std::string first_ping = sent[0].bytes;
  for (const TimePoint when : {t0 + 1s, t0 + 2s}) {
    sent = net.tick(when);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].bytes, first_ping);  // a retransmission, no second ping
  }
  EXPECT_EQ(net.client.counters().pings_skipped, 2u);
  // At t0 + 3 s the ping times out and the round is due: the timeout first, so a new ping goes.
  sent = net.tick(t0 + 3s);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_NE(cookie_of(sent[0].bytes), cookie_of(first_ping));
  EXPECT_EQ(parse_datagram(sent[0].bytes)->dict, (Dict{{"command", "ping"}}));
  EXPECT_EQ(net.client.counters().ping_timeouts, 1u);
  EXPECT_EQ(net.client.counters().pings, 2u);
  EXPECT_FALSE(net.client.is_up(0));
}

TEST(NgClient, DeadlinesAreTheEarliestAndEqualOnesRunInIdOrder) {
  NgClientConfig config = config_of({target("a", kRelayA), target("b", kRelayB)});
  config.retransmit_interval = 1s;
  config.max_tries = 3;
  config.ping_interval = 5s;
  SeededRng rng(5);
  NgClient client(config, native::openssl_crypto(), rng);
  EXPECT_EQ(client.next_deadline(), std::nullopt);
  const RequestId r1 = client.send(t0 + 300ms, wall(t0 + 300ms), 1, offer("1"));
  const RequestId r2 = client.send(t0 + 300ms, wall(t0 + 300ms), 0, offer("2"));
  EXPECT_LT(r1, r2);
  EXPECT_EQ(client.next_deadline(), t0 + 1300ms);
  auto sent = client.take_datagrams();
  ASSERT_EQ(sent.size(), 2u);
  const std::string r1_bytes = sent[0].bytes;
  const std::string r2_bytes = sent[1].bytes;

  client.start(t0 + 1s);  // pings due now, before the retransmissions
  EXPECT_EQ(client.next_deadline(), t0 + 1s);
  client.on_deadline(t0 + 999ms, wall(t0 + 999ms));  // early: nothing
  EXPECT_TRUE(client.take_datagrams().empty());
  client.on_deadline(t0 + 1s, wall(t0 + 1s));
  sent = client.take_datagrams();
  ASSERT_EQ(sent.size(), 2u);  // the pings, by relay index
  EXPECT_EQ(sent[0].to, kRelayA);
  EXPECT_EQ(sent[1].to, kRelayB);
  const std::string ping_a = sent[0].bytes;
  const std::string ping_b = sent[1].bytes;
  EXPECT_EQ(client.next_deadline(), t0 + 1300ms);

  // r1 (to b) and r2 (to a) are due together: by id, not by relay.
  client.on_deadline(t0 + 1300ms, wall(t0 + 1300ms));
  sent = client.take_datagrams();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].bytes, r1_bytes);
  EXPECT_EQ(sent[0].to, kRelayB);
  EXPECT_EQ(sent[1].bytes, r2_bytes);
  EXPECT_EQ(client.next_deadline(), t0 + 2s);  // the pings' retransmissions

  // A late wake-up: everything due runs in time order, once — one send each, spaced from now,
  // no burst of copies, no timeout before the last try had its interval, no second ping.
  client.on_deadline(t0 + 20s, wall(t0 + 20s));
  sent = client.take_datagrams();
  std::vector<std::string> bytes;
  for (const auto& d : sent) bytes.push_back(d.bytes);
  EXPECT_EQ(bytes, (std::vector<std::string>{ping_a, ping_b, r1_bytes, r2_bytes}));
  EXPECT_TRUE(client.take_outcomes().empty());
  EXPECT_EQ(client.counters().pings_skipped, 2u);  // the round due at t0 + 6 s
  EXPECT_EQ(client.next_deadline(), t0 + 21s);
  // r1 and r2 were sent at t0 + 0.3 s, 1.3 s and 20 s (their third try), the pings at t0 + 1 s and
  // 20 s. At t0 + 21 s: the pings' third tries and, in id order, r1's and r2's timeouts — so b
  // (r1's relay) goes down before a.
  client.on_deadline(t0 + 21s, wall(t0 + 21s));
  sent = client.take_datagrams();
  bytes.clear();
  for (const auto& d : sent) bytes.push_back(d.bytes);
  EXPECT_EQ(bytes, (std::vector<std::string>{ping_a, ping_b}));
  const auto outcomes = client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].id, r1);
  EXPECT_EQ(outcomes[0].reply.error(), NgFailure::Timeout);
  EXPECT_EQ(outcomes[1].id, r2);
  EXPECT_EQ(client.take_relays_down(), (std::vector<RelayIndex>{1, 0}));
  client.on_deadline(t0 + 22s, wall(t0 + 22s));  // the pings time out
  EXPECT_TRUE(client.take_datagrams().empty());
  EXPECT_EQ(client.counters().ping_timeouts, 2u);
  EXPECT_EQ(client.counters().pings, 2u);
  EXPECT_EQ(client.next_deadline(), t0 + 25s);  // the next round: 5 s after the late one
}

// --- authenticated control ---------------------------------------------------------------------

TEST(NgClient, SignedRequestsCarryAValidAuthAndRetransmissionsKeepIt) {
  Net net(config_of({target("a", kRelayA, 1, std::string(kSecret))}));
  net.client.send(t0, wall(t0), 0, offer());
  const auto sent = net.client.take_datagrams();
  ASSERT_EQ(sent.size(), 1u);
  const auto m = parse_datagram(sent[0].bytes);
  ASSERT_TRUE(m.has_value());
  ASSERT_TRUE(m->dict.contains("auth"));
  EXPECT_EQ(*m->dict.find("auth")->dict()->find("ts"), Value(kWallAtZero + 10));

  NgAuthVerifier right(NgAuthConfig{.secret = std::string(kSecret)}, native::openssl_crypto());
  const auto verified = right.verify(m->cookie, m->dict, wall(t0));
  ASSERT_TRUE(verified.has_value()) << to_string(verified.error());
  EXPECT_EQ(*verified, offer());
  NgAuthVerifier wrong(NgAuthConfig{.secret = "another secret"}, native::openssl_crypto());
  const auto refused = wrong.verify(m->cookie, m->dict, wall(t0));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), AuthError::BadMac);

  net.client.on_deadline(t0 + 1s, wall(t0 + 1s));
  const auto again = net.client.take_datagrams();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].bytes, sent[0].bytes);  // not re-signed: the relay's cache answers it
}

TEST(NgClient, SignedRelayRoundTripThroughTheServerOrder) {
  Net net(config_of({target("a", kRelayA, 1, std::string(kSecret))}));
  net.relays.emplace_back(kRelayA, std::string(kSecret));
  net.client.start(t0);
  const RequestId id = net.client.send(t0, wall(t0), 0, offer());
  net.tick(t0);
  EXPECT_EQ(net.relay(kRelayA).refused, 0);
  EXPECT_EQ(net.relay(kRelayA).requests.size(), 2u);  // the offer and the ping, verified
  const auto outcomes = net.client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].id, id);
  ASSERT_TRUE(outcomes[0].reply.has_value());
  EXPECT_FALSE(outcomes[0].dict.contains("auth"));
  EXPECT_EQ(net.client.counters().pongs, 1u);
  EXPECT_EQ(net.client.counters().ignored_for(NgIgnored::Unsigned) +
                net.client.counters().ignored_for(NgIgnored::BadSignature),
            0u);
}

TEST(NgClient, UnsignedOrForgedRepliesAreIgnoredAndOnlyACorrectlySignedOneCompletes) {
  Net net(config_of({target("a", kRelayA, 1, std::string(kSecret))}));
  const RequestId id = net.client.send(t0, wall(t0), 0, offer());
  const auto sent = net.client.take_datagrams();
  ASSERT_EQ(sent.size(), 1u);
  const std::string cookie = cookie_of(sent[0].bytes);
  const TimePoint now = t0 + 50ms;

  SeededRng relay_rng(7);
  NgSigner right(std::string(kSecret), native::openssl_crypto(), relay_rng);
  NgSigner other(std::string("another secret"), native::openssl_crypto(), relay_rng);
  const Dict reply = ok_with_sdp("v=0 signed");
  const auto signed_by = [&](NgSigner& signer, std::string_view under, Duration when) {
    Dict d = reply;
    EXPECT_TRUE(signer.sign(under, d, when));
    return d;
  };
  Dict flipped = signed_by(right, cookie, wall(now));
  {
    Dict auth = *flipped.find("auth")->dict();
    std::string mac = *auth.find("mac")->string();
    mac[10] = mac[10] == 'a' ? 'b' : 'a';
    auth.set("mac", Value(mac));
    flipped.set("auth", Value(auth));
  }
  std::string another_cookie = cookie;
  another_cookie[3] = another_cookie[3] == '0' ? '1' : '0';

  struct Case {
    std::string_view name;
    Dict dict;
    NgIgnored want;
  };
  const std::vector<Case> cases = {
      {"unsigned", reply, NgIgnored::Unsigned},
      {"unsigned error (the relay refusing our signature)", error_reply("Authentication failed"),
       NgIgnored::Unsigned},
      {"another secret", signed_by(other, cookie, wall(now)), NgIgnored::BadSignature},
      {"a flipped MAC byte", flipped, NgIgnored::BadSignature},
      {"signed under another cookie", signed_by(right, another_cookie, wall(now)), NgIgnored::BadSignature},
      {"signed a minute ago", signed_by(right, cookie, wall(now) - 60s), NgIgnored::BadSignature},
      {"auth malformed", [&] { Dict d = reply; d.set("auth", "token"); return d; }(), NgIgnored::BadSignature},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto before = net.client.counters().ignored_for(c.want);
    net.client.on_datagram(now, wall(now), kRelayA, build_datagram(cookie, c.dict));
    EXPECT_EQ(net.client.counters().ignored_for(c.want), before + 1);
    EXPECT_TRUE(net.client.take_outcomes().empty());
    EXPECT_EQ(net.client.pending(), 1u);
  }
  EXPECT_EQ(net.client.counters().ignored_for(NgIgnored::Unsigned), 2u);
  EXPECT_EQ(net.client.counters().ignored_for(NgIgnored::BadSignature), 5u);

  const std::string good = build_datagram(cookie, signed_by(right, cookie, wall(now)));
  net.client.on_datagram(now, wall(now), kRelayA, good);
  const auto outcomes = net.client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].id, id);
  ASSERT_TRUE(outcomes[0].reply.has_value());
  EXPECT_EQ(outcomes[0].reply->sdp, "v=0 signed");
  EXPECT_EQ(outcomes[0].dict, reply);  // without "auth"
  net.client.on_datagram(now, wall(now), kRelayA, good);  // a duplicate
  EXPECT_TRUE(net.client.take_outcomes().empty());
  EXPECT_EQ(net.client.counters().ignored_for(NgIgnored::UnknownCookie), 1u);
}

TEST(NgClient, RelayWithAnotherSecretRefusesUsAndGoesDown) {
  NgClientConfig config = config_of({target("a", kRelayA, 1, std::string(kSecret))});
  config.max_tries = 2;
  Net net(config);
  net.relays.emplace_back(kRelayA, "the relay's other secret");
  const RequestId id = net.client.send(t0, wall(t0), 0, offer());
  net.pump(t0);
  net.tick(t0 + 1s);
  net.tick(t0 + 2s);
  EXPECT_EQ(net.relay(kRelayA).refused, 2);
  EXPECT_TRUE(net.relay(kRelayA).requests.empty());  // never run
  EXPECT_EQ(net.client.counters().ignored_for(NgIgnored::Unsigned), 2u);
  const auto outcomes = net.client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].id, id);
  EXPECT_EQ(outcomes[0].reply.error(), NgFailure::Timeout);
  EXPECT_FALSE(net.client.is_up(0));
}

class RefusingCrypto final : public Crypto {
 public:
  std::optional<std::string> hash(Hash, std::string_view) const override { return std::nullopt; }
  std::optional<std::string> hmac_sha256(std::string_view, std::string_view) const override {
    return std::nullopt;
  }
};

TEST(NgClient, SigningFailureSendsNothingAndOnlyAPingsCountsAgainstTheRelay) {
  RefusingCrypto refusing;
  Net net(config_of({target("a", kRelayA, 1, std::string(kSecret)), target("b", kRelayB)}), refusing);
  const RequestId id = net.client.send(t0, wall(t0), 0, offer());
  EXPECT_TRUE(net.client.take_datagrams().empty());
  auto outcomes = net.client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].id, id);
  EXPECT_EQ(outcomes[0].reply.error(), NgFailure::SigningFailed);
  EXPECT_TRUE(net.client.is_up(0));
  EXPECT_EQ(net.client.pending(), 0u);
  // The plain relay needs no crypto.
  net.client.send(t0, wall(t0), 1, offer());
  EXPECT_EQ(net.client.take_datagrams().size(), 1u);
  // A ping that cannot be signed: that relay cannot be controlled.
  net.client.start(t0);
  net.client.on_deadline(t0, wall(t0));
  const auto sent = net.client.take_datagrams();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kRelayB);
  EXPECT_FALSE(net.client.is_up(0));
  EXPECT_EQ(net.client.take_relays_down(), std::vector<RelayIndex>{0});
  EXPECT_EQ(net.client.counters().signing_failed, 2u);
}

// --- cookies and determinism -------------------------------------------------------------------

class ConstantRng final : public Rng {
 public:
  std::uint64_t next_u64() override { return 0x0123456789abcdefULL; }
};

TEST(NgClient, CollidingCookiesStayUniqueAndRepliesReachTheirOwnRequest) {
  ConstantRng rng;
  NgClient client(config_of({target("a", kRelayA)}), native::openssl_crypto(), rng);
  const RequestId first = client.send(t0, wall(t0), 0, offer("1"));
  const RequestId second = client.send(t0, wall(t0), 0, offer("2"));
  const auto sent = client.take_datagrams();
  ASSERT_EQ(sent.size(), 2u);
  const std::string c1 = cookie_of(sent[0].bytes);
  const std::string c2 = cookie_of(sent[1].bytes);
  EXPECT_EQ(c1, make_cookie(rng));
  EXPECT_EQ(c2, c1 + "_" + std::to_string(second));
  client.on_datagram(t0, wall(t0), kRelayA, build_datagram(c2, ok_with_sdp("two")));
  client.on_datagram(t0, wall(t0), kRelayA, build_datagram(c1, ok_with_sdp("one")));
  const auto outcomes = client.take_outcomes();
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].id, second);
  EXPECT_EQ(outcomes[0].reply->sdp, "two");
  EXPECT_EQ(outcomes[1].id, first);
  EXPECT_EQ(outcomes[1].reply->sdp, "one");
}

// A scenario with pings, signed and plain requests, a silent relay and timeouts: every datagram
// the client sends, in order.
std::vector<std::string> transcript(std::uint64_t seed) {
  NgClientConfig config = config_of({target("a", kRelayA, 2, std::string(kSecret)), target("b", kRelayB, 1)});
  config.ping_interval = 2s;
  SeededRng rng(seed);
  NgClient client(config, native::openssl_crypto(), rng);
  FakeRelay a(kRelayA, std::string(kSecret));
  std::vector<std::string> out;
  client.start(t0);
  for (int step = 0; step < 20; ++step) {
    const TimePoint now = t0 + std::chrono::milliseconds{700 * step};
    client.on_deadline(now, wall(now));
    if (step % 3 == 0) {
      if (const auto r = client.pick()) client.send(now, wall(now), *r, offer(std::to_string(step)));
    }
    for (const auto& d : client.take_datagrams()) {
      out.push_back(d.to.to_string() + " " + d.bytes);
      if (d.to == kRelayA) {
        if (auto reply = a.handle(now, d.bytes)) client.on_datagram(now, wall(now), kRelayA, *reply);
      }  // b is silent
    }
  }
  return out;
}

TEST(NgClient, SameSeedSameDatagrams) {
  const auto one = transcript(11);
  EXPECT_GT(one.size(), 20u);
  EXPECT_EQ(one, transcript(11));
  EXPECT_NE(one, transcript(12));  // the cookies and nonces come from the Rng
}

}  // namespace
}  // namespace resproxy::media::ng
