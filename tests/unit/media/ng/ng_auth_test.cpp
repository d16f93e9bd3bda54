// Authenticated ng control (proxy/media/ng/ng_auth.h) with the real HMAC (OpenSSL): signed
// messages verify; a flipped byte anywhere, a replay, a stale or future timestamp are refused;
// the nonce table stays bounded under a flood without ever accepting a replay; and a client's
// retransmission is answered from the reply cache instead of being refused as a replay.
#include "proxy/media/ng/ng_auth.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "proxy/media/ng/ng_message.h"
#include "proxy/native/openssl_crypto.h"
#include "tests/unit/media/ng/ng_test_support.h"

namespace resproxy::media::ng {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kNow = 1'700'000'000;  // Unix seconds
constexpr std::string_view kSecret = "correct horse battery staple";

Duration wall(std::int64_t unix_s) { return std::chrono::seconds{unix_s}; }

Dict offer() {
  return Dict{{"command", "offer"},
              {"call-id", "a84b4c76e66710@pc33.office"},
              {"from-tag", "1928301774"},
              {"sdp", "v=0\r\no=- 1 1 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\n"
                      "m=audio 40000 RTP/AVP 8\r\n"},
              {"replace", Value(List{Value("origin"), Value("session-connection")})}};
}

struct AuthFixture {
  SeededRng rng{42};
  const Crypto& crypto = native::openssl_crypto();
  NgSigner signer{std::string(kSecret), crypto, rng};

  NgAuthVerifier verifier(std::size_t max_nonces = 65'536) const {
    return NgAuthVerifier(NgAuthConfig{.secret = std::string(kSecret), .window = 30s, .max_nonces = max_nonces},
                          crypto);
  }
  Dict sign(std::string_view cookie, Dict dict, std::int64_t at = kNow) {
    EXPECT_TRUE(signer.sign(cookie, dict, wall(at)));
    return dict;
  }
  std::string signed_datagram(std::string_view cookie, Dict dict, std::int64_t at = kNow) {
    return build_datagram(cookie, sign(cookie, std::move(dict), at));
  }
};

// Verifies a datagram as the server would after its cache lookup: parse, then verify.
Result<Dict, AuthError> parse_and_verify(NgAuthVerifier& v, std::string_view datagram, std::int64_t at = kNow) {
  const auto m = parse_datagram(datagram);
  if (!m) return unexpected(AuthError::Malformed);
  return v.verify(m->cookie, m->dict, wall(at));
}

TEST(NgAuth, MacInputIsTheCanonicalListOfLabelCookieTsNonceAndDictionary) {
  EXPECT_EQ(auth_mac_input("c1", 5, "ab", Dict{{"command", "ping"}}),
            "l19:resproxy-ng-auth-v12:c1i5e2:abd7:command4:pingee");
}

TEST(NgAuth, SignedRequestVerifiesAndLosesItsAuthKey) {
  AuthFixture f;
  auto v = f.verifier();
  const Dict signed_offer = f.sign("c1", offer());
  const auto r = v.verify("c1", signed_offer, wall(kNow));
  ASSERT_TRUE(r.has_value()) << to_string(r.error());
  EXPECT_EQ(*r, offer());
  EXPECT_EQ(v.remembered_nonces(), 1u);
}

TEST(NgAuth, AuthKeyHasTheDocumentedShapeAndMac) {
  AuthFixture f;
  const Dict d = f.sign("0_2174362119_41", offer());
  const Dict* auth = d.find("auth")->dict();
  ASSERT_NE(auth, nullptr);
  ASSERT_EQ(auth->size(), 3u);
  EXPECT_EQ(*auth->find("ts"), Value(kNow));
  const std::string& nonce = *auth->find("nonce")->string();
  const std::string& mac = *auth->find("mac")->string();
  EXPECT_EQ(nonce.size(), 32u);
  EXPECT_EQ(nonce.find_first_not_of("0123456789abcdef"), std::string::npos);
  // Recompute the MAC from the documented formula.
  const auto raw = f.crypto.hmac_sha256(kSecret, encode(Value(List{Value("resproxy-ng-auth-v1"),
                                                                    Value("0_2174362119_41"), Value(kNow),
                                                                    Value(nonce), Value(offer())})));
  ASSERT_TRUE(raw.has_value());
  std::string hex;
  for (const char c : *raw) {
    static constexpr std::string_view kDigits = "0123456789abcdef";
    hex += kDigits[static_cast<unsigned char>(c) >> 4];
    hex += kDigits[static_cast<unsigned char>(c) & 0xf];
  }
  EXPECT_EQ(mac, hex);
}

TEST(NgAuth, SignedDatagramVerifiesAfterTheWire) {
  AuthFixture f;
  auto v = f.verifier();
  const auto r = parse_and_verify(v, f.signed_datagram("c1", offer()));
  ASSERT_TRUE(r.has_value()) << to_string(r.error());
  EXPECT_EQ(*r, offer());
}

TEST(NgAuth, EveryFlippedByteIsRefused) {
  AuthFixture f;
  const std::string good = f.signed_datagram("0_2174362119_41", offer());
  {
    auto v = f.verifier();
    ASSERT_TRUE(parse_and_verify(v, good).has_value());  // the control: unflipped, it verifies
  }
  int refused_by_mac = 0;
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (const unsigned char bit : {0x01, 0x20}) {
      std::string bad = good;
      bad[i] = static_cast<char>(static_cast<unsigned char>(bad[i]) ^ bit);
      auto v = f.verifier();  // fresh: refused for the flip, not as a replay
      const auto r = parse_and_verify(v, bad);
      EXPECT_FALSE(r.has_value()) << "byte " << i << " ^ " << int{bit} << " accepted";
      if (!r.has_value() && r.error() == AuthError::BadMac) ++refused_by_mac;
    }
  }
  EXPECT_GT(refused_by_mac, 100);  // most flips reach the MAC check (cookie, SDP, ts, nonce…)
}

