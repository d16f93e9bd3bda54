#include "proxy/sip/sdp.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace resproxy::sip {

namespace {

constexpr std::string_view kKnownTypes = "vosiuepcbtrzkam";

// RFC 4566 §9: token-char = %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E
bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x27) || u == 0x2A || u == 0x2B || u == 0x2D ||
         u == 0x2E || (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5A) ||
         (u >= 0x5E && u <= 0x7E);
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_token_char);
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// non-ws-string: visible characters only (§9: %x21-FF).
bool is_non_ws(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7F;
  });
}

template <typename T>
std::optional<T> parse_number(std::string_view s) {
  if (!is_digits(s)) return std::nullopt;
  T value{};
  const auto r = std::from_chars(s.data(), s.data() + s.size(), value);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

// Fields separated by exactly one SP (the §9 grammar); an empty field (two spaces, a leading or
// trailing one) makes the line invalid: nullopt.
std::optional<std::vector<std::string_view>> split_fields(std::string_view value) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto space = value.find(' ');
    const std::string_view field = value.substr(0, space);
    if (field.empty()) return std::nullopt;
    out.push_back(field);
    if (space == std::string_view::npos) return out;
    value.remove_prefix(space + 1);
  }
}

bool is_dotted_quad(std::string_view s) {
  int parts = 0;
  while (true) {
    const auto dot = s.find('.');
    const std::string_view part = s.substr(0, dot);
    if (part.size() > 3 || !parse_number<unsigned>(part) || *parse_number<unsigned>(part) > 255) {
      return false;
    }
    ++parts;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return parts == 4;
}

// unicast-address / connection-address: an IPv4 or IPv6 literal or a host name; `multicast`
// allows the /ttl[/count] suffix of c=. An IP4 address made of digits and dots must be a valid
// dotted quad.
bool is_address(std::string_view addr_type, std::string_view address, bool multicast) {
  std::string_view host = address;
  if (multicast) {
    const auto slash = address.find('/');
    if (slash != std::string_view::npos) {
      host = address.substr(0, slash);
      std::string_view rest = address.substr(slash + 1);
      const auto second = rest.find('/');
      if (!parse_number<std::uint32_t>(rest.substr(0, second))) return false;
      if (second != std::string_view::npos && !parse_number<std::uint32_t>(rest.substr(second + 1))) {
        return false;
      }
    }
  }
  if (host.empty()) return false;
  const bool chars_ok = std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == ':' || c == '_';
  });
  if (!chars_ok) return false;
  if (addr_type == "IP4") {
    if (host.find(':') != std::string_view::npos) return false;
    const bool numeric = std::all_of(host.begin(), host.end(), [](char c) {
      return (c >= '0' && c <= '9') || c == '.';
    });
    if (numeric) return is_dotted_quad(host);
  }
  return true;
}

std::optional<SdpConnection> parse_connection(std::string_view value) {
  const auto f = split_fields(value);
  if (!f || f->size() != 3 || !is_token((*f)[0]) || !is_token((*f)[1]) ||
      !is_address((*f)[1], (*f)[2], /*multicast=*/true)) {
    return std::nullopt;
  }
  return SdpConnection{std::string((*f)[0]), std::string((*f)[1]), std::string((*f)[2])};
}

std::optional<SdpOrigin> parse_origin(std::string_view value) {
  const auto f = split_fields(value);
  if (!f || f->size() != 6) return std::nullopt;
  const auto& v = *f;
  if (!is_non_ws(v[0]) || !is_digits(v[1]) || !is_digits(v[2]) || !is_token(v[3]) ||
      !is_token(v[4]) || !is_address(v[4], v[5], /*multicast=*/false)) {
    return std::nullopt;
  }
  return SdpOrigin{std::string(v[0]), std::string(v[1]), std::string(v[2]),
                   std::string(v[3]), std::string(v[4]), std::string(v[5])};
}

std::optional<SdpTime> parse_time(std::string_view value) {
  const auto f = split_fields(value);
  if (!f || f->size() != 2) return std::nullopt;
  const auto start = parse_number<std::uint64_t>((*f)[0]);
  const auto stop = parse_number<std::uint64_t>((*f)[1]);
  if (!start || !stop) return std::nullopt;
  return SdpTime{*start, *stop, {}};
}

