// The sharded relay's control front (proxy/media/ng/ng_shards.h) over real NgServers, one per
// shard, each with its share of the port range: a call's every request reaches the shard that
// holds it, `list` gathers the call-ids of all shards (signed when the request was, refused as
// a whole when the shards refuse it), and the port range is cut without overlap or loss.
#include "proxy/media/ng/ng_shards.h"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "proxy/media/ng/ng_message.h"
#include "proxy/media/ng/ng_server.h"
#include "proxy/native/openssl_crypto.h"
#include "tests/unit/media/ng/ng_test_support.h"

namespace resproxy::media::ng {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kUnix = 1'800'000'000;
const Address kProxy{"127.0.0.1", 5060};
const Address kStranger{"198.51.100.66", 4000};

std::string sdp_at(const std::string& ip, std::uint16_t port) {
  return "v=0\r\no=- 1 1 IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\nm=audio " +
         std::to_string(port) + " RTP/AVP 0\r\n";
}

std::string result_of(const std::string& datagram) {
  auto m = parse_datagram(datagram);
  if (!m) return "unparsed";
  const Value* v = m->dict.find("result");
  return v != nullptr && v->string() != nullptr ? *v->string() : "";
}

std::vector<std::string> calls_of(const std::string& datagram) {
  std::vector<std::string> out;
  auto m = parse_datagram(datagram);
  if (!m) return out;
  if (const Value* calls = m->dict.find("calls"); calls != nullptr && calls->list() != nullptr) {
    for (const Value& v : *calls->list()) out.push_back(*v.string());
  }
  return out;
}

// Three shards and the front's routing, as resproxy-media wires them (media_shards.cpp), with
// the sockets replaced by calls.
struct ShardedRelay {
  static constexpr std::size_t kShards = 3;
  SeededRng rng{7};
  SeededRng front_rng{8};
  TimePoint now{std::chrono::seconds(100)};
  std::vector<std::unique_ptr<NgServer>> shards;
  std::optional<NgSigner> signer;
  std::unique_ptr<ListGather> gather;
  std::vector<relay::PortRange> ranges = split_port_range(relay::PortRange{30000, 30599}, kShards);

  explicit ShardedRelay(std::string secret = {}) {
    for (std::size_t i = 0; i < kShards; ++i) {
      NgServerConfig c;
      c.relay.ipv4_address = "192.0.2.1";
      c.relay.ipv4_ports = ranges.at(i);
      c.trusted = {*IpRange::parse("127.0.0.0/8")};
      c.secret = secret;
      shards.push_back(std::make_unique<NgServer>(c, native::openssl_crypto(), rng));
    }
    if (!secret.empty()) signer.emplace(secret, native::openssl_crypto(), front_rng);
    gather = std::make_unique<ListGather>(kShards, signer ? &*signer : nullptr);
  }
  Duration wall() const { return std::chrono::seconds(kUnix) + (now.time_since_epoch() - 100s); }

  // What the client hears back for one datagram (none: nothing sent).
  std::optional<std::string> send(const Address& source, const std::string& datagram) {
    const ControlRoute route = route_control(datagram, kShards);
    if (route.kind == ControlRoute::Kind::One) {
      return shards.at(route.shard)->on_control(now, wall(), source, datagram);
    }
    if (!gather->begin(now, source, datagram)) return std::nullopt;
    std::optional<std::string> merged;
    for (auto& shard : shards) {
      const auto reply = shard->on_control(now, wall(), source, datagram);
      if (!reply) continue;
      auto taken = gather->take_reply(now, wall(), source, *reply);
      EXPECT_TRUE(taken.gathered);
      if (taken.merged) merged = std::move(taken.merged);
    }
    return merged;
  }
  std::size_t calls() const {
    std::size_t n = 0;
    for (const auto& s : shards) n += s->calls();
    return n;
  }
};

TEST(NgShards, ACallIdHashesToTheSameShardAlwaysAndCallsSpreadEvenly) {
  EXPECT_EQ(shard_of("abc@host", 4), shard_of("abc@host", 4));
  EXPECT_EQ(shard_of("anything", 1), 0u);
  // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c: fixed across builds, so tests can predict a shard.
  EXPECT_EQ(shard_of("a", 1'000'000'007), 0xaf63dc4c8601ec8cULL % 1'000'000'007ULL);
  std::array<int, 4> per{};
  for (int i = 0; i < 4000; ++i) ++per.at(shard_of("call-" + std::to_string(i) + "@10.0.0.1", 4));
  for (const int n : per) {
    EXPECT_GT(n, 850);
    EXPECT_LT(n, 1150);
  }
}

TEST(NgShards, ThePortRangeIsCutIntoWholePairsWithoutOverlapOrLoss) {
  const auto parts = split_port_range(relay::PortRange{20001, 29999}, 4);
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts.front().min, 20002);  // the first whole even/odd pair
  EXPECT_EQ(parts.back().max, 29999);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ(parts[i].min % 2, 0);
    EXPECT_GT(parts[i].max, parts[i].min);
    if (i > 0) {
      EXPECT_EQ(parts[i].min, parts[i - 1].max + 1);
    }
  }
  EXPECT_TRUE(split_port_range(relay::PortRange{30000, 30005}, 4).empty());  // 3 pairs, 4 shards
  EXPECT_EQ(split_port_range(relay::PortRange{30000, 30007}, 4).size(), 4u);
  EXPECT_TRUE(split_port_range(relay::PortRange{30001, 30001}, 1).empty());
  EXPECT_TRUE(split_port_range(relay::PortRange{30000, 30001}, 0).empty());
}

