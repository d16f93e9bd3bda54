// libFuzzer target for rtpengine's ng control protocol (proxy/media/ng/): bencode, datagrams,
// requests and authenticated control. Seeds: tests/fuzz/seeds/fuzz_ng (hand-written datagrams).
// For any input:
//   - decode gives a value or an error, never a crash; a decoded value encodes canonically and
//     decodes back to itself (decode → encode → decode), and encoding is idempotent;
//   - parse_datagram gives a message or an error (with the cookie where there is one); a message
//     rebuilds to a datagram that parses to the same message; read_request never crashes;
//   - the verifier never crashes on any dictionary; a dictionary signed by NgSigner verifies;
//     and, over a sequence of signed messages, replays and clock moves chosen by the input, no
//     message is ever accepted twice and the nonce table never exceeds its bound;
//   - the reply cache stays within its count and byte bounds;
//   - the relay's control server (ng_server.h), fed structured requests (offer, answer, re-offer,
//     delete, query, list from a few calls and tags, SDP from templates or raw bytes, trusted or
//     not), raw datagrams, media packets on its ports from anyone, time, deadlines and port
//     failures: every datagram with a cookie gets exactly one reply under that cookie, a port is
//     never opened twice or closed unopened, every forward leaves from an open port, no call is
//     created by an untrusted source, and calls never outnumber what the pool can hold;
//   - resproxy's client (ng_client.h), fed replies of any bytes from its relays and from others,
//     requests, time and deadlines: exactly one outcome per request id, never a completion from
//     a wrong source or, with a secret, from an unsigned reply, and pending stays bounded.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/base/rng.h"
#include "proxy/media/ng/bencode.h"
#include "proxy/media/ng/ng_auth.h"
#include "proxy/media/ng/ng_client.h"
#include "proxy/media/ng/ng_message.h"
#include "proxy/media/ng/ng_server.h"
#include "proxy/native/openssl_crypto.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

using namespace resproxy;
using namespace resproxy::media::ng;

constexpr std::string_view kSecret = "fuzz secret";
constexpr std::int64_t kEpoch = 1'700'000'000;

void check_bencode(std::string_view bytes) {
  const auto v = decode(bytes);
  if (!v) {
    FUZZ_CHECK(v.error().offset <= bytes.size());
    FUZZ_CHECK(!to_string(v.error()).empty());
    return;
  }
  const std::string canonical = encode(*v);
  const auto again = decode(canonical);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *v);
  FUZZ_CHECK(encode(*again) == canonical);
  FUZZ_CHECK(canonical.size() == bytes.size());  // one spelling per value: only key order may differ
}

void check_datagram(std::string_view bytes) {
  const auto m = parse_datagram(bytes);
  if (!m) {
    FUZZ_CHECK(has_cookie(m.error().error) == !m.error().cookie.empty());
    FUZZ_CHECK(!has_cookie(m.error().error) || is_valid_cookie(m.error().cookie));
    FUZZ_CHECK(!to_string(m.error()).empty());
    return;
  }
  FUZZ_CHECK(is_valid_cookie(m->cookie));
  const auto again = parse_datagram(build_datagram(m->cookie, m->dict));
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *m);
  if (const auto r = read_request(m->dict)) {
    FUZZ_CHECK(r->command == command_from_string(r->command_name));
  } else {
    FUZZ_CHECK(!to_string(r.error()).empty());
  }
  (void)read_reply(m->dict);
}

