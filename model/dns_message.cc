#include "model/dns_message.h"

#include <map>

#include "proxy/security/ip_range.h"

namespace resproxy::model {

std::string_view to_string(DnsWireError error) {
  switch (error) {
    case DnsWireError::Truncated: return "truncated";
    case DnsWireError::BadLabel: return "bad_label";
    case DnsWireError::PointerLoop: return "pointer_loop";
    case DnsWireError::NameTooLong: return "name_too_long";
    case DnsWireError::BadRdata: return "bad_rdata";
    case DnsWireError::TooMany: return "too_many";
    case DnsWireError::BadAddress: return "bad_address";
  }
  return "unknown";
}

namespace {

constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kMaxNameOctets = 255;  // RFC 1035 §2.3.4, as encoded (labels + lengths)
constexpr std::size_t kMaxLabel = 63;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view without_final_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

// --- Reading. ---

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  [[nodiscard]] std::size_t offset() const { return at_; }
  [[nodiscard]] bool has(std::size_t n) const { return n <= bytes_.size() - at_; }

  bool u8(std::uint8_t& out) {
    if (!has(1)) return false;
    out = static_cast<std::uint8_t>(bytes_[at_++]);
    return true;
  }
  bool u16(std::uint16_t& out) {
    if (!has(2)) return false;
    out = static_cast<std::uint16_t>((byte(at_) << 8) | byte(at_ + 1));
    at_ += 2;
    return true;
  }
  bool u32(std::uint32_t& out) {
    if (!has(4)) return false;
    out = (static_cast<std::uint32_t>(byte(at_)) << 24) | (static_cast<std::uint32_t>(byte(at_ + 1)) << 16) |
          (static_cast<std::uint32_t>(byte(at_ + 2)) << 8) | static_cast<std::uint32_t>(byte(at_ + 3));
    at_ += 4;
    return true;
  }
  bool skip(std::size_t n) {
    if (!has(n)) return false;
    at_ += n;
    return true;
  }

  // A possibly compressed name starting at the current offset (RFC 1035 §4.1.4). The reader
  // moves past the name as it is written here (up to and including the first pointer).
  std::optional<DnsWireError> name(std::string& out) {
    out.clear();
    std::size_t pos = at_;
    std::optional<std::size_t> resume;  // where reading goes on after the first pointer
    std::size_t octets = 1;             // the root's zero octet
    int pointers = 0;
    // Pointers must go strictly backwards: each one lands before the one that followed it, so
    // the walk ends; kMaxPointers bounds the work on top of that.
    std::size_t limit = at_;
    for (;;) {
      if (pos >= bytes_.size()) return DnsWireError::Truncated;
      const std::uint8_t length = byte(pos);
      if ((length & 0xC0) == 0xC0) {
        if (pos + 1 >= bytes_.size()) return DnsWireError::Truncated;
        const std::size_t target = (static_cast<std::size_t>(length & 0x3F) << 8) | byte(pos + 1);
        if (!resume) resume = pos + 2;
        if (++pointers > kMaxPointers || target >= limit) return DnsWireError::PointerLoop;
        limit = target;
        pos = target;
        continue;
      }
      if ((length & 0xC0) != 0) return DnsWireError::BadLabel;  // 0x40, 0x80: not in use
      if (length == 0) {
        at_ = resume.value_or(pos + 1);
        return std::nullopt;
      }
      octets += length + 1u;
      if (octets > kMaxNameOctets) return DnsWireError::NameTooLong;
      if (pos + 1 + length > bytes_.size()) return DnsWireError::Truncated;
      if (!out.empty()) out.push_back('.');
      out.append(bytes_.substr(pos + 1, length));
      pos += 1 + length;
    }
  }

 private:
  [[nodiscard]] std::uint8_t byte(std::size_t i) const { return static_cast<std::uint8_t>(bytes_[i]); }

  std::string_view bytes_;
  std::size_t at_ = 0;
};

std::string ipv4_text(std::string_view b) {
  std::string out;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i > 0) out.push_back('.');
    out += std::to_string(static_cast<std::uint8_t>(b[i]));
  }
  return out;
}

// RFC 5952 §4: lower case, no leading zeros, the longest run (two groups or more) of zero
// groups as "::", the first such run when two are equally long.
std::string ipv6_text(std::string_view b) {
  std::uint16_t g[8];
  for (std::size_t i = 0; i < 8; ++i) {
    g[i] = static_cast<std::uint16_t>((static_cast<std::uint8_t>(b[2 * i]) << 8) |
                                      static_cast<std::uint8_t>(b[2 * i + 1]));
  }
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len && j - i >= 2) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out.push_back(':');
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const int digit = (g[i] >> shift) & 0xF;
      if (digit != 0 || started || shift == 0) {
        out.push_back(kHex[digit]);
        started = true;
      }
    }
  }
  return out;
}