// proto = token *("/" token)
bool is_proto(std::string_view s) {
  while (true) {
    const auto slash = s.find('/');
    if (!is_token(s.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    s.remove_prefix(slash + 1);
  }
}

std::optional<SdpMedia> parse_media(std::string_view value) {
  const auto f = split_fields(value);
  if (!f || f->size() < 4) return std::nullopt;
  const auto& v = *f;
  SdpMedia m;
  if (!is_token(v[0]) || !is_proto(v[2])) return std::nullopt;
  m.media = std::string(v[0]);
  const auto slash = v[1].find('/');
  const auto port = parse_number<std::uint32_t>(v[1].substr(0, slash));
  if (!port || *port > 65535) return std::nullopt;
  m.port = static_cast<std::uint16_t>(*port);
  if (slash != std::string_view::npos) {
    const auto count = parse_number<std::uint32_t>(v[1].substr(slash + 1));
    if (!count || *count == 0) return std::nullopt;
    m.port_count = *count;
  }
  m.proto = std::string(v[2]);
  for (std::size_t i = 3; i < v.size(); ++i) {
    if (!is_token(v[i])) return std::nullopt;
    m.formats.emplace_back(v[i]);
  }
  return m;
}

// rtpmap value: "<fmt> <encoding>/<clock rate>[/<parameters>]". nullopt if malformed.
std::optional<SdpCodec> parse_rtpmap(std::string_view value) {
  const auto space = value.find(' ');
  if (space == std::string_view::npos || !is_token(value.substr(0, space))) return std::nullopt;
  SdpCodec codec;
  codec.format = std::string(value.substr(0, space));
  std::string_view rest = value.substr(space + 1);
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || !is_token(rest.substr(0, slash))) return std::nullopt;
  codec.encoding = std::string(rest.substr(0, slash));
  rest.remove_prefix(slash + 1);
  const auto second = rest.find('/');
  const auto clock = parse_number<std::uint32_t>(rest.substr(0, second));
  if (!clock) return std::nullopt;
  codec.clock_rate = *clock;
  if (second != std::string_view::npos) {
    if (!is_token(rest.substr(second + 1))) return std::nullopt;
    codec.parameters = std::string(rest.substr(second + 1));
  }
  return codec;
}

std::optional<SdpAttribute> parse_attribute(std::string_view value) {
  const auto colon = value.find(':');
  SdpAttribute a;
  if (!is_token(value.substr(0, colon))) return std::nullopt;
  a.name = std::string(value.substr(0, colon));
  if (colon != std::string_view::npos) {
    const std::string_view v = value.substr(colon + 1);
    if (v.empty()) return std::nullopt;
    a.value = std::string(v);
  }
  if (a.name == "rtpmap" && (!a.value || !parse_rtpmap(*a.value))) return std::nullopt;
  if (a.name == "fmtp") {
    if (!a.value) return std::nullopt;
    const auto space = a.value->find(' ');
    if (space == std::string::npos || space + 1 == a.value->size() ||
        !is_token(std::string_view(*a.value).substr(0, space))) {
      return std::nullopt;
    }
  }
  return a;
}

// §5 order. Session: v o s i u e p c b t(r) z k a; media: m i c b k a. -1: not at that level.
int session_rank(char type) {
  constexpr std::string_view kOrder = "vosiuepcbtzka";
  if (type == 'r') return static_cast<int>(kOrder.find('t'));
  const auto at = kOrder.find(type);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}
int media_rank(char type) {
  constexpr std::string_view kOrder = "micbka";
  const auto at = kOrder.find(type);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}
bool once_in_session(char type) { return std::string_view("vosiuczk").find(type) != std::string_view::npos; }
bool once_in_media(char type) { return std::string_view("mick").find(type) != std::string_view::npos; }

SdpErrorCode value_error(char type) {
  switch (type) {
    case 'v': return SdpErrorCode::BadVersion;
    case 'o': return SdpErrorCode::BadOrigin;
    case 's': return SdpErrorCode::BadSessionName;
    case 'c': return SdpErrorCode::BadConnection;
    case 't':
    case 'r': return SdpErrorCode::BadTiming;
    case 'm': return SdpErrorCode::BadMedia;
    case 'a': return SdpErrorCode::BadAttribute;
    default: return SdpErrorCode::BadLine;
  }
}

// The lines of `text` (CRLF or LF ends, the last end optional; trailing empty lines dropped).
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

void write_line(std::string& out, char type, std::string_view value) {
  out += type;
  out += '=';
  out += value;
  out += "\r\n";
}

void write_connection(std::string& out, const SdpConnection& c) {
  write_line(out, 'c', c.net_type + " " + c.addr_type + " " + c.address);
}

void write_attributes(std::string& out, const std::vector<SdpAttribute>& attributes) {
  for (const auto& a : attributes) write_line(out, 'a', a.value ? a.name + ":" + *a.value : a.name);
}

void write_other(std::string& out, const std::vector<SdpLine>& other, std::string_view types) {
  for (const auto& line : other) {
    if (types.find(line.type) != std::string_view::npos) write_line(out, line.type, line.value);
  }
}

struct StaticType {
  std::string_view format, encoding;
  std::uint32_t clock_rate;
  std::string_view parameters;
};
// RFC 3551 §6, table 4: the static audio payload types.
constexpr std::array<StaticType, 14> kStaticTypes{{
    {"0", "PCMU", 8000, ""},   {"3", "GSM", 8000, ""},     {"4", "G723", 8000, ""},
    {"5", "DVI4", 8000, ""},   {"6", "DVI4", 16000, ""},   {"7", "LPC", 8000, ""},
    {"8", "PCMA", 8000, ""},   {"9", "G722", 8000, ""},    {"10", "L16", 44100, "2"},
    {"11", "L16", 44100, ""},  {"12", "QCELP", 8000, ""},  {"13", "CN", 8000, ""},
    {"15", "G728", 8000, ""},  {"18", "G729", 8000, ""},
}};

bool is_direction(std::string_view name) {
  return name == "sendrecv" || name == "sendonly" || name == "recvonly" || name == "inactive";
}

}  // namespace