TEST(NgAuth, TamperedFieldsAreRefusedByTheMac) {
  AuthFixture f;
  const Dict good = f.sign("c1", offer());
  const auto auth_field = [&good](std::string_view key) { return *good.find("auth")->dict()->find(key); };
  const auto with_auth = [&good](std::string_view key, Value value) {
    Dict d = good;
    Dict auth = *d.find("auth")->dict();
    auth.set(std::string(key), std::move(value));
    d.set("auth", Value(auth));
    return d;
  };
  std::string other_nonce = *auth_field("nonce").string();
  other_nonce[0] = other_nonce[0] == '0' ? '1' : '0';
  std::string other_mac = *auth_field("mac").string();
  other_mac[63] = other_mac[63] == '0' ? '1' : '0';
  Dict changed_value = good;
  changed_value.set("from-tag", "1928301775");
  Dict added_key = good;
  added_key.set("ICE", "remove");
  Dict removed_key = good;
  removed_key.erase("replace");

  struct Case {
    std::string_view name;
    std::string cookie;
    Dict dict;
    AuthError want;
  };
  const auto cases = std::to_array<Case>({
      {.name = "another cookie", .cookie = "c2", .dict = good, .want = AuthError::BadMac},
      {.name = "ts + 1", .cookie = "c1", .dict = with_auth("ts", Value(kNow + 1)), .want = AuthError::BadMac},
      {.name = "another nonce", .cookie = "c1", .dict = with_auth("nonce", Value(other_nonce)), .want = AuthError::BadMac},
      {.name = "another mac", .cookie = "c1", .dict = with_auth("mac", Value(other_mac)), .want = AuthError::BadMac},
      {.name = "a value changed", .cookie = "c1", .dict = changed_value, .want = AuthError::BadMac},
      {.name = "a key added", .cookie = "c1", .dict = added_key, .want = AuthError::BadMac},
      {.name = "a key removed", .cookie = "c1", .dict = removed_key, .want = AuthError::BadMac},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto v = f.verifier();
    const auto r = v.verify(c.cookie, c.dict, wall(kNow));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), c.want) << to_string(r.error());
    EXPECT_EQ(v.remembered_nonces(), 0u);  // nothing unauthenticated is remembered
  }
}

