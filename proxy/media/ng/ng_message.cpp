#include "proxy/media/ng/ng_message.h"

#include <array>
#include <initializer_list>
#include <limits>

namespace resproxy::media::ng {

// --- datagrams ---------------------------------------------------------------------------------

std::string_view to_string(NgError error) {
  switch (error) {
    case NgError::NoCookie: return "no cookie";
    case NgError::BadCookie: return "invalid cookie";
    // rtpengine's wording for the last three (daemon/control_ng.c error replies).
    case NgError::JsonBody: return "JSON documents not supported";
    case NgError::BadBencode: return "Could not decode bencode dictionary";
    case NgError::NotADictionary: return "Invalid NG data format";
  }
  return "invalid NG data";
}

std::string to_string(const NgParseError& error) {
  std::string out(to_string(error.error));
  if (error.error == NgError::BadBencode) {
    out += ": ";
    out += to_string(error.bencode);
  }
  return out;
}

bool is_valid_cookie(std::string_view cookie) {
  if (cookie.empty() || cookie.size() > kMaxCookieSize) return false;
  for (const char c : cookie) {
    if (c < 0x21 || c > 0x7e) return false;  // printable ASCII, no space (char may be signed)
  }
  return true;
}

Result<DatagramParts, NgError> split_datagram(std::string_view datagram) {
  const auto space = datagram.find(' ');
  if (space == std::string_view::npos || space == 0) return unexpected(NgError::NoCookie);
  const auto cookie = datagram.substr(0, space);
  if (!is_valid_cookie(cookie)) return unexpected(NgError::BadCookie);
  return DatagramParts{cookie, datagram.substr(space + 1)};
}

Result<NgMessage, NgParseError> parse_datagram(std::string_view datagram, DecodeLimits limits) {
  const auto parts = split_datagram(datagram);
  if (!parts) return unexpected(NgParseError{parts.error(), {}, {}});
  std::string cookie(parts->cookie);
  if (!parts->body.empty() && parts->body.front() == '{') {
    return unexpected(NgParseError{NgError::JsonBody, {}, std::move(cookie)});
  }
  auto value = decode(parts->body, limits);
  if (!value) return unexpected(NgParseError{NgError::BadBencode, value.error(), std::move(cookie)});
  auto* dict = value->dict();
  if (dict == nullptr) return unexpected(NgParseError{NgError::NotADictionary, {}, std::move(cookie)});
  return NgMessage{std::move(cookie), std::move(*dict)};
}

std::string build_datagram(std::string_view cookie, const Dict& dict) {
  RESPROXY_ASSERT(is_valid_cookie(cookie));  // guaranteed: our own cookies, or a request's checked one
  std::string out(cookie);
  out += ' ';
  encode_to(out, Value(dict));
  return out;
}

std::string make_cookie(Rng& rng) {
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::uint64_t bits = rng.next_u64();
  std::string out(16, '0');
  for (auto& c : out) {
    c = kHex[bits & 0xf];
    bits >>= 4;
  }
  return out;
}

// --- requests ----------------------------------------------------------------------------------

std::string_view to_string(NgCommand command) {
  switch (command) {
    case NgCommand::Ping: return "ping";
    case NgCommand::Offer: return "offer";
    case NgCommand::Answer: return "answer";
    case NgCommand::Delete: return "delete";
    case NgCommand::Query: return "query";
    case NgCommand::List: return "list";
    case NgCommand::Other: return "";
  }
  return "";
}

NgCommand command_from_string(std::string_view name) {
  for (const auto c : {NgCommand::Ping, NgCommand::Offer, NgCommand::Answer, NgCommand::Delete,
                       NgCommand::Query, NgCommand::List}) {
    if (name == to_string(c)) return c;
  }
  return NgCommand::Other;
}

bool flag_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const bool a_sep = a[i] == ' ' || a[i] == '-';
    const bool b_sep = b[i] == ' ' || b[i] == '-';
    if (a_sep != b_sep || (!a_sep && a[i] != b[i])) return false;
  }
  return true;
}