std::string_view to_string(SdpErrorCode code) {
  switch (code) {
    case SdpErrorCode::Empty: return "empty session description";
    case SdpErrorCode::BadLine: return "malformed line";
    case SdpErrorCode::UnknownType: return "unknown line type";
    case SdpErrorCode::OutOfOrder: return "line out of order";
    case SdpErrorCode::Missing: return "v=, o=, s= or t= missing";
    case SdpErrorCode::Duplicate: return "line repeated";
    case SdpErrorCode::BadVersion: return "bad v= line";
    case SdpErrorCode::BadOrigin: return "bad o= line";
    case SdpErrorCode::BadSessionName: return "bad s= line";
    case SdpErrorCode::BadConnection: return "bad c= line";
    case SdpErrorCode::BadTiming: return "bad t= or r= line";
    case SdpErrorCode::BadMedia: return "bad m= line";
    case SdpErrorCode::BadAttribute: return "bad a= line";
    case SdpErrorCode::NoConnection: return "media without connection address";
  }
  return "unknown";
}

std::string to_string(const SdpError& error) {
  std::string out(to_string(error.code));
  if (error.line != 0) out += " (line " + std::to_string(error.line) + ")";
  return out;
}

Result<Sdp, SdpError> Sdp::parse(std::string_view text) {
  const std::vector<std::string_view> lines = split_lines(text);
  if (lines.empty()) return unexpected(SdpError{SdpErrorCode::Empty, 0});
  Sdp sdp;
  sdp.times.clear();
  std::string seen;  // once-only types seen at the current level
  int rank = -1;
  bool in_media = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::size_t n = i + 1;
    const std::string_view line = lines[i];
    const auto fail = [n](SdpErrorCode code) { return unexpected(SdpError{code, n}); };
    if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z' ||
        line.find('\0') != std::string_view::npos || line.find('\r') != std::string_view::npos) {
      return fail(SdpErrorCode::BadLine);
    }
    const char type = line[0];
    const std::string_view value = line.substr(2);
    if (kKnownTypes.find(type) == std::string_view::npos) return fail(SdpErrorCode::UnknownType);
    if (i == 0 && type != 'v') return fail(SdpErrorCode::Missing);
    if (value.empty()) return fail(value_error(type));

    if (type == 'm') {
      if (!in_media && (seen.find('o') == std::string::npos ||
                        seen.find('s') == std::string::npos || sdp.times.empty())) {
        return fail(SdpErrorCode::Missing);
      }
      auto media = parse_media(value);
      if (!media) return fail(SdpErrorCode::BadMedia);
      sdp.media.push_back(std::move(*media));
      in_media = true;
      rank = 0;
      seen = "m";
      continue;
    }
    const int r = in_media ? media_rank(type) : session_rank(type);
    if (r < 0 || r < rank) return fail(SdpErrorCode::OutOfOrder);
    const bool once = in_media ? once_in_media(type) : once_in_session(type);
    if (once && seen.find(type) != std::string::npos) return fail(SdpErrorCode::Duplicate);
    if (once) seen += type;
    rank = r;

    SdpMedia* media = in_media ? &sdp.media.back() : nullptr;
    switch (type) {
      case 'v':
        if (value != "0") return fail(SdpErrorCode::BadVersion);
        break;
      case 'o': {
        auto origin = parse_origin(value);
        if (!origin) return fail(SdpErrorCode::BadOrigin);
        sdp.origin = std::move(*origin);
        break;
      }
      case 's': sdp.session_name = std::string(value); break;
      case 'c': {
        auto connection = parse_connection(value);
        if (!connection) return fail(SdpErrorCode::BadConnection);
        (media != nullptr ? media->connection : sdp.connection) = std::move(*connection);
        break;
      }
      case 't': {
        auto time = parse_time(value);
        if (!time) return fail(SdpErrorCode::BadTiming);
        sdp.times.push_back(std::move(*time));
        break;
      }
      case 'r':
        if (sdp.times.empty()) return fail(SdpErrorCode::BadTiming);
        sdp.times.back().repeats.emplace_back(value);
        break;
      case 'a': {
        auto attribute = parse_attribute(value);
        if (!attribute) return fail(SdpErrorCode::BadAttribute);
        (media != nullptr ? media->attributes : sdp.attributes).push_back(std::move(*attribute));
        break;
      }
      default:  // i u e p b z k: kept as they are
        (media != nullptr ? media->other : sdp.other).push_back(SdpLine{type, std::string(value)});
        break;
    }
  }
  if (!in_media && (seen.find('o') == std::string::npos || seen.find('s') == std::string::npos ||
                    sdp.times.empty())) {
    return unexpected(SdpError{SdpErrorCode::Missing, 0});
  }
  if (!sdp.connection) {
    for (const auto& m : sdp.media) {
      if (!m.connection) return unexpected(SdpError{SdpErrorCode::NoConnection, 0});
    }
  }
  return sdp;
}

