#include "proxy/native/admin_text.h"

#include <charconv>
#include <vector>

namespace resproxy::native {

namespace {

constexpr std::string_view kHelp =
    "show reg        the registration cache\n"
    "kill reg N      remove entry N of show reg\n"
    "show itsp       ITSP proxies and their state\n"
    "show counters   request counters\n"
    "show bans       sources banned by the flood guard\n"
    "unban ADDRESS   lift a ban\n"
    "show channels   the gateway's E1 channels and analogue lines\n"
    "pstn call FROM TO [hold S] [patience S]\n"
    "                the emulated exchange calls the office (FROM: a number or withheld)\n"
    "pstn calls      the emulated exchange's call records\n";

std::string join(const std::vector<std::string>& items, char separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

struct Formatter {
  AdminText operator()(const admin::Registrations& r) const {
    std::string out = "index user aliases contact source transport expires origin\n";
    for (const auto& row : r.rows) {
      out += std::to_string(row.index) + " " + row.user + " " +
             (row.aliases.empty() ? "-" : join(row.aliases, ',')) + " " + row.contact + " " +
             row.source + " " + row.transport + " " + std::to_string(row.expires_in_s) + "s " +
             (row.from_itsp ? "itsp" : "local") + "\n";
    }
    out += std::to_string(r.rows.size()) + " registrations\n";
    return {true, std::move(out)};
  }
  AdminText operator()(const admin::ItspStatus& s) const {
    std::string out = "mode " + s.mode;
    if (!s.has_itsp) return {true, out + "\nno ITSP proxies in this mode\n"};
    out += s.failure_operation ? " failure_operation\n" : " normal_operation\n";
    if (s.proxies.empty()) {
      return {true, out + "no ITSP proxy configured or resolved: failure operation until one is\n"};
    }
    out += "index name address state since_s transitions\n";
    for (const auto& p : s.proxies) {
      out += std::to_string(p.index) + " " + p.name + " " + p.address + " " + p.state + " " +
             std::to_string(p.since_s) + " " + std::to_string(p.transitions) + "\n";
    }
    out += "probes_sent " + std::to_string(s.probes_sent) + "\n";
    return {true, std::move(out)};
  }
  AdminText operator()(const admin::Counters& c) const {
    std::string out;
    for (const auto& v : c.values) {
      out += v.name;
      out += ' ';
      out += std::to_string(v.value);
      out += '\n';
    }
    return {true, std::move(out)};
  }
  AdminText operator()(const admin::Bans& b) const {
    std::string out = "source seconds_left dropped\n";
    for (const auto& row : b.rows) {
      out += row.source + " " + std::to_string(row.seconds_left) + " " + std::to_string(row.dropped) + "\n";
    }
    out += std::to_string(b.rows.size()) + " bans\n";
    return {true, std::move(out)};
  }
  AdminText operator()(const admin::Channels& c) const {
    std::string out = "span channel group state called calling since_s\n";
    std::size_t busy = 0;
    for (const auto& row : c.rows) {
      const bool has_call = row.since_s >= 0;
      if (has_call) ++busy;
      std::string state = row.state;
      if (has_call && row.answered) state += "+answered";
      out += std::to_string(row.span) + " " + std::to_string(row.channel) + " " +
             (row.group.empty() ? "-" : row.group) + " " + state + " " +
             (row.called.empty() ? "-" : row.called) + " " +
             (row.calling.empty() ? "-" : row.calling) + " " +
             (has_call ? std::to_string(row.since_s) : std::string("-")) + "\n";
    }
    out += std::to_string(c.rows.size()) + " channels, " + std::to_string(busy) + " in use\n";
    return {true, std::move(out)};
  }
  AdminText operator()(const admin::Done& d) const { return {true, d.what + "\n"}; }
  AdminText operator()(const admin::Refused& r) const { return {false, "error: " + r.reason + "\n"}; }
  AdminText operator()(const admin::Unsupported&) const {
    return {false, "error: this node has no management\n"};
  }
};

}  // namespace

std::vector<std::string_view> words_of(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    const std::size_t start = pos;
    while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t') ++pos;
    if (pos > start) words.push_back(line.substr(start, pos - start));
  }
  return words;
}

ParsedCommand parse_admin_command(std::string_view line) {
  const auto words = words_of(line);
  const auto is = [&](std::initializer_list<std::string_view> expected) {
    if (words.size() != expected.size()) return false;
    std::size_t i = 0;
    for (const auto w : expected) {
      if (!w.empty() && words[i] != w) return false;
      ++i;
    }
    return true;
  };
  if (is({"show", "reg"})) return admin::ShowRegistrations{};
  if (is({"show", "itsp"})) return admin::ShowItsp{};
  if (is({"show", "counters"})) return admin::ShowCounters{};
  if (is({"show", "bans"})) return admin::ShowBans{};
  if (is({"show", "channels"})) return admin::ShowChannels{};
  if (is({"unban", ""})) return admin::Unban{std::string(words[1])};
  if (is({"help"})) return AdminText{true, std::string(kHelp)};
  if (is({"kill", "reg", ""})) {
    const auto which = words[2];
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(which.data(), which.data() + which.size(), n);
    if (ec != std::errc{} || end != which.data() + which.size() || n == 0) {
      return AdminText{false, "error: no registration '" + std::string(which) +
                                  "': N is a number from show reg's first column\n"};
    }
    return admin::KillRegistration{n};
  }
  return AdminText{false, "error: unknown command '" + std::string(line) +
                              "'; commands: show reg, kill reg N, show itsp, show counters, "
                              "show bans, unban ADDRESS, show channels, help\n"};
}

AdminText format_admin_result(const admin::Result& result) { return std::visit(Formatter{}, result); }

}  // namespace resproxy::native
