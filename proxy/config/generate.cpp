// What is generated from the schema: the embedded default file and docs/configuration.md's
// parameter tables. Both are pure functions of schema(); a test parses the one and compares
// the other with the document.
#include <string>
#include <string_view>

#include "proxy/config/daemon_config.h"
#include "proxy/config/schema.h"
#include "proxy/config/text.h"

namespace resproxy::config {

namespace {

constexpr std::string_view kFileIntro =
    R"(; resproxy configuration: the embedded default.
;
; `resproxy` with no --config runs on exactly this text; `resproxy --print-config` prints it,
; so a copy is a good start for your own file (`resproxy --config FILE`). Every parameter is
; shown with its default value; the indexed sections ([section.N]) and parameters whose
; default is another's are shown commented out, with example values. docs/configuration.md
; describes each one.
;
; Syntax: [section] headers and `parameter = value` lines. Names are case-insensitive and a
; space in a name equals an underscore (`rx port` = `rx_port`), as in the Vega Resilience
; Proxy's parameter list. Comments start with ';' or '#', also after a value. A value that
; contains ';' or '#' (a SIP URI with parameters) must be written in double quotes. Unknown
; sections or parameters, repeated ones and bad values make the whole file refused.
)";

// The column the comments after values start in.
constexpr std::size_t kCommentColumn = 31;

void append_comment_block(std::string& out, std::string_view comment) {
  for (const auto line : text::lines(comment)) {
    out += "; ";
    out += line;
    out += '\n';
  }
}

void append_parameter(std::string& out, const ParamInfo& p) {
  std::string left = p.example ? "; " : "";
  left += p.name + " =";
  if (!p.value.empty()) {
    const bool quote = p.value.find_first_of(";#") != std::string::npos;
    left += ' ';
    left += quote ? text::quoted(p.value) : p.value;
  }
  const auto lines = text::lines(p.comment);
  if (lines.empty()) {
    out += left + '\n';
    return;
  }
  out += left;
  out += left.size() < kCommentColumn ? std::string(kCommentColumn - left.size(), ' ') : " ";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += std::string(kCommentColumn, ' ');
    out += "; ";
    out += lines[i];
    out += '\n';
  }
}

const SectionInfo* find_section(std::string_view display) {
  for (const auto& s : schema()) {
    if (s.display() == display) return &s;
  }
  return nullptr;
}

// A table cell: '|' would end it.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string row(const ParamInfo& p) {
  std::string name = "`" + p.name + "`";
  for (const auto& alias : p.aliases) name += " (also the seed's `" + alias + "`)";
  return cell(name) + " | " + cell(p.doc_default) + " | " + cell(p.doc_allowed) + " | " +
         cell(p.doc) + " |\n";
}

}  // namespace

std::string default_config_text() {
  std::string out(kFileIntro);
  for (const auto& section : schema()) {
    out += '\n';
    append_comment_block(out, section.comment);
    if (section.indexed) {
      out += "; [" + section.name + ".1]\n";
    } else {
      out += "[" + section.name + "]\n";
    }
    for (const auto& p : section.params) append_parameter(out, p);
  }
  return out;
}

std::string ReferenceTable::key() const {
  std::vector<std::string> names;
  for (const auto& part : parts) {
    std::string name = text::join(part.sections, "+");
    if (!part.table.empty()) name += "/" + part.table;
    names.push_back(std::move(name));
  }
  return text::join(names, "+");
}

const std::vector<ReferenceTable>& reference_tables() {
  // docs/configuration.md's order. Sections in one part share their parameters (both come
  // from one range_table()); several parts make a table with a section column.
  static const std::vector<ReferenceTable> tables = {
      {{{{"sipproxy"}, ""}}},
      {{{{"advanced.sipproxy"}, ""}}},
      {{{{"sipproxy.pstn_gw"}, ""}}},
      {{{{"sipproxy.itsp_proxy"}, ""}}},
      {{{{"sipproxy.itsp_proxy.N"}, ""}}},
      {{{{"sipproxy.lan_hosts.N"}, ""}}},
      {{{{"sipproxy.auth"}, ""}}},
      {{{{"sipproxy.auth.user.N"}, ""}}},
      {{{{"sipproxy.ignore.N", "sipproxy.reject.N"}, ""}}},
      {{{{"sipproxy.trust"}, ""}, {{"sipproxy.trust.N"}, ""}}},
      {{{{"sipproxy.dos"}, ""}}},
      {{{{"advanced.sipproxy"}, "tcp"}}},
      {{{{"advanced.sipproxy"}, "tls"}}},
      {{{{"sipproxy.registrar"}, ""}}},
      {{{{"sipproxy.alias.N"}, ""}}},
      {{{{"sipproxy.directory.N"}, ""}}},
      {{{{"gateway"}, ""}}},
      {{{{"gateway.group.N"}, ""}}},
      {{{{"gateway.dialplan.N"}, ""}}},
      {{{{"sim_hardware.exchange"}, ""}}},
      {{{{"sim_hardware.e1.N"}, ""}}},
      {{{{"sim_hardware.fxo.N"}, ""}}},
      {{{{"sim_hardware.numbers.N"}, ""}}},
      {{{{"media_relay"}, ""}}},
      {{{{"media_relay.relay.N"}, ""}}},
  };
  return tables;
}

std::string reference_table_markdown(const ReferenceTable& table) {
  const bool section_column = table.parts.size() > 1;
  std::string out = section_column ? "| section | parameter | default | allowed | meaning |\n"
                                     "| --- | --- | --- | --- | --- |\n"
                                   : "| parameter | default | allowed | meaning |\n"
                                     "| --- | --- | --- | --- |\n";
  for (const auto& part : table.parts) {
    const SectionInfo* section = find_section(part.sections.front());
    if (section == nullptr) continue;  // a test checks that every table names real sections
    bool first = true;
    for (const auto& p : section->params) {
      if (p.table != part.table) continue;
      out += "| ";
      if (section_column) {
        std::vector<std::string> names;
        for (const auto& name : part.sections) names.push_back("`[" + name + "]`");
        out += first ? text::join(names) + " | " : "| ";
      }
      out += row(p);
      first = false;
    }
  }
  return out;
}

std::string reference_begin_marker(const ReferenceTable& table) {
  return "<!-- BEGIN generated: resproxy --print-config-reference " + table.key() + " -->";
}

std::string parameter_reference_markdown() {
  std::string out;
  for (const auto& table : reference_tables()) {
    if (!out.empty()) out += '\n';
    out += reference_begin_marker(table) + "\n";
    out += reference_table_markdown(table);
    out += std::string(kReferenceEndMarker) + "\n";
  }
  return out;
}

}  // namespace resproxy::config
