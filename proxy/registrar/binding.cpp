#include "proxy/registrar/binding.h"

#include <array>
#include <charconv>
#include <vector>

#include "proxy/sip/text.h"

namespace resproxy::registrar {

namespace {

constexpr std::string_view kFormat = "b3";         // wall-clock times, revision
constexpr std::string_view kUnrevisedFormat = "b2";  // wall-clock times, no revision
constexpr std::string_view kLegacyFormat = "b1";     // steady-clock times (binding.h)

template <typename Int>
std::string_view format_int(Int value, std::array<char, 24>& buffer) {
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  (void)ec;  // 24 characters hold any 64-bit integer
  return {buffer.data(), static_cast<std::size_t>(end - buffer.data())};
}

void put(std::string& out, std::string_view field) {
  std::array<char, 24> length;
  out += format_int(field.size(), length);
  out += ':';
  out += field;
}

template <typename Int>
void put_int(std::string& out, Int value) {
  std::array<char, 24> text;
  put(out, format_int(value, text));
}

bool take(std::string_view& in, std::string_view& field) {
  const auto colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 10) return false;
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(in.data(), in.data() + colon, n);
  if (ec != std::errc{} || end != in.data() + colon || n > in.size() - colon - 1) return false;
  field = in.substr(colon + 1, n);
  in.remove_prefix(colon + 1 + n);
  return true;
}

template <typename Int>
bool to_int(std::string_view text, Int& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

std::string binding_key(std::string_view user, std::string_view contact) {
  std::string key(kBindingKeyPrefix);
  key += user;
  key += '/';
  key += contact;
  return key;
}

std::string encode_binding(const Binding& b, Duration wall_offset) {
  std::string out;
  out.reserve(128 + b.contact.size() + b.call_id.size());
  put(out, kFormat);
  put(out, b.user);
  put(out, b.domain);
  put(out, b.contact);
  put(out, b.call_id);
  put_int(out, b.cseq);
  put_int(out, to_ns(b.expires_at + wall_offset));
  put_int(out, to_ns(b.registered_at + wall_offset));
  put_int(out, b.sequence);
  put(out, sip::text::lowercase(resproxy::to_string(b.source.transport)));
  put(out, b.source.local.ip);
  put_int(out, b.source.local.port);
  put(out, b.source.remote.ip);
  put_int(out, b.source.remote.port);
  put(out, b.user_agent);
  put(out, b.from_itsp ? "itsp" : "local");
  put_int(out, b.revision);
  return out;
}

std::optional<Binding> decode_binding(std::string_view in, Duration wall_offset, bool* legacy) {
  std::vector<std::string_view> f;
  std::string_view field;
  while (!in.empty()) {
    if (!take(in, field)) return std::nullopt;
    f.push_back(field);
  }
  // b1/b2: 15 fields (written before the origin field existed: local) or 16; b3: 17.
  const bool revised = f.size() == 17 && f[0] == kFormat;
  const bool earlier = (f.size() == 15 || f.size() == 16) && (f[0] == kUnrevisedFormat || f[0] == kLegacyFormat);
  if (!revised && !earlier) return std::nullopt;
  const bool old = f[0] == kLegacyFormat;
  if (legacy != nullptr) *legacy = old;
  if (old) wall_offset = Duration::zero();
  Binding b;
  b.user = f[1];
  b.domain = f[2];
  b.contact = f[3];
  b.call_id = f[4];
  std::int64_t expires = 0, registered = 0;
  std::uint16_t local_port = 0, remote_port = 0;
  if (!to_int(f[5], b.cseq) || !to_int(f[6], expires) || !to_int(f[7], registered) ||
      !to_int(f[8], b.sequence) || !to_int(f[11], local_port) || !to_int(f[13], remote_port)) {
    return std::nullopt;
  }
  if (f[9] != "tcp" && f[9] != "udp" && f[9] != "tls") return std::nullopt;
  b.expires_at = from_ns(expires) - wall_offset;
  b.registered_at = from_ns(registered) - wall_offset;
  // A TCP connection does not survive a restart: the stream id is left 0 and calls open a new
  // connection (or wait for the phone to reconnect and re-register).
  b.source = Path{f[9] == "tls" ? Transport::Tls : f[9] == "tcp" ? Transport::Tcp : Transport::Udp, Address{std::string(f[10]), local_port},
                  Address{std::string(f[12]), remote_port}, StreamId{}};
  b.user_agent = f[14];
  if (f.size() >= 16) {
    if (f[15] != "itsp" && f[15] != "local") return std::nullopt;
    b.from_itsp = f[15] == "itsp";
  }
  if (revised && !to_int(f[16], b.revision)) return std::nullopt;
  return b;
}

bool supersedes(const Binding& a, const Binding& b) {
  if (a.revision != b.revision) return a.revision > b.revision;
  if (a.registered_at != b.registered_at) return a.registered_at > b.registered_at;
  return a.expires_at > b.expires_at;
}

}  // namespace resproxy::registrar