TEST(NgAuth, ExactReplayIsRefused) {
  AuthFixture f;
  auto v = f.verifier();
  const std::string datagram = f.signed_datagram("c1", offer());
  ASSERT_TRUE(parse_and_verify(v, datagram).has_value());
  const auto again = parse_and_verify(v, datagram, kNow + 3);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), AuthError::Replayed);
}

TEST(NgAuth, SameNonceUnderAnotherCookieIsRefused) {
  AuthFixture f;
  auto v = f.verifier();
  const Dict first = f.sign("c1", offer());
  ASSERT_TRUE(v.verify("c1", first, wall(kNow)).has_value());
  // Moved to another cookie as it is: the MAC covers the cookie.
  const auto moved = v.verify("c2", first, wall(kNow));
  ASSERT_FALSE(moved.has_value());
  EXPECT_EQ(moved.error(), AuthError::BadMac);
  // Correctly MAC'ed for the other cookie by someone with the secret, reusing the nonce: the
  // nonce table refuses it.
  const std::string nonce = *first.find("auth")->dict()->find("nonce")->string();
  const auto mac = f.crypto.hmac_sha256(kSecret, auth_mac_input("c2", kNow, nonce, offer()));
  ASSERT_TRUE(mac.has_value());
  std::string hex;
  for (const char c : *mac) {
    static constexpr std::string_view kDigits = "0123456789abcdef";
    hex += kDigits[static_cast<unsigned char>(c) >> 4];
    hex += kDigits[static_cast<unsigned char>(c) & 0xf];
  }
  Dict reused = offer();
  reused.set("auth", Value(Dict{{"ts", Value(kNow)}, {"nonce", Value(nonce)}, {"mac", Value(hex)}}));
  ASSERT_TRUE(check_signature(kSecret, f.crypto, "c2", reused, wall(kNow), 30s).has_value());
  const auto r = v.verify("c2", reused, wall(kNow));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), AuthError::Replayed);
}

TEST(NgAuth, TimestampsOutsideTheWindowAreRefused) {
  AuthFixture f;
  struct Case {
    std::string_view name;
    std::int64_t signed_at;
    bool accepted;
  };
  const auto cases = std::to_array<Case>({
      {.name = "now", .signed_at = kNow, .accepted = true},
      {.name = "30 s old", .signed_at = kNow - 30, .accepted = true},
      {.name = "30 s ahead", .signed_at = kNow + 30, .accepted = true},
      {.name = "31 s old", .signed_at = kNow - 31, .accepted = false},
      {.name = "31 s ahead", .signed_at = kNow + 31, .accepted = false},
      {.name = "a day old", .signed_at = kNow - 86'400, .accepted = false},
      {.name = "epoch", .signed_at = 0, .accepted = false},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto v = f.verifier();
    const auto r = v.verify("c1", f.sign("c1", offer(), c.signed_at), wall(kNow));
    EXPECT_EQ(r.has_value(), c.accepted);
    if (!c.accepted && !r.has_value()) {
      EXPECT_EQ(r.error(), AuthError::OutsideWindow);
    }
  }
  // Extreme values from the wire: compared, never subtracted (no overflow).
  for (const std::int64_t ts : {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
    auto v = f.verifier();
    Dict d = offer();
    d.set("auth", Value(Dict{{"ts", Value(ts)}, {"nonce", Value(std::string(32, 'a'))}, {"mac", Value(std::string(64, 'b'))}}));
    const auto r = v.verify("c1", d, wall(kNow));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), AuthError::OutsideWindow);
  }
}

TEST(NgAuth, MalformedAuthIsRefused) {
  const Value nonce(std::string(32, 'a'));
  const Value mac(std::string(64, 'b'));
  const auto with_auth = [](Value auth) {
    Dict d = offer();
    d.set("auth", std::move(auth));
    return d;
  };
  struct Case {
    std::string_view name;
    Dict dict;
    AuthError want;
  };
  const auto cases = std::to_array<Case>({
      {.name = "no auth", .dict = offer(), .want = AuthError::Missing},
      {.name = "auth a string", .dict = with_auth(Value("token")), .want = AuthError::Malformed},
      {.name = "no mac", .dict = with_auth(Value(Dict{{"ts", Value(kNow)}, {"nonce", nonce}})), .want = AuthError::Malformed},
      {.name = "extra key",
       .dict = with_auth(Value(Dict{{"ts", Value(kNow)}, {"nonce", nonce}, {"mac", mac}, {"x", 1}})),
       .want = AuthError::Malformed},
      {.name = "ts a string", .dict = with_auth(Value(Dict{{"ts", "1700000000"}, {"nonce", nonce}, {"mac", mac}})),
       .want = AuthError::Malformed},
      {.name = "uppercase mac",
       .dict = with_auth(Value(Dict{{"ts", Value(kNow)}, {"nonce", nonce}, {"mac", Value(std::string(64, 'B'))}})),
       .want = AuthError::Malformed},
      {.name = "short mac",
       .dict = with_auth(Value(Dict{{"ts", Value(kNow)}, {"nonce", nonce}, {"mac", Value(std::string(63, 'b'))}})),
       .want = AuthError::Malformed},
      {.name = "short nonce",
       .dict = with_auth(Value(Dict{{"ts", Value(kNow)}, {"nonce", Value(std::string(30, 'a'))}, {"mac", mac}})),
       .want = AuthError::Malformed},
      {.name = "odd nonce",
       .dict = with_auth(Value(Dict{{"ts", Value(kNow)}, {"nonce", Value(std::string(33, 'a'))}, {"mac", mac}})),
       .want = AuthError::Malformed},
      {.name = "long nonce",
       .dict = with_auth(Value(Dict{{"ts", Value(kNow)}, {"nonce", Value(std::string(66, 'a'))}, {"mac", mac}})),
       .want = AuthError::Malformed},
      {.name = "nonce not hex",
       .dict = with_auth(Value(Dict{{"ts", Value(kNow)}, {"nonce", Value(std::string(32, 'g'))}, {"mac", mac}})),
       .want = AuthError::Malformed},
  });
  AuthFixture f;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto v = f.verifier();
    const auto r = v.verify("c1", c.dict, wall(kNow));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), c.want);
  }
}