std::string Sdp::to_string() const {
  std::string out;
  write_line(out, 'v', "0");
  write_line(out, 'o',
             origin.username + " " + origin.session_id + " " + origin.session_version + " " +
                 origin.net_type + " " + origin.addr_type + " " + origin.address);
  write_line(out, 's', session_name);
  write_other(out, other, "iuep");
  if (connection) write_connection(out, *connection);
  write_other(out, other, "b");
  for (const auto& t : times) {
    write_line(out, 't', std::to_string(t.start) + " " + std::to_string(t.stop));
    for (const auto& r : t.repeats) write_line(out, 'r', r);
  }
  write_other(out, other, "zk");
  write_attributes(out, attributes);
  for (const auto& m : media) {
    std::string line = m.media + " " + std::to_string(m.port);
    if (m.port_count) line += "/" + std::to_string(*m.port_count);
    line += " " + m.proto;
    for (const auto& f : m.formats) line += " " + f;
    write_line(out, 'm', line);
    write_other(out, m.other, "i");
    if (m.connection) write_connection(out, *m.connection);
    write_other(out, m.other, "bk");
    write_attributes(out, m.attributes);
  }
  return out;
}

const SdpConnection* Sdp::connection_for(const SdpMedia& m) const {
  if (m.connection) return &*m.connection;
  return connection ? &*connection : nullptr;
}

