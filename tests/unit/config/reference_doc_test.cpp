// docs/configuration.md's parameter tables are the schema's: each generated region of the
// document equals what parameter_reference_markdown() prints for it, every table the schema
// has is in the document, and every parameter of the schema is in one table.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "proxy/config/daemon_config.h"
#include "proxy/config/schema.h"

namespace resproxy::config {
namespace {

constexpr std::string_view kFix = "run scripts/gen-config-doc.sh to regenerate the tables";

std::string read_document() {
  const std::string path = std::string(RESPROXY_SOURCE_DIR) + "/docs/configuration.md";
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Region {
  int line = 0;  // of the BEGIN marker
  std::string body;
  bool closed = false;
};

// The document's generated regions by BEGIN marker line. A marker seen twice fails the test.
std::map<std::string, Region> regions_of(const std::string& document) {
  std::map<std::string, Region> out;
  std::istringstream in(document);
  std::string line;
  Region* open = nullptr;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.starts_with("<!-- BEGIN generated:")) {
      EXPECT_EQ(open, nullptr) << "configuration.md:" << number << ": BEGIN inside a region";
      EXPECT_FALSE(out.contains(line)) << "configuration.md:" << number << ": repeated " << line;
      open = &out[line];
      open->line = number;
    } else if (line == kReferenceEndMarker) {
      EXPECT_NE(open, nullptr) << "configuration.md:" << number << ": END outside a region";
      if (open != nullptr) open->closed = true;
      open = nullptr;
    } else if (open != nullptr) {
      open->body += line + "\n";
    }
  }
  return out;
}

// The first line where two texts differ, for the failure message.
std::string first_difference(const std::string& want, const std::string& got) {
  std::istringstream a(want), b(got);
  std::string la, lb;
  for (int n = 1;; ++n) {
    const bool more_a = static_cast<bool>(std::getline(a, la));
    const bool more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) return "";
    if (!more_a || !more_b || la != lb) {
      return "row " + std::to_string(n) + ":\n  schema:   " + (more_a ? la : "(nothing)") +
             "\n  document: " + (more_b ? lb : "(nothing)");
    }
  }
}

TEST(ConfigReference, DocumentTablesAreTheSchemas) {
  const auto regions = regions_of(read_document());
  std::set<std::string> expected;
  for (const auto& table : reference_tables()) {
    const std::string marker = reference_begin_marker(table);
    expected.insert(marker);
    const auto it = regions.find(marker);
    if (it == regions.end()) {
      ADD_FAILURE() << "docs/configuration.md has no region " << marker
                    << "; add it with the END marker where the table belongs, then " << kFix;
      continue;
    }
    EXPECT_TRUE(it->second.closed) << "configuration.md:" << it->second.line << ": no END marker";
    const std::string want = reference_table_markdown(table);
    EXPECT_TRUE(it->second.body == want)
        << "docs/configuration.md:" << it->second.line << ": the table " << table.key()
        << " differs from the schema (proxy/config/schema_*.cpp) at "
        << first_difference(want, it->second.body) << "\n" << kFix;
  }
  for (const auto& [marker, region] : regions) {
    EXPECT_TRUE(expected.contains(marker))
        << "configuration.md:" << region.line << ": " << marker
        << " names no table of the schema (reference_tables() in proxy/config/generate.cpp)";
  }
}

TEST(ConfigReference, PrintedReferenceIsEveryTableBetweenItsMarkers) {
  const auto regions = regions_of(parameter_reference_markdown());
  ASSERT_EQ(regions.size(), reference_tables().size());
  for (const auto& table : reference_tables()) {
    const auto it = regions.find(reference_begin_marker(table));
    ASSERT_NE(it, regions.end()) << table.key();
    EXPECT_TRUE(it->second.closed);
    EXPECT_EQ(it->second.body, reference_table_markdown(table));
  }
}

// Each parameter is in exactly one table; sections shown together have the same parameters.
TEST(ConfigReference, EveryParameterIsInOneTable) {
  std::map<std::string, const SectionInfo*> sections;
  for (const auto& s : schema()) sections[s.display()] = &s;
  std::map<std::string, int> shown;  // "section parameter" → tables showing it
  std::set<std::string> keys;
  for (const auto& table : reference_tables()) {
    EXPECT_TRUE(keys.insert(table.key()).second) << "two tables named " << table.key();
    for (const auto& part : table.parts) {
      ASSERT_FALSE(part.sections.empty()) << table.key();
      const auto first = sections.find(part.sections.front());
      ASSERT_NE(first, sections.end()) << table.key() << ": no section " << part.sections.front();
      for (const auto& name : part.sections) {
        const auto it = sections.find(name);
        ASSERT_NE(it, sections.end()) << table.key() << ": no section " << name;
        std::vector<std::string> mine, theirs;
        for (const auto& p : it->second->params) {
          if (p.table == part.table) mine.push_back(p.name);
        }
        for (const auto& p : first->second->params) {
          if (p.table == part.table) theirs.push_back(p.name);
        }
        EXPECT_EQ(mine, theirs) << table.key() << ": " << name << " is shown as "
                                << part.sections.front() << " but its parameters differ";
        for (const auto& p : mine) ++shown[name + " " + p];
      }
    }
  }
  for (const auto& s : schema()) {
    for (const auto& p : s.params) {
      EXPECT_EQ(shown[s.display() + " " + p.name], 1)
          << "[" << s.display() << "] " << p.name << " (table \"" << p.table
          << "\") is not in exactly one of reference_tables()";
    }
  }
}

}  // namespace
}  // namespace resproxy::config
