#pragma once
// Internal to proxy/config: the INI parser's state between parser.cpp (syntax, sections,
// parameters and the proxy's cross-field rules) and parser_gateway.cpp (the cross-field rules
// of [gateway*] and [sim_hardware*]). Only parse_config() (daemon_config.h) is public.
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "proxy/config/daemon_config.h"
#include "proxy/config/spec.h"
#include "proxy/config/text.h"

namespace resproxy::config::detail {

// One line of the file, split.
struct Line {
  enum class Kind { Blank, Section, Parameter } kind = Kind::Blank;
  std::string_view name;
  std::string value;
};

class Parser {
 public:
  Parser(std::string_view text, std::string_view file) : text_(text), file_(file) {}

  DaemonConfig run();

 private:
  [[noreturn]] void fail(int line, std::string section, std::string parameter,
                         std::string problem, std::string_view allowed = {}) const {
    throw ConfigError(std::string(file_), line, std::move(section), std::move(parameter),
                      std::move(problem), std::string(allowed));
  }

  // The line "section parameter" was set on, or `fallback` if the file left it at its default:
  // a cross-field error names the line the user wrote, else the section header (or 0).
  int line_or(const std::string& key, int fallback) const {
    const auto it = builder_.line_of.find(key);
    return it == builder_.line_of.end() ? fallback : it->second;
  }

  Line split(std::string_view raw, int line_number);
  void enter_section(std::string_view raw_name, int line_number);
  void set_parameter(std::string_view raw_name, std::string_view value, int line_number);
  void finish();
  void finish_gateway();  // [gateway*] and [sim_hardware*], in parser_gateway.cpp

  std::string_view text_;
  std::string_view file_;
  Builder builder_;

  const SectionSpec* section_ = nullptr;
  std::string section_name_;  // canonical, with ".N"
  int section_index_ = 0;
  std::map<std::string, int> sections_seen_;  // canonical name → header line
  std::set<std::string> params_seen_;          // "section parameter" already set
};

}  // namespace resproxy::config::detail
