#include "proxy/config/schema.h"

#include <algorithm>
#include <utility>

#include "proxy/config/spec.h"

namespace resproxy::config {

namespace {

// A plain list of words ("always, call_setup", "0, 1, on, off"): shown as code in the reference.
bool is_word_list(std::string_view allowed) {
  if (allowed.find(", ") == std::string_view::npos) return false;
  std::size_t start = 0;
  while (start <= allowed.size()) {
    const std::size_t end = std::min(allowed.find(", ", start), allowed.size());
    const std::string_view word = allowed.substr(start, end - start);
    if (word.empty() || word.find("..") != std::string_view::npos) return false;
    for (char c : word) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-';
      if (!ok) return false;
    }
    start = end + 2;
  }
  return true;
}

std::string code_list(std::string_view allowed) {
  std::string out = "`";
  for (char c : allowed) {
    if (c == ',') {
      out += "`,";
    } else if (c == ' ' && !out.empty() && out.back() == ',') {
      out += " `";
    } else {
      out += c;
    }
  }
  return out + "`";
}

ParamInfo resolved(ParamInfo info, bool indexed) {
  if (indexed) info.example = true;
  if (info.doc_default.empty()) {
    info.doc_default = info.value.empty() ? "empty" : "`" + info.value + "`";
  }
  if (info.doc_allowed.empty()) {
    info.doc_allowed = is_word_list(info.allowed) ? code_list(info.allowed) : info.allowed;
  }
  return info;
}

}  // namespace

std::string SectionSpec::param_names() const {
  std::vector<std::string> names;
  for (const auto& p : params) names.push_back(p.info.name);
  return text::join(names);
}

ParamSpec param(std::string name, std::string allowed, Setter set, Doc doc,
                std::vector<std::string> aliases) {
  ParamInfo info{.name = std::move(name),
                 .aliases = std::move(aliases),
                 .allowed = std::move(allowed),
                 .value = std::move(doc.value),
                 .example = doc.example,
                 .comment = std::move(doc.comment),
                 .doc_default = std::move(doc.doc_default),
                 .doc_allowed = std::move(doc.doc_allowed),
                 .doc = std::move(doc.doc),
                 .table = std::move(doc.table)};
  return ParamSpec{std::move(info), std::move(set)};
}

ParamSpec integer(std::string name, std::int64_t min, std::int64_t max, std::string_view unit,
                  std::function<void(Builder&, std::int64_t)> store, Doc doc) {
  return param(std::move(name), range_text(min, max, unit),
               [min, max, store = std::move(store)](Builder& b, int, int, std::string_view value) {
                 store(b, parse_integer(value, min, max));
               },
               std::move(doc));
}

ParamSpec flag(std::string name, std::function<void(Builder&, bool)> store, Doc doc) {
  return param(std::move(name), std::string(kBoolAllowed),
               [store = std::move(store)](Builder& b, int, int, std::string_view value) {
                 store(b, parse_bool(value));
               },
               std::move(doc));
}

ParamSpec enable_param(Setter set) {
  return param("enable", std::string(kBoolAllowed), std::move(set),
               {.value = "1", .comment = "0 or 1", .doc = "use this entry", .doc_default = "`0`"});
}

const std::vector<SectionSpec>& section_specs() {
  // The order of the "allowed:" list of an unknown section's error, of the default file and of
  // schema(). Users have scripts matching the error: append, do not reorder.
  static const std::vector<SectionSpec> specs = {
      sipproxy_section(),   advanced_section(),   pstn_gw_section(),    itsp_proxy_section(),
      auth_section(),       itsp_proxy_entries(), lan_hosts_section(),  auth_users_section(),
      ignore_section(),     reject_section(),     trust_section(),      trust_entries(),
      dos_section(),        registrar_section(),  alias_section(),      directory_section(),
      gateway_section(),    gateway_group_section(), gateway_dialplan_section(),
      sim_exchange_section(), sim_e1_section(),   sim_fxo_section(),    sim_numbers_section(),
      media_relay_section(), media_relay_entries(),
  };
  return specs;
}

const std::vector<SectionInfo>& schema() {
  static const std::vector<SectionInfo> view = [] {
    std::vector<SectionInfo> out;
    for (const auto& spec : section_specs()) {
      SectionInfo section{.name = spec.name,
                          .indexed = spec.indexed,
                          .max_index = spec.max_index,
                          .comment = spec.comment,
                          .params = {}};
      for (const auto& p : spec.params) section.params.push_back(resolved(p.info, spec.indexed));
      out.push_back(std::move(section));
    }
    return out;
  }();
  return view;
}

}  // namespace resproxy::config