std::optional<DnsWireError> read_record(Reader& r, std::string_view bytes, DnsRecord& out) {
  if (auto e = r.name(out.name)) return e;
  std::uint16_t rdlength = 0;
  if (!r.u16(out.type) || !r.u16(out.klass) || !r.u32(out.ttl) || !r.u16(rdlength)) {
    return DnsWireError::Truncated;
  }
  if (out.ttl & 0x80000000u) out.ttl = 0;  // RFC 2181 §8
  if (!r.has(rdlength)) return DnsWireError::Truncated;
  const std::size_t start = r.offset();
  const std::size_t end = start + rdlength;
  switch (out.type) {
    case kDnsTypeA:
      if (rdlength != 4) return DnsWireError::BadRdata;
      out.address = ipv4_text(bytes.substr(start, 4));
      break;
    case kDnsTypeAaaa:
      if (rdlength != 16) return DnsWireError::BadRdata;
      out.address = ipv6_text(bytes.substr(start, 16));
      break;
    case kDnsTypeSrv: {
      if (rdlength < 7) return DnsWireError::BadRdata;  // three u16 and the root at least
      // The target name is read from the whole message (compression is not allowed there by
      // RFC 2782, but resolvers accept it) and must end exactly at the rdata's end.
      Reader sub(bytes.substr(0, end));
      sub.skip(start);
      if (!sub.u16(out.srv.priority) || !sub.u16(out.srv.weight) || !sub.u16(out.srv.port)) {
        return DnsWireError::BadRdata;
      }
      if (auto e = sub.name(out.srv.target)) {
        return e == DnsWireError::Truncated ? DnsWireError::BadRdata : *e;
      }
      if (sub.offset() != end) return DnsWireError::BadRdata;
      if (out.srv.target.empty()) out.srv.target = ".";
      break;
    }
    default:
      out.raw = std::string(bytes.substr(start, rdlength));
      break;
  }
  r.skip(rdlength);
  return std::nullopt;
}

// --- Writing. ---

class Writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v & 0xFF));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v & 0xFFFF));
  }
  void bytes(std::string_view b) { out_.append(b); }
  [[nodiscard]] std::size_t size() const { return out_.size(); }
  void put_u16_at(std::size_t at, std::uint16_t v) {
    out_[at] = static_cast<char>(v >> 8);
    out_[at + 1] = static_cast<char>(v & 0xFF);
  }

  // Writes `name`, pointing at an earlier copy of its longest known suffix (RFC 1035 §4.1.4).
  std::optional<DnsWireError> name(std::string_view dotted) {
    dotted = without_final_dot(dotted);
    if (dotted.size() + 2 > kMaxNameOctets) return DnsWireError::NameTooLong;
    std::string_view rest = dotted;
    while (!rest.empty()) {
      std::string key(rest);
      for (auto& c : key) c = lower(c);
      if (const auto it = suffixes_.find(key); it != suffixes_.end()) {
        u16(static_cast<std::uint16_t>(0xC000 | it->second));
        return std::nullopt;
      }
      const std::size_t dot = rest.find('.');
      const std::string_view label = rest.substr(0, dot);
      if (label.empty()) return DnsWireError::BadLabel;
      if (label.size() > kMaxLabel) return DnsWireError::NameTooLong;
      if (size() < 0x3FFF) suffixes_.emplace(std::move(key), size());
      u8(static_cast<std::uint8_t>(label.size()));
      bytes(label);
      rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
    }
    u8(0);
    return std::nullopt;
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  std::map<std::string, std::size_t> suffixes_;
};

std::optional<DnsWireError> write_address(Writer& w, const DnsRecord& r) {
  const bool v6 = r.type == kDnsTypeAaaa;
  const bool has_colon = r.address.find(':') != std::string::npos;
  const auto ip = security::parse_ip(r.address);
  if (!ip || has_colon != v6) return DnsWireError::BadAddress;
  w.u16(v6 ? 16 : 4);
  for (std::size_t i = v6 ? 0 : 12; i < 16; ++i) w.u8((*ip)[i]);
  return std::nullopt;
}

std::optional<DnsWireError> write_record(Writer& w, const DnsRecord& r) {
  if (auto e = w.name(r.name)) return e;
  w.u16(r.type);
  w.u16(r.klass);
  w.u32(r.ttl);
  switch (r.type) {
    case kDnsTypeA:
    case kDnsTypeAaaa: return write_address(w, r);
    case kDnsTypeSrv: {
      const std::size_t length_at = w.size();
      w.u16(0);
      w.u16(r.srv.priority);
      w.u16(r.srv.weight);
      w.u16(r.srv.port);
      // RFC 2782: the target is not compressed.
      Writer target;
      if (r.srv.target != "." && !r.srv.target.empty()) {
        if (auto e = target.name(r.srv.target)) return e;
      } else {
        target.u8(0);
      }
      const std::string t = target.take();
      w.bytes(t);
      w.put_u16_at(length_at, static_cast<std::uint16_t>(6 + t.size()));
      return std::nullopt;
    }
    default:
      if (r.raw.size() > 0xFFFF) return DnsWireError::TooMany;
      w.u16(static_cast<std::uint16_t>(r.raw.size()));
      w.bytes(r.raw);
      return std::nullopt;
  }
}

}  // namespace