TEST(NgAuth, ReplayFloorRefusesAReplayAfterTheWallClockStepsBack) {
  AuthFixture f;
  auto v = f.verifier();
  const Dict first = f.sign("c1", offer(), kNow);
  ASSERT_TRUE(v.verify("c1", first, wall(kNow)).has_value());
  // 40 s later the first nonce is forgotten (it can pass no window check)…
  ASSERT_TRUE(v.verify("c2", f.sign("c2", offer(), kNow + 40), wall(kNow + 40)).has_value());
  EXPECT_EQ(v.remembered_nonces(), 1u);
  EXPECT_EQ(v.replay_floor(), kNow);
  // …then the wall clock steps back 35 s: the first message is inside the window again, but
  // at or below the floor.
  const auto r = v.verify("c1", first, wall(kNow + 5));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), AuthError::BelowReplayFloor);
}

TEST(NgAuth, NonceTableStaysBoundedUnder100000DistinctNoncesAndNoReplayPasses) {
  AuthFixture f;
  constexpr std::size_t kMax = 1024;
  auto v = f.verifier(kMax);
  const Dict ping{{"command", "ping"}};
  std::vector<std::pair<std::string, std::int64_t>> samples;  // (datagram, when sent)
  std::int64_t now = kNow;
  for (int i = 0; i < 100'000; ++i) {
    if (i % 500 == 0 && i > 0) ++now;  // 500 messages a second: 200 s in all
    const std::string cookie = "c" + std::to_string(i);
    const std::string datagram = f.signed_datagram(cookie, ping, now);
    const auto r = parse_and_verify(v, datagram, now);
    ASSERT_TRUE(r.has_value()) << i << ": " << to_string(r.error());
    ASSERT_LE(v.remembered_nonces(), kMax);
    if (i % 1000 == 0 || i >= 100'000 - 10) samples.emplace_back(datagram, now);
  }
  EXPECT_EQ(v.remembered_nonces(), kMax);
  ASSERT_TRUE(v.replay_floor().has_value());
  EXPECT_LT(*v.replay_floor(), now);  // 500 a second fit: fresh messages still pass
  // Replays of old, evicted and remembered messages: every one refused.
  int outside = 0;
  int floor = 0;
  int replayed = 0;
  for (const auto& [datagram, sent] : samples) {
    const auto r = parse_and_verify(v, datagram, now);
    ASSERT_FALSE(r.has_value()) << "replay of a message sent at " << sent << " accepted";
    if (r.error() == AuthError::OutsideWindow) ++outside;
    if (r.error() == AuthError::BelowReplayFloor) ++floor;
    if (r.error() == AuthError::Replayed) ++replayed;
  }
  EXPECT_EQ(outside + floor + replayed, static_cast<int>(samples.size()));
  EXPECT_GT(outside, 0);  // sent more than 30 s ago
  EXPECT_GT(floor, 0);    // inside the window, but evicted: the floor refuses them
  // The last two seconds' 1,000 messages are still remembered (1,024 fit): refused as replays.
  const auto recent = std::count_if(samples.begin(), samples.end(),
                                    [now](const auto& s) { return s.second >= now - 1; });
  EXPECT_EQ(replayed, recent);
  EXPECT_GE(recent, 10);
}

TEST(NgAuth, OverflowWithinOneSecondFailsClosed) {
  AuthFixture f;
  auto v = f.verifier(4);
  std::vector<Dict> sent;
  for (int i = 0; i < 5; ++i) {
    const std::string cookie = "c" + std::to_string(i);
    sent.push_back(f.sign(cookie, offer()));
    ASSERT_TRUE(v.verify(cookie, sent.back(), wall(kNow)).has_value()) << i;
  }
  EXPECT_EQ(v.remembered_nonces(), 4u);
  EXPECT_EQ(v.replay_floor(), kNow);
  // The evicted first message cannot come back…
  const auto replay = v.verify("c0", sent[0], wall(kNow));
  ASSERT_FALSE(replay.has_value());
  EXPECT_EQ(replay.error(), AuthError::BelowReplayFloor);
  // …and neither can fresh ones from the same second (fail closed), until the next second.
  const auto fresh = v.verify("c5", f.sign("c5", offer()), wall(kNow));
  ASSERT_FALSE(fresh.has_value());
  EXPECT_EQ(fresh.error(), AuthError::BelowReplayFloor);
  EXPECT_TRUE(v.verify("c6", f.sign("c6", offer(), kNow + 1), wall(kNow + 1)).has_value());
}

class RefusingCrypto final : public Crypto {
 public:
  std::optional<std::string> hash(Hash, std::string_view) const override { return std::nullopt; }
  std::optional<std::string> hmac_sha256(std::string_view, std::string_view) const override {
    return std::nullopt;
  }
};

TEST(NgAuth, CryptoRefusingHmacSignsNothingAndVerifiesNothing) {
  AuthFixture f;
  RefusingCrypto refusing;
  SeededRng rng(1);
  NgSigner signer(std::string(kSecret), refusing, rng);
  Dict d = offer();
  EXPECT_FALSE(signer.sign("c1", d, wall(kNow)));
  EXPECT_FALSE(d.contains("auth"));
  NgAuthConfig config;
  config.secret = std::string(kSecret);
  NgAuthVerifier v(config, refusing);
  const auto r = v.verify("c1", f.sign("c1", offer()), wall(kNow));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), AuthError::CryptoUnavailable);
}

