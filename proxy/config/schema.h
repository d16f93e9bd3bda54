#pragma once
// The configuration schema, read-only: every section and parameter the parser accepts, in the
// parser's order, with what the embedded default file and docs/configuration.md say about each.
// The parser (parser.cpp) and the generators (generate.cpp) read the same entries
// (schema_*.cpp), so the three cannot drift apart; tests loop over this view.
#include <string>
#include <string_view>
#include <vector>

namespace resproxy::config {

inline constexpr int kMaxIndex = 100;      // [sipproxy.trust.N] and friends: N = 1..100
inline constexpr int kMaxAuthUsers = 120;  // [sipproxy.auth.user.N]: N = 1..120

struct ParamInfo {
  std::string name;                  // canonical: lower case, underscores
  std::vector<std::string> aliases;  // other accepted names (the seed's typos)
  std::string allowed;               // the "allowed:" part of its errors
  // As written in the default file: the default value; for an example (below) a typical value.
  std::string value;
  // Written commented out (`; name = value`): a parameter of an indexed section, or one whose
  // default is another parameter's (probe_interval_ms).
  bool example = false;
  std::string comment;        // the default file's comment; '\n' continues it on the next line
  std::string doc_default;    // docs/configuration.md's "default" cell
  std::string doc_allowed;    // its "allowed" cell
  std::string doc;            // its "meaning" cell
  std::string table;          // which of the section's reference tables; empty: the main one
};

struct SectionInfo {
  std::string name;  // canonical; an indexed section without ".N"
  bool indexed = false;
  int max_index = kMaxIndex;  // indexed sections: N = 1..max_index
  std::string comment;        // the default file's comment above the section ('\n': new line)
  std::vector<ParamInfo> params;

  [[nodiscard]] std::string display() const { return indexed ? name + ".N" : name; }
};

// Every section, in the parser's order (the order of its "allowed:" list of sections).
const std::vector<SectionInfo>& schema();

// One table of docs/configuration.md: the parameters of `sections` whose ParamInfo::table is
// `table`, one part after another. Sections listed together in one part (`[sipproxy.ignore.N]`,
// `[sipproxy.reject.N]`) have the same parameters and are shown once.
struct ReferencePart {
  std::vector<std::string> sections;  // display names ("sipproxy.trust.N")
  std::string table;
};
struct ReferenceTable {
  std::vector<ReferencePart> parts;
  // The region's name in the markers: the parts' sections joined by '+', "/table" if any.
  [[nodiscard]] std::string key() const;
};

// The tables in docs/configuration.md's order.
const std::vector<ReferenceTable>& reference_tables();

// The markdown of one table (header, separator, one row per parameter), without markers.
std::string reference_table_markdown(const ReferenceTable& table);

// The marker lines around a table's region in docs/configuration.md.
std::string reference_begin_marker(const ReferenceTable& table);
inline constexpr std::string_view kReferenceEndMarker = "<!-- END generated -->";

}  // namespace resproxy::config
