#include "proxy/base/trace.h"

namespace resproxy {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

std::string to_json_line(const TraceEvent& event, std::string_view node) {
  std::string out;
  out.reserve(64 + event.fields.size() * 24);
  out += "{\"t_ns\":";
  out += std::to_string(to_ns(event.t));
  out += ",\"node\":";
  append_json_string(out, node);
  out += ",\"ev\":";
  append_json_string(out, event.name);
  for (const auto& [key, value] : event.fields) {
    out.push_back(',');
    append_json_string(out, key);
    out.push_back(':');
    append_json_string(out, value);
  }
  out.push_back('}');
  return out;
}

}  // namespace resproxy