TEST(NgShards, ListGoesToEveryShardCallsToTheirsAndTheRestToShardZero) {
  const auto route = [](const Dict& d) { return route_control(build_datagram("c1", d), 4); };
  EXPECT_EQ(route(Dict{{"command", "list"}}).kind, ControlRoute::Kind::All);
  const ControlRoute offer = route(Dict{{"command", "offer"}, {"call-id", "x@y"}, {"from-tag", "t"}});
  EXPECT_EQ(offer.kind, ControlRoute::Kind::One);
  EXPECT_EQ(offer.shard, shard_of("x@y", 4));
  EXPECT_EQ(route(Dict{{"command", "delete"}, {"call-id", "x@y"}}).shard, shard_of("x@y", 4));
  EXPECT_EQ(route(Dict{{"command", "ping"}}).shard, 0u);
  EXPECT_EQ(route_control("c1 d7:command", 4).shard, 0u);  // undecodable: shard 0 answers the error
  EXPECT_EQ(route_control("no-cookie", 4).shard, 0u);
  EXPECT_EQ(route(Dict{{"command", "offer"}, {"call-id", Value(std::int64_t{7})}}).shard, 0u);
}

TEST(NgShards, EveryRequestOfACallReachesTheShardThatHoldsItsPorts) {
  ShardedRelay relay;
  std::set<std::size_t> used;
  int cookie = 0;
  for (int i = 0; i < 30; ++i) {
    const std::string call = "call-" + std::to_string(i);
    const auto offer = relay.send(kProxy, build_datagram("o" + std::to_string(++cookie),
        Dict{{"command", "offer"}, {"call-id", call}, {"from-tag", "ta"}, {"sdp", sdp_at("192.0.2.10", 40000)}}));
    ASSERT_TRUE(offer);
    ASSERT_EQ(result_of(*offer), "ok");
    // The port the offer gave is in the share of the call's shard.
    const std::size_t shard = shard_of(call, ShardedRelay::kShards);
    used.insert(shard);
    const auto parsed = parse_datagram(*offer);
    ASSERT_TRUE(parsed);
    const std::string text = *parsed->dict.find("sdp")->string();
    const auto at = text.find("m=audio ");
    const int port = std::stoi(text.substr(at + 8));
    EXPECT_GE(port, relay.ranges[shard].min);
    EXPECT_LE(port, relay.ranges[shard].max);
    const auto answer = relay.send(kProxy, build_datagram("a" + std::to_string(++cookie),
        Dict{{"command", "answer"}, {"call-id", call}, {"from-tag", "ta"}, {"to-tag", "tb"},
             {"sdp", sdp_at("203.0.113.20", 50000)}}));
    ASSERT_TRUE(answer);
    EXPECT_EQ(result_of(*answer), "ok");
    const auto query = relay.send(kProxy, build_datagram("q" + std::to_string(++cookie),
                                                         Dict{{"command", "query"}, {"call-id", call}}));
    ASSERT_TRUE(query);
    EXPECT_EQ(result_of(*query), "ok");
  }
  EXPECT_EQ(used.size(), ShardedRelay::kShards);
  EXPECT_EQ(relay.calls(), 30u);
  const auto del = relay.send(kProxy, build_datagram("d1", Dict{{"command", "delete"}, {"call-id", "call-7"}, {"from-tag", "ta"}}));
  ASSERT_TRUE(del);
  EXPECT_EQ(result_of(*del), "ok") << *del;
  EXPECT_EQ(relay.calls(), 29u);
  const auto gone = relay.send(kProxy, build_datagram("q-gone", Dict{{"command", "query"}, {"call-id", "call-7"}}));
  EXPECT_EQ(result_of(*gone), "error");
}

