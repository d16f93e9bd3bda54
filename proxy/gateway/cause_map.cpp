#include "proxy/gateway/cause_map.h"

#include <array>
#include <utility>

#include "proxy/sip/text.h"

namespace resproxy::gateway {

namespace {

struct Named {
  std::uint8_t value;
  std::string_view text;
};

// Q.850 Table 1 (the values in use on ISDN access; national and network-specific ones left out).
constexpr std::array kCauseNames{
    Named{1, "Unallocated (unassigned) number"},
    Named{2, "No route to specified transit network"},
    Named{3, "No route to destination"},
    Named{6, "Channel unacceptable"},
    Named{7, "Call awarded and being delivered in an established channel"},
    Named{16, "Normal call clearing"},
    Named{17, "User busy"},
    Named{18, "No user responding"},
    Named{19, "No answer from user (user alerted)"},
    Named{20, "Subscriber absent"},
    Named{21, "Call rejected"},
    Named{22, "Number changed"},
    Named{23, "Redirection to new destination"},
    Named{25, "Exchange routing error"},
    Named{26, "Non-selected user clearing"},
    Named{27, "Destination out of order"},
    Named{28, "Invalid number format (address incomplete)"},
    Named{29, "Facility rejected"},
    Named{30, "Response to STATUS ENQUIRY"},
    Named{31, "Normal, unspecified"},
    Named{34, "No circuit/channel available"},
    Named{38, "Network out of order"},
    Named{41, "Temporary failure"},
    Named{42, "Switching equipment congestion"},
    Named{43, "Access information discarded"},
    Named{44, "Requested circuit/channel not available"},
    Named{47, "Resource unavailable, unspecified"},
    Named{49, "Quality of service not available"},
    Named{50, "Requested facility not subscribed"},
    Named{55, "Incoming calls barred within CUG"},
    Named{57, "Bearer capability not authorized"},
    Named{58, "Bearer capability not presently available"},
    Named{63, "Service or option not available, unspecified"},
    Named{65, "Bearer capability not implemented"},
    Named{66, "Channel type not implemented"},
    Named{69, "Requested facility not implemented"},
    Named{70, "Only restricted digital information bearer capability is available"},
    Named{79, "Service or option not implemented, unspecified"},
    Named{81, "Invalid call reference value"},
    Named{82, "Identified channel does not exist"},
    Named{84, "Call identity in use"},
    Named{86, "Call having the requested call identity has been cleared"},
    Named{87, "User not member of CUG"},
    Named{88, "Incompatible destination"},
    Named{91, "Invalid transit network selection"},
    Named{95, "Invalid message, unspecified"},
    Named{96, "Mandatory information element is missing"},
    Named{97, "Message type non-existent or not implemented"},
    Named{98, "Message not compatible with call state or message type non-existent or not implemented"},
    Named{99, "Information element/parameter non-existent or not implemented"},
    Named{100, "Invalid information element contents"},
    Named{101, "Message not compatible with call state"},
    Named{102, "Recovery on timer expiry"},
    Named{111, "Protocol error, unspecified"},
    Named{127, "Interworking, unspecified"},
};

// RFC 3398 §7.2.4.1: received cause value → SIP response (16: none).
constexpr std::array<std::pair<std::uint8_t, int>, 32> kCauseToStatus{{
    {1, 404},  {2, 404},  {3, 404},  {17, 486}, {18, 408}, {19, 480}, {20, 480}, {21, 403},
    {22, 410}, {23, 410}, {26, 404}, {27, 502}, {28, 484}, {29, 501}, {31, 480}, {34, 503},
    {38, 503}, {41, 503}, {42, 503}, {47, 503}, {55, 403}, {57, 403}, {58, 503}, {65, 488},
    {70, 488}, {79, 501}, {87, 403}, {88, 503}, {102, 504}, {111, 500}, {127, 500}, {16, 0},
}};

// RFC 3398 §8.2.6.1: SIP response → cause value in the release (487, 488, 606: see the header).
constexpr std::array<std::pair<int, std::uint8_t>, 36> kStatusToCause{{
    {400, 41},  {401, 21},  {402, 21},  {403, 21},  {404, 1},   {405, 63},  {406, 79},  {407, 21},
    {408, 102}, {410, 22},  {413, 127}, {414, 127}, {415, 79},  {416, 127}, {420, 127}, {421, 127},
    {423, 127}, {480, 18},  {481, 41},  {482, 25},  {483, 25},  {484, 28},  {485, 1},   {486, 17},
    {488, 65},  {500, 41},  {501, 79},  {502, 38},  {503, 41},  {504, 102}, {505, 127}, {513, 127},
    {600, 17},  {603, 21},  {604, 1},   {606, 65},
}};

int status_by_class(std::uint8_t value) {
  if (value <= 31) return 480;
  if (value <= 47) return 503;
  if (value <= 63) return 503;
  if (value <= 79) return 501;
  return 500;
}

// The 6xx a user's own refusal gives instead of its 4xx (RFC 3398 §7.2.4.1 note (+)).
int global_for_user(int status) {
  switch (status) {
    case 403: return 603;
    case 486: return 600;
    default: return status;
  }
}

// The cause=N parameter of one reason-value ("Q.850 ;cause=34 ;text=...").
std::optional<std::uint8_t> cause_param(std::string_view reason) {
  using sip::text::iequals;
  using sip::text::trim;
  const auto semi = reason.find(';');
  if (!iequals(trim(reason.substr(0, semi)), "Q.850") || semi == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view params = reason.substr(semi + 1);
  while (!params.empty()) {
    const auto next = params.find(';');
    const std::string_view param = trim(params.substr(0, next));
    params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
    const auto eq = param.find('=');
    if (eq == std::string_view::npos || !iequals(trim(param.substr(0, eq)), "cause")) continue;
    const std::string_view digits = trim(param.substr(eq + 1));
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    unsigned value = 0;
    for (char c : digits) {
      if (!sip::text::is_digit(c)) return std::nullopt;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value < 1 || value > 127) return std::nullopt;
    return static_cast<std::uint8_t>(value);
  }
  return std::nullopt;
}

}  // namespace

std::string cause_text(std::uint8_t value) {
  for (const auto& n : kCauseNames) {
    if (n.value == value) return std::string(n.text);
  }
  return "Cause " + std::to_string(value);
}

std::optional<int> sip_status_for(Cause c) {
  if (c.value == cause::kNormalClearing) return std::nullopt;
  int status = status_by_class(c.value);
  for (const auto& [value, mapped] : kCauseToStatus) {
    if (value == c.value) status = mapped;
  }
  return c.location == CauseLocation::User ? global_for_user(status) : status;
}

std::optional<std::uint8_t> q850_for_status(int status) {
  if (status < 300 || status > 699 || status == 487) return std::nullopt;
  const auto find = [](int s) -> std::optional<std::uint8_t> {
    for (const auto& [code, value] : kStatusToCause) {
      if (code == s) return value;
    }
    return std::nullopt;
  };
  if (auto v = find(status)) return v;
  // Unknown codes: as their class's x00 (RFC 3261 §8.1.3.2). A redirection the gateway did not
  // follow has no cause of its own: the call could not be completed, 31.
  if (status < 400) return cause::kNormalUnspecified;
  return find(status / 100 * 100);
}

std::string reason_header(std::uint8_t value) {
  std::string text = cause_text(value);
  std::string quoted;
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return "Q.850;cause=" + std::to_string(value) + ";text=\"" + quoted + "\"";
}

std::optional<std::uint8_t> q850_of_reason(std::string_view header_value) {
  // Reason values are separated by commas; a comma inside a quoted text does not separate.
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= header_value.size(); ++i) {
    if (i < header_value.size()) {
      const char c = header_value[i];
      if (c == '\\' && quoted) {
        ++i;
        continue;
      }
      if (c == '"') quoted = !quoted;
      if (c != ',' || quoted) continue;
    }
    if (auto value = cause_param(header_value.substr(start, i - start))) return value;
    start = i + 1;
  }
  return std::nullopt;
}

}  // namespace resproxy::gateway