namespace {

bool contains_flag(const std::vector<std::string>& list, std::string_view flag) {
  for (const auto& f : list) {
    if (flag_equals(f, flag)) return true;
  }
  return false;
}

// A key by its documented spelling (spaces) or its hyphenated one; both present is an error.
struct Lookup {
  const Value* value = nullptr;
  bool both = false;
};
Lookup lookup(const Dict& dict, std::string_view spaced, std::string_view hyphenated) {
  const Value* a = dict.find(spaced);
  const Value* b = hyphenated.empty() ? nullptr : dict.find(hyphenated);
  return {a != nullptr ? a : b, a != nullptr && b != nullptr};
}

Unexpected<RequestError> error(RequestErrorCode code, std::string_view key = {}) {
  return unexpected(RequestError{code, std::string(key)});
}

// Reads an optional string key into `out`; the error on a wrong type or both spellings.
std::optional<RequestError> read_string(const Dict& dict, std::string_view key,
                                        std::string_view alt, std::string& out) {
  const auto l = lookup(dict, key, alt);
  if (l.both) return RequestError{RequestErrorCode::BothSpellings, std::string(key)};
  if (l.value == nullptr) return std::nullopt;
  const auto* s = l.value->string();
  if (s == nullptr) return RequestError{RequestErrorCode::WrongType, std::string(key)};
  out = *s;
  return std::nullopt;
}

// A list of strings; `allow_string`: a single string stands for a list of one ("ICE").
std::optional<RequestError> read_string_list(const Dict& dict, std::string_view key,
                                             std::string_view alt, std::vector<std::string>& out,
                                             bool allow_string = false) {
  const auto l = lookup(dict, key, alt);
  if (l.both) return RequestError{RequestErrorCode::BothSpellings, std::string(key)};
  if (l.value == nullptr) return std::nullopt;
  if (const auto* s = l.value->string(); s != nullptr && allow_string) {
    out.assign(1, *s);
    return std::nullopt;
  }
  const auto* list = l.value->list();
  if (list == nullptr) return RequestError{RequestErrorCode::WrongType, std::string(key)};
  out.clear();
  out.reserve(list->size());
  for (const auto& item : *list) {
    const auto* s = item.string();
    if (s == nullptr) return RequestError{RequestErrorCode::WrongType, std::string(key)};
    out.push_back(*s);
  }
  return std::nullopt;
}

std::optional<RequestError> read_integer(const Dict& dict, std::string_view key,
                                         std::string_view alt, std::optional<std::int64_t>& out) {
  const auto l = lookup(dict, key, alt);
  if (l.both) return RequestError{RequestErrorCode::BothSpellings, std::string(key)};
  if (l.value == nullptr) return std::nullopt;
  const auto* i = l.value->integer();
  if (i == nullptr) return RequestError{RequestErrorCode::WrongType, std::string(key)};
  out = *i;
  return std::nullopt;
}

}  // namespace

bool NgRequest::has_flag(std::string_view flag) const { return contains_flag(flags, flag); }
bool NgRequest::has_replace(std::string_view what) const { return contains_flag(replace, what); }
bool NgRequest::has_ice(std::string_view what) const { return contains_flag(ice, what); }

std::string to_string(const RequestError& error) {
  switch (error.code) {
    case RequestErrorCode::NoCommand: return "Dictionary contains no key \"command\"";
    case RequestErrorCode::WrongType: return "Wrong type for key \"" + error.key + "\"";
    case RequestErrorCode::BothSpellings: return "Key \"" + error.key + "\" given twice";
    case RequestErrorCode::NoCallId: return "No call-id in message";
    case RequestErrorCode::NoFromTag: return "No from-tag in message";
    case RequestErrorCode::NoToTag: return "No to-tag in message";
    case RequestErrorCode::NoSdp: return "No SDP body in message";
    case RequestErrorCode::BadReceivedFrom: return "Invalid \"received from\"";
    case RequestErrorCode::BadLimit: return "Invalid value for key \"" + error.key + "\"";
  }
  return "Invalid request";
}