TEST(NgAuth, CheckSignatureIsStatelessAndNeedsTheSecret) {
  AuthFixture f;
  const Dict d = f.sign("c1", offer());
  const auto a = check_signature(kSecret, f.crypto, "c1", d, wall(kNow), 30s);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->ts, kNow);
  EXPECT_TRUE(check_signature(kSecret, f.crypto, "c1", d, wall(kNow), 30s).has_value());  // again
  const auto wrong = check_signature("another secret", f.crypto, "c1", d, wall(kNow), 30s);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error(), AuthError::BadMac);
}

TEST(NgAuth, AdmitControlAcceptsPlainOnlyFromTrustedSources) {
  struct Case {
    bool configured, has_auth, trusted;
    ControlAdmission want;
  };
  const auto cases = std::to_array<Case>({
      {true, true, true, ControlAdmission::Verify},
      {true, true, false, ControlAdmission::Verify},
      {true, false, true, ControlAdmission::AcceptPlain},
      {true, false, false, ControlAdmission::Refuse},
      {false, true, true, ControlAdmission::AcceptPlain},
      {false, true, false, ControlAdmission::Refuse},
      {false, false, true, ControlAdmission::AcceptPlain},
      {false, false, false, ControlAdmission::Refuse},
  });
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::Message() << c.configured << c.has_auth << c.trusted);
    EXPECT_EQ(admit_control(c.configured, c.has_auth, c.trusted), c.want);
  }
}