// Signed messages, replays and time, chosen by the input.
void check_auth(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput in(data, size);
  const Crypto& crypto = native::openssl_crypto();
  SeededRng rng(in.u64());
  NgSigner signer(std::string(kSecret), crypto, rng);
  NgAuthConfig config;
  config.secret = std::string(kSecret);
  config.window = std::chrono::seconds{1 + in.byte() % 60};
  config.max_nonces = 1 + in.byte() % 16;
  NgAuthVerifier verifier(config, crypto);
  ReplyCache cache(ReplyCacheConfig{.ttl = std::chrono::seconds{60}, .max_entries = 8, .max_bytes = 512});

  std::int64_t wall_s = kEpoch;
  TimePoint now{};
  std::vector<std::pair<std::string, Dict>> accepted;  // (cookie, signed dict)
  int steps = 0;
  while (!in.empty() && ++steps < 200) {
    const std::uint8_t op = in.byte();
    switch (op % 6) {
      case 0: {  // the wall clock moves, either way (a stepped clock), and core time forwards
        wall_s += static_cast<std::int8_t>(in.byte());
        now += std::chrono::milliseconds{in.byte() * 100};
        break;
      }
      case 1: {  // any bytes as a datagram: never a crash, never a remembered nonce without a MAC
        const auto before = verifier.remembered_nonces();
        if (const auto m = parse_datagram(in.bytes(1024))) {
          const auto r = verifier.verify(m->cookie, m->dict, std::chrono::seconds{wall_s});
          // Without the secret the input cannot forge a MAC; only a signed message adds a nonce.
          FUZZ_CHECK(!r.has_value());
          FUZZ_CHECK(verifier.remembered_nonces() <= before);
        }
        break;
      }
      case 2: {  // a signed message, maybe from a skewed clock; a dictionary from the input
        Dict dict;
        if (const auto v = decode(in.bytes(256)); v && v->dict() != nullptr) dict = *v->dict();
        dict.set("command", "ping");
        const std::string cookie = make_cookie(rng);
        const std::int64_t signed_at = wall_s + static_cast<std::int8_t>(in.byte()) % 40;
        FUZZ_CHECK(signer.sign(cookie, dict, std::chrono::seconds{signed_at}));
        // Through the wire and back: canonical encoding keeps the MAC valid.
        const auto m = parse_datagram(build_datagram(cookie, dict));
        FUZZ_CHECK(m.has_value());
        FUZZ_CHECK(check_signature(kSecret, crypto, cookie, m->dict, std::chrono::seconds{signed_at},
                                   config.window)
                       .has_value());
        const auto r = verifier.verify(cookie, m->dict, std::chrono::seconds{wall_s});
        if (r) {
          accepted.emplace_back(cookie, m->dict);
          Dict without = m->dict;
          without.erase(kAuthKey);
          FUZZ_CHECK(*r == without);
        }
        break;
      }
      case 3: {  // a replay of an accepted message: never accepted again
        if (accepted.empty()) break;
        const auto& [cookie, dict] = accepted[in.byte() % accepted.size()];
        FUZZ_CHECK(!verifier.verify(cookie, dict, std::chrono::seconds{wall_s}).has_value());
        break;
      }
      case 4: {  // reply cache
        const Address source{in.byte() % 2 ? "192.0.2.1" : "2001:db8::1", static_cast<std::uint16_t>(in.byte())};
        const std::string cookie(in.bytes(8));
        if (in.byte() % 2) {
          cache.insert(now, source, cookie, std::string(in.bytes(200)));
        } else {
          (void)cache.find(now, source, cookie);
        }
        FUZZ_CHECK(cache.size() <= 8);
        FUZZ_CHECK(cache.bytes() <= 512);
        break;
      }
      default: {  // a signed message tampered at one byte: refused
        Dict dict{{"command", "delete"}, {"call-id", std::string(in.bytes(16))}};
        const std::string cookie = make_cookie(rng);
        FUZZ_CHECK(signer.sign(cookie, dict, std::chrono::seconds{wall_s}));
        std::string datagram = build_datagram(cookie, dict);
        const std::size_t at = (static_cast<std::size_t>(in.byte()) << 8 | in.byte()) % datagram.size();
        const std::uint8_t flip = in.byte();
        datagram[at] = static_cast<char>(static_cast<std::uint8_t>(datagram[at]) ^ (flip == 0 ? 1 : flip));
        if (const auto m = parse_datagram(datagram)) {
          FUZZ_CHECK(!verifier.verify(m->cookie, m->dict, std::chrono::seconds{wall_s}).has_value());
        }
        break;
      }
    }
    FUZZ_CHECK(verifier.remembered_nonces() <= config.max_nonces);
  }
}


