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
//   - the reply cache stays within its count and byte bounds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/base/rng.h"
#include "proxy/media/ng/bencode.h"
#include "proxy/media/ng/ng_auth.h"
#include "proxy/media/ng/ng_message.h"
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view whole(reinterpret_cast<const char*>(data), size);
  check_bencode(whole);
  check_datagram(whole);
  check_auth(data, size);
  return 0;
}