TEST(NgShards, ListGathersTheCallIdsOfAllShardsInOrderUpToItsLimit) {
  ShardedRelay relay;
  std::set<std::string> expected;
  for (int i = 0; i < 12; ++i) {
    const std::string call = "c" + std::to_string(10 + i);
    expected.insert(call);
    ASSERT_EQ(result_of(*relay.send(kProxy, build_datagram("o" + std::to_string(i),
        Dict{{"command", "offer"}, {"call-id", call}, {"from-tag", "ta"}, {"sdp", sdp_at("192.0.2.10", 40000)}}))), "ok");
  }
  const auto all = relay.send(kProxy, build_datagram("l1", Dict{{"command", "list"}, {"limit", std::int64_t{100}}}));
  ASSERT_TRUE(all);
  EXPECT_EQ(result_of(*all), "ok");
  EXPECT_EQ(parse_datagram(*all)->cookie, "l1");
  const auto ids = calls_of(*all);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), expected);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  const auto five = relay.send(kProxy, build_datagram("l2", Dict{{"command", "list"}, {"limit", std::int64_t{5}}}));
  EXPECT_EQ(calls_of(*five), (std::vector<std::string>{"c10", "c11", "c12", "c13", "c14"}));
  EXPECT_EQ(relay.gather->pending(), 0u);
}

TEST(NgShards, AnUntrustedListIsRefusedAsAWholeAndAGatherPendingTooLongIsDropped) {
  ShardedRelay relay;
  const auto refused = relay.send(kStranger, build_datagram("l1", Dict{{"command", "list"}}));
  ASSERT_TRUE(refused);
  EXPECT_EQ(result_of(*refused), "error");
  // A shard that never answers (stopped): the gather is forgotten after its timeout, and the
  // client's retransmission meanwhile is not sent to the shards twice.
  ListGather gather(2, nullptr, ListGatherConfig{.max_pending = 1, .timeout = 2s});
  const std::string list = build_datagram("l9", Dict{{"command", "list"}});
  ASSERT_TRUE(gather.begin(relay.now, kProxy, list));
  EXPECT_FALSE(gather.begin(relay.now, kProxy, list));                  // a retransmission
  EXPECT_FALSE(gather.begin(relay.now, kProxy, build_datagram("l8", Dict{{"command", "list"}})));  // full
  const auto one = gather.take_reply(relay.now, relay.wall(), kProxy, build_datagram("l9", list_reply({"a"})));
  EXPECT_TRUE(one.gathered);
  EXPECT_FALSE(one.merged);
  // A reply that is no gather's goes out as it is.
  EXPECT_FALSE(gather.take_reply(relay.now, relay.wall(), kStranger, build_datagram("l9", pong())).gathered);
  relay.now += 3s;
  EXPECT_TRUE(gather.begin(relay.now, kProxy, build_datagram("l8", Dict{{"command", "list"}})));
  EXPECT_EQ(gather.pending(), 1u);
  EXPECT_EQ(gather.dropped(), 3u);  // the retransmission, the one over the bound, the timed-out one
}

TEST(NgShards, ASignedListIsAnsweredWithOneSignedMergedReplyAndItsReplayIsRefused) {
  ShardedRelay relay("shared secret");
  SeededRng client_rng{99};
  NgSigner client("shared secret", native::openssl_crypto(), client_rng);
  for (int i = 0; i < 6; ++i) {
    Dict offer{{"command", "offer"}, {"call-id", "s" + std::to_string(i)}, {"from-tag", "ta"},
               {"sdp", sdp_at("192.0.2.10", 40000)}};
    ASSERT_TRUE(client.sign("o" + std::to_string(i), offer, relay.wall()));
    ASSERT_EQ(result_of(*relay.send(kStranger, build_datagram("o" + std::to_string(i), offer))), "ok");
  }
  Dict list{{"command", "list"}};
  ASSERT_TRUE(client.sign("l1", list, relay.wall()));
  const std::string datagram = build_datagram("l1", list);
  const auto reply = relay.send(kStranger, datagram);
  ASSERT_TRUE(reply);
  auto parsed = parse_datagram(*reply);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(calls_of(*reply).size(), 6u);
  EXPECT_TRUE(check_signature("shared secret", native::openssl_crypto(), "l1", parsed->dict, relay.wall(), 30s));
  // The same signed datagram from elsewhere: every shard has seen its nonce.
  const auto replay = relay.send(Address{"198.51.100.67", 4000}, datagram);
  ASSERT_TRUE(replay);
  EXPECT_EQ(result_of(*replay), "error");
  const auto refused = parse_datagram(*replay);
  ASSERT_TRUE(refused);
  const Value* reason = refused->dict.find("error-reason");
  ASSERT_NE(reason, nullptr);
  EXPECT_EQ(*reason->string(), "Replayed message");
  // Plain ng from the trusted loopback is still run (the trust list is kept beside the secret):
  // its merged reply is plain, as each shard's was.
  const auto plain = relay.send(kProxy, build_datagram("l2", Dict{{"command", "list"}}));
  EXPECT_EQ(result_of(*plain), "ok");
  EXPECT_FALSE(parse_datagram(*plain)->dict.contains("auth"));
}

}  // namespace
}  // namespace resproxy::media::ng