std::string fuzz_sdp(fuzz::FuzzInput& in) {
  const std::uint8_t shape = in.byte();
  if (shape % 8 == 0) return std::string(in.bytes(300));  // anything at all
  static const char* const kAddrs[] = {"192.0.2.10", "10.0.0.5", "2001:db8::5", "0.0.0.0", "203.0.113.9"};
  static const char* const kDirs[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
  const std::string addr = kAddrs[in.byte() % 5];
  const std::string fam = addr.find(':') != std::string::npos ? "IP6" : "IP4";
  std::string sdp = "v=0\r\no=- 1 " + std::to_string(in.byte()) + " IN " + fam + " " + addr +
                    "\r\ns=-\r\nc=IN " + fam + " " + addr + "\r\nt=0 0\r\n";
  const int lines = 1 + in.byte() % 3;
  for (int i = 0; i < lines; ++i) {
    const std::uint16_t port = (in.byte() % 5 == 0) ? 0 : static_cast<std::uint16_t>(40000 + 2 * (in.byte() % 8));
    sdp += "m=audio " + std::to_string(port) + " RTP/AVP 0 8\r\na=" + kDirs[in.byte() % 4] + "\r\n";
    if (in.byte() % 4 == 0) sdp += "a=rtcp-mux\r\n";
    if (in.byte() % 4 == 0) sdp += "a=candidate:1 1 UDP 1 192.0.2.10 40000 typ host\r\n";
  }
  return sdp;
}

void check_server(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput in(data, size);
  SeededRng rng{in.u64()};
  const Crypto& crypto = native::openssl_crypto();
  NgServerConfig config;
  config.relay.ipv4_address = "192.0.2.1";
  config.relay.ipv6_address = "2001:db8::1";
  config.relay.ipv4_ports = media::relay::PortRange{30000, 30015};  // 8 pairs: exhaustion is reachable
  config.relay.ipv6_ports = media::relay::PortRange{30000, 30015};
  config.relay.inactivity_timeout = std::chrono::seconds{5};
  config.relay.hold_timeout = std::chrono::seconds{20};
  config.relay.max_sessions = 6;
  config.trusted = {*IpRange::parse("127.0.0.1")};
  config.cache = ReplyCacheConfig{.ttl = std::chrono::seconds{3}, .max_entries = 16, .max_bytes = 8192};
  NgServer server(config, crypto, rng);
  const Address trusted{"127.0.0.1", 5060};
  const Address stranger{"198.51.100.66", 5060};
  TimePoint now{std::chrono::seconds{1000}};
  std::set<Address> open;
  std::vector<Address> ever;
  const auto apply_ports = [&] {
    for (const auto& c : server.take_port_changes()) {
      if (c.open) {
        FUZZ_CHECK(open.insert(c.local).second);
        ever.push_back(c.local);
      } else {
        FUZZ_CHECK(open.erase(c.local) == 1);
      }
    }
  };
  static const char* const kCommands[] = {"offer", "answer", "delete", "query", "list", "ping", "other"};
  static const char* const kCalls[] = {"c1", "c2", "c3"};
  static const char* const kTags[] = {"ta", "tb", "tc"};
  int steps = 0;
  while (!in.empty() && ++steps < 200) {
    const Duration wall = std::chrono::seconds{kEpoch} + now.time_since_epoch();
    switch (in.byte() % 6) {
      case 0:
      case 1: {  // a structured request
        const std::uint8_t flags = in.byte();
        Dict d{{"command", kCommands[in.byte() % 7]},
               {"call-id", kCalls[in.byte() % 3]},
               {"from-tag", kTags[in.byte() % 3]},
               {"to-tag", kTags[in.byte() % 3]}};
        if (flags & 1) d.set("sdp", fuzz_sdp(in));
        if (flags & 2) d.set("flags", Value(List{Value("trust-address")}));
        if (flags & 4) d.set("address family", (flags & 8) ? "IP6" : "IP4");
        if (flags & 16) d.set("received from", Value(List{Value("IP4"), Value("10.0.0.5")}));
        if (flags & 32) d.set("limit", static_cast<std::int64_t>(in.byte()) - 2);
        const Address& from = (flags & 64) ? stranger : trusted;
        const std::size_t calls_before = server.calls();
        const std::string cookie = "k" + std::to_string(in.byte());
        const auto reply = server.on_control(now, wall, from, build_datagram(cookie, d));
        FUZZ_CHECK(reply.has_value());
        FUZZ_CHECK(reply->starts_with(cookie + " "));
        FUZZ_CHECK(parse_datagram(*reply).has_value());
        if (&from == &stranger) FUZZ_CHECK(server.calls() <= calls_before);
        break;
      }
      case 2: {  // raw bytes
        const std::string_view raw = in.bytes(400);
        const auto reply = server.on_control(now, wall, in.byte() % 2 ? trusted : stranger, raw);
        if (reply) FUZZ_CHECK(parse_datagram(*reply).has_value());
        break;
      }
      case 3: {  // a media packet on one of our ports (or another) from a phone or a stranger
        Address local = ever.empty() || in.byte() % 8 == 0 ? Address{"192.0.2.1", 30000}
                                                            : ever[in.byte() % ever.size()];
        static const char* const kSources[] = {"192.0.2.10", "10.0.0.5", "198.51.100.9", "2001:db8::5"};
        const Address source{kSources[in.byte() % 4], static_cast<std::uint16_t>(40000 + in.byte() % 4)};
        std::string packet(in.bytes(200));
        if (in.byte() % 2 && packet.size() >= 12) packet[0] = static_cast<char>(0x80);
        if (const auto send = server.on_packet(now, local, source, packet)) {
          FUZZ_CHECK(open.contains(send->from));
          FUZZ_CHECK(open.contains(local));
        }
        break;
      }
      case 4: {  // time, and the deadlines it passes
        now += std::chrono::milliseconds{static_cast<std::int64_t>(in.byte()) * 100};
        while (const auto due = server.next_deadline()) {
          if (*due > now) break;
          server.on_deadline(now);
          apply_ports();
          FUZZ_CHECK(!server.next_deadline() || *server.next_deadline() > now);
        }
        break;
      }
      default:  // a port the runtime could not bind
        if (!ever.empty()) server.on_port_failed(now, ever[in.byte() % ever.size()]);
        break;
    }
    apply_ports();
    FUZZ_CHECK(server.calls() <= 8);
    FUZZ_CHECK(open.size() <= 2 * 16 + 2 * 16);
    if (server.calls() == 0) FUZZ_CHECK(open.empty());
  }
}


void check_client(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput in(data, size);
  SeededRng rng{in.u64()};
  const Crypto& crypto = native::openssl_crypto();
  const Address plain{"127.0.0.1", 2223};
  const Address signed_relay{"127.0.0.1", 2224};
  const Address stranger{"198.51.100.66", 2223};
  NgClientConfig config;
  config.relays = {RelayTarget{"plain", plain, 2, ""}, RelayTarget{"signed", signed_relay, 1, std::string(kSecret)},
                   RelayTarget{"spare", Address{"::1", 2225}, 0, ""}};
  config.retransmit_interval = std::chrono::milliseconds{500};
  config.max_tries = 2;
  config.ping_interval = std::chrono::seconds{2};
  config.failures_to_down = 1 + in.byte() % 2;
  config.max_pending = 8;
  NgClient client(config, crypto, rng);
  SeededRng relay_rng{7};
  NgSigner relay_signer(std::string(kSecret), crypto, relay_rng);
  TimePoint now{std::chrono::seconds{10}};
  const auto wall = [&] { return std::chrono::seconds{kEpoch} + now.time_since_epoch(); };
  client.start(now);
  std::set<RequestId> sent;
  std::set<RequestId> done;
  std::vector<NgDatagram> wire;  // what the client sent, for replies under real cookies
  const auto drain = [&] {
    for (auto& d : client.take_datagrams()) {
      FUZZ_CHECK((d.to == plain || d.to == signed_relay || d.to == config.relays[2].address));
      wire.push_back(std::move(d));
      if (wire.size() > 64) wire.erase(wire.begin());
    }
    for (const auto& o : client.take_outcomes()) {
      FUZZ_CHECK(sent.contains(o.id));
      FUZZ_CHECK(done.insert(o.id).second);  // exactly once
    }
    FUZZ_CHECK(client.pending() <= config.max_pending);
  };
  int steps = 0;
  while (!in.empty() && ++steps < 200) {
    switch (in.byte() % 5) {
      case 0: {  // a request to a relay (maybe an index out of range)
        const RelayIndex r = in.byte() % 4;
        sent.insert(client.send(now, wall(), r, Dict{{"command", "offer"}, {"call-id", std::string(in.bytes(8))}}));
        break;
      }
      case 1: {  // a reply under a cookie the client used, from the right or a wrong source
        if (wire.empty()) break;
        const NgDatagram& d = wire[in.byte() % wire.size()];
        const auto parts = split_datagram(d.bytes);
        if (!parts) break;
        Dict reply;
        if (const auto v = decode(in.bytes(128)); v && v->dict() != nullptr) reply = *v->dict();
        if (in.byte() % 2) reply.set("result", in.byte() % 2 ? "ok" : "pong");
        const std::uint8_t how = in.byte();
        if (how & 1) FUZZ_CHECK(relay_signer.sign(parts->cookie, reply, wall()));
        const Address from = (how & 2) ? stranger : d.to;
        const std::size_t before = client.pending();
        client.on_datagram(now, wall(), from, build_datagram(parts->cookie, reply));
        // A wrong source, or an unsigned reply from the signed relay, completes nothing.
        if (from == stranger || (d.to == signed_relay && (how & 1) == 0)) FUZZ_CHECK(client.pending() == before);
        break;
      }
      case 2:  // raw bytes from a relay's address or a stranger's
        client.on_datagram(now, wall(), in.byte() % 2 ? plain : stranger, in.bytes(300));
        break;
      case 3: {  // time
        now += std::chrono::milliseconds{static_cast<std::int64_t>(in.byte()) * 20};
        while (const auto due = client.next_deadline()) {
          if (*due > now) break;
          client.on_deadline(now, wall());
        }
        break;
      }
      default:
        (void)client.pick();
        (void)client.take_relays_down();
        break;
    }
    drain();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view whole(reinterpret_cast<const char*>(data), size);
  check_bencode(whole);
  check_datagram(whole);
  check_auth(data, size);
  check_server(data, size);
  check_client(data, size);
  return 0;
}