// The server's order (ng_auth.h): cache lookup before verification.
struct MiniServer {
  ReplyCache cache;
  NgAuthVerifier verifier;
  int executed = 0;

  std::optional<std::string> handle(TimePoint now, std::int64_t wall_s, const Address& from,
                                    std::string_view datagram) {
    const auto parts = split_datagram(datagram);
    if (!parts) return std::nullopt;
    if (const std::string* cached = cache.find(now, from, parts->cookie)) return *cached;
    const auto m = parse_datagram(datagram);
    if (!m) return build_datagram(m.error().cookie, error_reply(to_string(m.error())));
    const auto verified = verifier.verify(m->cookie, m->dict, wall(wall_s));
    if (!verified) return build_datagram(m->cookie, error_reply(to_string(verified.error())));
    ++executed;
    std::string reply = build_datagram(m->cookie, ok_with_sdp("v=0 run " + std::to_string(executed)));
    cache.insert(now, from, m->cookie, reply);
    return reply;
  }
};

TimePoint at_s(std::int64_t s) { return TimePoint{std::chrono::seconds{s}}; }

TEST(NgAuth, RetransmissionIsAnsweredFromTheReplyCacheNotRefusedAsReplay) {
  AuthFixture f;
  MiniServer server{ReplyCache{}, f.verifier()};
  const Address client{"192.0.2.10", 40123};
  const std::string request = f.signed_datagram("0_2174362119_41", offer());

  const auto first = server.handle(at_s(100), kNow, client, request);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(read_reply(parse_datagram(*first)->dict).result, NgResult::Ok);
  EXPECT_EQ(server.executed, 1);

  // The client heard nothing and sends the same bytes again: same reply, not run again.
  const auto again = server.handle(at_s(102), kNow + 2, client, request);
  EXPECT_EQ(again, first);
  EXPECT_EQ(server.executed, 1);
  // Past the cache, the verifier alone would have called it a replay.
  const auto m = parse_datagram(request);
  const auto direct = server.verifier.verify(m->cookie, m->dict, wall(kNow + 2));
  ASSERT_FALSE(direct.has_value());
  EXPECT_EQ(direct.error(), AuthError::Replayed);
}

TEST(NgAuth, ReplayFromAnotherSourceMissesTheCacheAndIsRefused) {
  AuthFixture f;
  MiniServer server{ReplyCache{}, f.verifier()};
  const std::string request = f.signed_datagram("c1", offer());
  ASSERT_TRUE(server.handle(at_s(100), kNow, Address{"192.0.2.10", 40123}, request).has_value());
  const auto spoofed = server.handle(at_s(101), kNow + 1, Address{"198.51.100.66", 40123}, request);
  ASSERT_TRUE(spoofed.has_value());
  const NgReply reply = read_reply(parse_datagram(*spoofed)->dict);
  EXPECT_EQ(reply.result, NgResult::Error);
  EXPECT_EQ(reply.error_reason, "Replayed message");
  EXPECT_EQ(server.executed, 1);
  // And a late retransmission, after the cache forgot it, is refused, never run twice.
  const auto late = server.handle(at_s(161), kNow + 61, Address{"192.0.2.10", 40123}, request);
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(read_reply(parse_datagram(*late)->dict).result, NgResult::Error);
  EXPECT_EQ(server.executed, 1);
}