Result<NgRequest, RequestError> read_request(const Dict& dict) {
  NgRequest r;
  const Value* command = dict.find("command");
  if (command == nullptr || command->string() == nullptr) return error(RequestErrorCode::NoCommand);
  r.command_name = *command->string();
  r.command = command_from_string(r.command_name);

  std::optional<RequestError> e;
  std::string sdp_buffer;
  const bool has_sdp = dict.find("sdp") != nullptr;
  // Each reader stops at the first error; the order is the order of the checks' report.
  if (!e) e = read_string(dict, "call-id", {}, r.call_id);
  if (!e) e = read_string(dict, "from-tag", {}, r.from_tag);
  if (!e) e = read_string(dict, "to-tag", {}, r.to_tag);
  if (!e) e = read_string(dict, "via-branch", {}, r.via_branch);
  if (!e) e = read_string(dict, "sdp", {}, sdp_buffer);
  if (!e) e = read_string_list(dict, "flags", {}, r.flags);
  if (!e) e = read_string_list(dict, "replace", {}, r.replace);
  if (!e) e = read_string_list(dict, "direction", {}, r.direction);
  if (!e) e = read_string_list(dict, "rtcp-mux", "rtcp mux", r.rtcp_mux);
  if (!e) e = read_string_list(dict, "ICE", {}, r.ice, /*allow_string=*/true);
  if (!e) e = read_string(dict, "transport protocol", "transport-protocol", r.transport_protocol);
  if (!e) e = read_string(dict, "address family", "address-family", r.address_family);
  if (!e) e = read_string(dict, "rtpp-flags", "rtpp flags", r.rtpp_flags);
  if (!e) e = read_integer(dict, "limit", {}, r.limit);
  if (!e) e = read_integer(dict, "delete delay", "delete-delay", r.delete_delay);
  std::vector<std::string> received;
  const bool has_received = lookup(dict, "received from", "received-from").value != nullptr;
  if (!e) e = read_string_list(dict, "received from", "received-from", received);
  if (e) return unexpected(std::move(*e));
  if (has_sdp) r.sdp = std::move(sdp_buffer);

  if (has_received) {
    if (received.size() != 2 || (received[0] != "IP4" && received[0] != "IP6") || received[1].empty()) {
      return error(RequestErrorCode::BadReceivedFrom, "received from");
    }
    r.received_from = ReceivedFrom{received[0], received[1]};
  }
  if (r.limit && *r.limit <= 0) return error(RequestErrorCode::BadLimit, "limit");
  if (r.delete_delay && *r.delete_delay < 0) return error(RequestErrorCode::BadLimit, "delete delay");

  const bool needs_call_id = r.command == NgCommand::Offer || r.command == NgCommand::Answer ||
                             r.command == NgCommand::Delete || r.command == NgCommand::Query;
  const bool needs_from_tag = r.command == NgCommand::Offer || r.command == NgCommand::Answer ||
                              r.command == NgCommand::Delete;
  const bool needs_sdp = r.command == NgCommand::Offer || r.command == NgCommand::Answer;
  if (needs_call_id && r.call_id.empty()) return error(RequestErrorCode::NoCallId, "call-id");
  if (needs_from_tag && r.from_tag.empty()) return error(RequestErrorCode::NoFromTag, "from-tag");
  if (r.command == NgCommand::Answer && r.to_tag.empty()) return error(RequestErrorCode::NoToTag, "to-tag");
  if (needs_sdp && !r.sdp) return error(RequestErrorCode::NoSdp, "sdp");
  return r;
}

// --- replies -----------------------------------------------------------------------------------

Dict pong() { return Dict{{"result", "pong"}}; }
Dict ok() { return Dict{{"result", "ok"}}; }
Dict ok_with_warning(std::string_view warning) {
  return Dict{{"result", "ok"}, {"warning", Value(warning)}};
}
Dict error_reply(std::string_view reason) {
  return Dict{{"result", "error"}, {"error-reason", Value(reason)}};
}
Dict ok_with_sdp(std::string_view sdp) { return Dict{{"result", "ok"}, {"sdp", Value(sdp)}}; }

Dict list_reply(const std::vector<std::string>& call_ids) {
  List calls;
  calls.reserve(call_ids.size());
  for (const auto& id : call_ids) calls.emplace_back(id);
  return Dict{{"result", "ok"}, {"calls", Value(std::move(calls))}};
}