const SdpAttribute* SdpMedia::attribute(std::string_view name) const {
  const auto it = std::find_if(attributes.begin(), attributes.end(),
                               [name](const SdpAttribute& a) { return a.name == name; });
  return it == attributes.end() ? nullptr : &*it;
}

std::vector<SdpCodec> SdpMedia::codecs() const {
  std::vector<SdpCodec> out;
  for (const auto& format : formats) {
    std::optional<SdpCodec> codec;
    std::string fmtp;
    for (const auto& a : attributes) {
      if (!a.value || a.value->size() <= format.size() || (*a.value)[format.size()] != ' ' ||
          !a.value->starts_with(format)) {
        continue;
      }
      if (a.name == "rtpmap" && !codec) codec = parse_rtpmap(*a.value);
      if (a.name == "fmtp" && fmtp.empty()) fmtp = a.value->substr(format.size() + 1);
    }
    if (!codec) {
      const auto it = std::find_if(kStaticTypes.begin(), kStaticTypes.end(),
                                   [&format](const StaticType& t) { return t.format == format; });
      if (it == kStaticTypes.end()) continue;
      codec = SdpCodec{format, std::string(it->encoding), it->clock_rate,
                       std::string(it->parameters), {}};
    }
    codec->fmtp = std::move(fmtp);
    out.push_back(std::move(*codec));
  }
  return out;
}

std::optional<SdpAudio> first_audio(const Sdp& sdp) {
  const auto it = std::find_if(sdp.media.begin(), sdp.media.end(),
                               [](const SdpMedia& m) { return m.media == "audio"; });
  if (it == sdp.media.end()) return std::nullopt;
  SdpAudio audio;
  if (const SdpConnection* c = sdp.connection_for(*it)) audio.address = c->address;
  audio.port = it->port;
  audio.proto = it->proto;
  audio.codecs = it->codecs();
  audio.direction = "sendrecv";
  const auto direction = [](const std::vector<SdpAttribute>& attributes) -> const SdpAttribute* {
    const auto d = std::find_if(attributes.begin(), attributes.end(),
                                [](const SdpAttribute& a) { return !a.value && is_direction(a.name); });
    return d == attributes.end() ? nullptr : &*d;
  };
  if (const SdpAttribute* d = direction(it->attributes)) {
    audio.direction = d->name;
  } else if (const SdpAttribute* s = direction(sdp.attributes)) {
    audio.direction = s->name;
  }
  return audio;
}

Sdp make_audio_sdp(const AudioSdpParams& params) {
  const std::string addr_type = params.address.find(':') != std::string::npos ? "IP6" : "IP4";
  Sdp sdp;
  sdp.origin = SdpOrigin{params.user, params.session_id, params.session_version, "IN", addr_type,
                         params.address};
  sdp.session_name = "-";
  sdp.connection = SdpConnection{"IN", addr_type, params.address};
  SdpMedia& m = sdp.media.emplace_back();
  m.media = "audio";
  m.port = params.port;
  m.proto = "RTP/AVP";
  for (const auto& codec : params.codecs) m.formats.push_back(codec.format);
  for (const auto& codec : params.codecs) {
    std::string map = codec.format + " " + codec.encoding + "/" + std::to_string(codec.clock_rate);
    if (!codec.parameters.empty()) map += "/" + codec.parameters;
    m.attributes.push_back({"rtpmap", std::move(map)});
  }
  for (const auto& codec : params.codecs) {
    if (!codec.fmtp.empty()) m.attributes.push_back({"fmtp", codec.format + " " + codec.fmtp});
  }
  if (!params.direction.empty()) m.attributes.push_back({params.direction, std::nullopt});
  return sdp;
}

}  // namespace resproxy::sip