TEST(NgAuth, RefusedRequestsAreNotCached) {
  AuthFixture f;
  MiniServer server{ReplyCache{}, f.verifier()};
  const Address client{"192.0.2.10", 40123};
  // A spoofed, unsigned request under the cookie the client is about to use…
  const auto refused = server.handle(at_s(100), kNow, client, build_datagram("c1", offer()));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(server.cache.size(), 0u);
  // …does not poison the client's real request.
  const auto real = server.handle(at_s(101), kNow + 1, client, f.signed_datagram("c1", offer(), kNow + 1));
  ASSERT_TRUE(real.has_value());
  EXPECT_EQ(read_reply(parse_datagram(*real)->dict).result, NgResult::Ok);
}

TEST(ReplyCache, EntriesExpireExactlyAfterTheTtl) {
  ReplyCache cache(ReplyCacheConfig{.ttl = 60s});
  const Address a{"192.0.2.1", 5000};
  cache.insert(at_s(10), a, "c1", "c1 d6:result2:oke");
  ASSERT_NE(cache.find(at_s(70) - 1ns, a, "c1"), nullptr);
  EXPECT_EQ(*cache.find(at_s(70) - 1ns, a, "c1"), "c1 d6:result2:oke");
  EXPECT_EQ(cache.find(at_s(70), a, "c1"), nullptr);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(ReplyCache, KeysAreSourceAndCookie) {
  ReplyCache cache;
  cache.insert(at_s(1), Address{"192.0.2.1", 5000}, "c1", "one");
  EXPECT_EQ(cache.find(at_s(1), Address{"192.0.2.1", 5001}, "c1"), nullptr);
  EXPECT_EQ(cache.find(at_s(1), Address{"192.0.2.2", 5000}, "c1"), nullptr);
  EXPECT_EQ(cache.find(at_s(1), Address{"192.0.2.1", 5000}, "c2"), nullptr);
  EXPECT_NE(cache.find(at_s(1), Address{"192.0.2.1", 5000}, "c1"), nullptr);
}

TEST(ReplyCache, CountIsBoundedOldestEvictedFirst) {
  ReplyCache cache(ReplyCacheConfig{.ttl = 60s, .max_entries = 4'096});
  const Address a{"192.0.2.1", 5000};
  for (int i = 0; i < 5'000; ++i) {
    cache.insert(at_s(1) + std::chrono::milliseconds{i}, a, "c" + std::to_string(i), "reply");
    ASSERT_LE(cache.size(), 4'096u);
  }
  EXPECT_EQ(cache.size(), 4'096u);
  EXPECT_EQ(cache.find(at_s(6), a, "c903"), nullptr);
  EXPECT_NE(cache.find(at_s(6), a, "c904"), nullptr);
  EXPECT_NE(cache.find(at_s(6), a, "c4999"), nullptr);
}

TEST(ReplyCache, BytesAreBoundedAndOversizedRepliesNotStored) {
  ReplyCache cache(ReplyCacheConfig{.ttl = 60s, .max_entries = 100, .max_bytes = 100});
  const Address a{"192.0.2.1", 5000};
  cache.insert(at_s(1), a, "c1", std::string(40, 'x'));
  cache.insert(at_s(1), a, "c2", std::string(40, 'x'));
  cache.insert(at_s(1), a, "c3", std::string(40, 'x'));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.bytes(), 80u);
  EXPECT_EQ(cache.find(at_s(1), a, "c1"), nullptr);
  cache.insert(at_s(1), a, "big", std::string(101, 'x'));
  EXPECT_EQ(cache.find(at_s(1), a, "big"), nullptr);
  EXPECT_EQ(cache.bytes(), 80u);
}

TEST(ReplyCache, InsertReplacesTheSameKey) {
  ReplyCache cache;
  const Address a{"192.0.2.1", 5000};
  cache.insert(at_s(1), a, "c1", "first");
  cache.insert(at_s(2), a, "c1", "second!");
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.bytes(), 7u);
  EXPECT_EQ(*cache.find(at_s(2), a, "c1"), "second!");
  // The replacement's own time counts for expiry.
  EXPECT_NE(cache.find(at_s(61), a, "c1"), nullptr);
  EXPECT_EQ(cache.find(at_s(62), a, "c1"), nullptr);
}

}  // namespace
}  // namespace resproxy::media::ng