namespace {

struct Totals {
  std::int64_t packets = 0;
  std::int64_t bytes = 0;
  std::int64_t errors = 0;
};

Dict stats_dict(std::int64_t packets, std::int64_t bytes, std::int64_t errors) {
  return Dict{{"packets", Value(packets)}, {"bytes", Value(bytes)}, {"errors", Value(errors)}};
}

Dict stream_dict(const NgStreamStats& s) {
  Dict d{{"flags", Value(List{Value(s.rtcp ? "RTCP" : "RTP")})},
         {"stats", Value(stats_dict(s.packets, s.bytes, s.errors))}};
  if (s.local_port != 0) d.set("local port", Value(std::int64_t{s.local_port}));
  if (s.endpoint) {
    d.set("endpoint", Value(Dict{{"family", Value(s.endpoint->is_ipv6() ? "IPv6" : "IPv4")},
                                 {"address", Value(s.endpoint->ip)},
                                 {"port", Value(std::int64_t{s.endpoint->port})}}));
  }
  if (s.last_packet != 0) d.set("last packet", Value(s.last_packet));
  return d;
}

// Saturating: counters from a long call never wrap into negative totals.
std::int64_t add(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<std::int64_t>::max() : r;
}

void add_call_stats(Dict& d, const NgCallStats& stats) {
  d.set("created", Value(stats.created));
  d.set("last signal", Value(stats.last_signal));
  Dict tags;
  Totals rtp;
  Totals rtcp;
  for (const auto& tag : stats.tags) {
    List medias;
    for (const auto& media : tag.medias) {
      List streams;
      for (const auto& s : media.streams) {
        streams.emplace_back(stream_dict(s));
        Totals& t = s.rtcp ? rtcp : rtp;
        t.packets = add(t.packets, s.packets);
        t.bytes = add(t.bytes, s.bytes);
        t.errors = add(t.errors, s.errors);
      }
      medias.emplace_back(Dict{{"index", Value(media.index)},
                               {"type", Value(media.type)},
                               {"protocol", Value(media.protocol)},
                               {"streams", Value(std::move(streams))}});
    }
    Dict t{{"tag", Value(tag.tag)}, {"created", Value(tag.created)}, {"medias", Value(std::move(medias))}};
    if (!tag.in_dialogue_with.empty()) t.set("in dialogue with", Value(tag.in_dialogue_with));
    tags.set(tag.tag, Value(std::move(t)));
  }
  d.set("tags", Value(std::move(tags)));
  d.set("totals", Value(Dict{{"RTP", Value(stats_dict(rtp.packets, rtp.bytes, rtp.errors))},
                             {"RTCP", Value(stats_dict(rtcp.packets, rtcp.bytes, rtcp.errors))}}));
}

}  // namespace

Dict query_reply(const NgCallStats& stats) {
  Dict d = ok();
  add_call_stats(d, stats);
  return d;
}

Dict delete_reply(const NgCallStats* stats) {
  Dict d = ok();
  if (stats != nullptr) add_call_stats(d, *stats);
  return d;
}

NgReply read_reply(const Dict& dict) {
  NgReply r;
  const auto text = [&dict](std::string_view key) -> const std::string* {
    const Value* v = dict.find(key);
    return v != nullptr ? v->string() : nullptr;
  };
  if (const auto* result = text("result")) {
    if (*result == "ok") r.result = NgResult::Ok;
    else if (*result == "pong") r.result = NgResult::Pong;
    else if (*result == "error") r.result = NgResult::Error;
  }
  if (const auto* s = text("error-reason")) r.error_reason = *s;
  if (const auto* s = text("warning")) r.warning = *s;
  if (const auto* s = text("sdp")) r.sdp = *s;
  if (const Value* calls = dict.find("calls"); calls != nullptr && calls->list() != nullptr) {
    for (const auto& c : *calls->list()) {
      if (const auto* s = c.string()) r.calls.push_back(*s);
    }
  }
  return r;
}

}  // namespace resproxy::media::ng