Result<DnsMessage, DnsWireError> decode_dns_message(std::string_view bytes) {
  Reader r(bytes);
  DnsMessage m;
  std::uint16_t flags = 0, qd = 0, an = 0, ns = 0, ar = 0;
  if (!r.u16(m.id) || !r.u16(flags) || !r.u16(qd) || !r.u16(an) || !r.u16(ns) || !r.u16(ar)) {
    return unexpected(DnsWireError::Truncated);
  }
  m.response = (flags & 0x8000) != 0;
  m.opcode = static_cast<std::uint8_t>((flags >> 11) & 0xF);
  m.authoritative = (flags & 0x0400) != 0;
  m.truncated = (flags & 0x0200) != 0;
  m.recursion_desired = (flags & 0x0100) != 0;
  m.recursion_available = (flags & 0x0080) != 0;
  m.rcode = static_cast<DnsRcode>(flags & 0xF);
  // Each entry takes at least 5 octets (question) or 11 (record): counts the message cannot
  // hold are refused before anything is allocated for them.
  const std::size_t left = bytes.size() - kHeaderSize;
  if (std::size_t{qd} * 5 > left || (std::size_t{an} + ns + ar) * 11 > left) {
    return unexpected(DnsWireError::Truncated);
  }
  m.questions.reserve(qd);
  for (std::uint16_t i = 0; i < qd; ++i) {
    DnsQuestion q;
    if (auto e = r.name(q.name)) return unexpected(*e);
    if (!r.u16(q.type) || !r.u16(q.klass)) return unexpected(DnsWireError::Truncated);
    m.questions.push_back(std::move(q));
  }
  m.answers.reserve(an);
  for (std::uint32_t i = 0; i < std::uint32_t{an} + ns + ar; ++i) {
    DnsRecord record;
    if (auto e = read_record(r, bytes, record)) return unexpected(*e);
    if (i < an) m.answers.push_back(std::move(record));
  }
  return m;
}

Result<std::string, DnsWireError> encode_dns_message(const DnsMessage& m) {
  if (m.questions.size() > 0xFFFF || m.answers.size() > 0xFFFF) return unexpected(DnsWireError::TooMany);
  Writer w;
  w.u16(m.id);
  std::uint16_t flags = 0;
  if (m.response) flags |= 0x8000;
  flags |= static_cast<std::uint16_t>((m.opcode & 0xF) << 11);
  if (m.authoritative) flags |= 0x0400;
  if (m.truncated) flags |= 0x0200;
  if (m.recursion_desired) flags |= 0x0100;
  if (m.recursion_available) flags |= 0x0080;
  flags |= static_cast<std::uint16_t>(static_cast<std::uint8_t>(m.rcode) & 0xF);
  w.u16(flags);
  w.u16(static_cast<std::uint16_t>(m.questions.size()));
  w.u16(static_cast<std::uint16_t>(m.answers.size()));
  w.u16(0);
  w.u16(0);
  for (const auto& q : m.questions) {
    if (auto e = w.name(q.name)) return unexpected(*e);
    w.u16(q.type);
    w.u16(q.klass);
  }
  for (const auto& a : m.answers) {
    if (auto e = write_record(w, a)) return unexpected(*e);
  }
  return w.take();
}

Result<std::string, DnsWireError> encode_dns_query(std::uint16_t id, std::string_view name,
                                                   std::uint16_t type) {
  DnsMessage m;
  m.id = id;
  m.recursion_desired = true;
  m.questions.push_back(DnsQuestion{std::string(without_final_dot(name)), type, kDnsClassIn});
  return encode_dns_message(m);
}

std::optional<DnsQuestion> query_question(const DnsMessage& m) {
  if (m.response || m.opcode != 0 || m.questions.size() != 1) return std::nullopt;
  return m.questions.front();
}

DnsMessage dns_answer(const DnsMessage& query, std::vector<DnsRecord> answers) {
  DnsMessage m;
  m.id = query.id;
  m.response = true;
  m.opcode = query.opcode;
  m.authoritative = true;
  m.recursion_desired = query.recursion_desired;
  m.questions = query.questions;
  m.answers = std::move(answers);
  return m;
}

DnsMessage dns_error_response(const DnsMessage& query, DnsRcode rcode) {
  DnsMessage m = dns_answer(query, {});
  m.rcode = rcode;
  return m;
}

bool same_dns_name(std::string_view a, std::string_view b) {
  a = without_final_dot(a);
  b = without_final_dot(b);
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace resproxy::model
