// The tshark oracle of issue 12: Wireshark's Q.931 dissector reads every hand-written vector of
// tests/unit/sim_hardware/q931_vectors.h as intended. All vectors go into one pcap (link type
// DLT_USER0 = 147, mapped to the "q931" dissector through the user_dlts table), tshark reads it
// twice — once printing the dissector's fields (`-T fields`), once printing the tree (`-V`) for the
// message type names — and each vector's test compares:
//   - the header: protocol discriminator, call reference length, flag and value, message type
//     and its name, derived from the vector's typed message;
//   - the vector's own fields (IE identifiers in order, channel number, cause value, digits…);
//   - no expert information and no "Malformed Packet".
// The pcap also carries corrupted copies of two vectors; the oracle must see them differ.
// Needs tshark (scripts/setup.sh); fails, not skips, without it.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim_hardware/q931/codec.h"
#include "tests/unit/sim_hardware/q931_vectors.h"

namespace resproxy::q931 {
namespace {

using test_vectors::TsharkField;
using test_vectors::Vector;

constexpr std::string_view kTshark = RESPROXY_TSHARK;
constexpr std::uint32_t kLinkTypeUser0 = 147;  // DLT_USER0
// tshark's user_dlts table: DLT 147 carries Q.931 with no header or trailer.
constexpr std::string_view kUserDlt =
    R"dlt(uat:user_dlts:"User 0 (DLT=147)","q931","0","","0","")dlt";

// The two corrupted frames after the vectors: the SETUP with B-channel 2 instead of 1, the
// DISCONNECT with cause 17 instead of 16.
constexpr std::string_view kCorruptedSetup = "Setup_3_1_14_IncomingSpeechCall";
constexpr std::string_view kCorruptedDisconnect = "Disconnect_3_1_5_NormalClearingWithTones";

std::string hex_value(std::uint32_t value, int octets) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (int nibble = octets * 2 - 1; nibble >= 0; --nibble)
    out.push_back(kDigits[(value >> (4 * nibble)) & 0xF]);
  return out;
}

// What tshark must print for the header of `m` (§4.2-§4.4).
std::vector<std::pair<std::string, std::string>> header_fields(const Message& m) {
  const CallReference& cr = m.call_reference;
  const bool has_value = cr.length > 0;
  return {
      {"q931.disc", "0x08"},
      {"q931.call_ref_len", std::to_string(cr.length)},
      {"q931.call_ref_flag",
       has_value ? (cr.flag == CallReferenceFlag::ToOriginatingSide ? "1" : "0") : ""},
      {"q931.call_ref", has_value ? hex_value(cr.value, cr.length) : ""},
      {"q931.message_type", "0x" + hex_value(static_cast<std::uint8_t>(m.type), 1)},
  };
}

void put32(std::ofstream& out, std::uint32_t v) {
  const char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 24)};
  out.write(b, 4);
}
void put16(std::ofstream& out, std::uint16_t v) {
  const char b[2] = {static_cast<char>(v), static_cast<char>(v >> 8)};
  out.write(b, 2);
}

// libpcap file format, little-endian: global header, then a record header and the octets per frame.
void write_pcap(const std::string& path, const std::vector<std::vector<std::uint8_t>>& frames) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  put32(out, 0xA1B2C3D4);  // magic
  put16(out, 2);           // version 2.4
  put16(out, 4);
  put32(out, 0);  // time zone
  put32(out, 0);  // timestamp accuracy
  put32(out, 65535);
  put32(out, kLinkTypeUser0);
  std::uint32_t second = 0;
  for (const auto& frame : frames) {
    put32(out, second++);
    put32(out, 0);
    put32(out, static_cast<std::uint32_t>(frame.size()));
    put32(out, static_cast<std::uint32_t>(frame.size()));
    out.write(reinterpret_cast<const char*>(frame.data()),
              static_cast<std::streamsize>(frame.size()));
  }
}

struct RunResult {
  int status = -1;
  std::string output;
};

RunResult run(const std::string& command) {
  RunResult r;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return r;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe.get())) > 0) r.output.append(buffer, n);
  r.status = pclose(pipe.release());
  return r;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

// What tshark read: per frame (1-based), field name → value (occurrences joined with ';'), and
// the frame's protocol tree as text.
struct Dissection {
  std::string error;  // set when tshark could not be run
  std::vector<std::map<std::string, std::string>> fields;
  std::vector<std::string> trees;
};

std::vector<std::string> all_field_names() {
  std::vector<std::string> names = {"frame.number", "_ws.expert", "_ws.malformed"};
  const auto add = [&names](std::string_view name) {
    for (const auto& n : names) {
      if (n == name) return;
    }
    names.emplace_back(name);
  };
  for (const auto& [name, value] : header_fields(Message{})) add(name);
  for (const Vector& v : test_vectors::vectors()) {
    for (const TsharkField& f : v.tshark) add(f.field);
  }
  return names;
}

Dissection dissect(const std::vector<std::vector<std::uint8_t>>& frames) {
  Dissection d;
  if (kTshark.empty()) {
    d.error = "tshark not found when configuring: scripts/setup.sh installs it";
    return d;
  }
  // A directory of our own: tests may run in parallel processes.
  std::string dir = ::testing::TempDir() + "resproxy_q931_oracle.XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) {
    d.error = "mkdtemp failed in " + ::testing::TempDir();
    return d;
  }
  struct RemoveAll {
    std::string path;
    ~RemoveAll() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  } cleanup{dir};
  const std::string pcap = dir + "/vectors.pcap";
  const std::string stderr_file = dir + "/tshark.stderr";
  write_pcap(pcap, frames);
  const std::string base =
      "'" + std::string(kTshark) + "' -n -o '" + std::string(kUserDlt) + "' -r '" + pcap + "'";

  const std::vector<std::string> names = all_field_names();
  std::string command = base + " -T fields -E separator=/t -E occurrence=a -E 'aggregator=;'";
  for (const auto& name : names) command += " -e " + name;
  command += " 2>'" + stderr_file + "'";
  const RunResult table = run(command);
  if (table.status != 0) {
    std::ifstream err(stderr_file);
    std::stringstream text;
    text << err.rdbuf();
    d.error = "tshark -T fields failed (" + std::to_string(table.status) + "): " + text.str();
    return d;
  }
  for (const std::string& line : split(table.output, '\n')) {
    if (line.empty()) continue;
    const auto columns = split(line, '\t');
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < names.size(); ++i)
      row[names[i]] = i < columns.size() ? columns[i] : "";
    d.fields.push_back(std::move(row));
  }

  const RunResult tree = run(base + " -V 2>'" + stderr_file + "'");
  if (tree.status != 0) {
    d.error = "tshark -V failed (" + std::to_string(tree.status) + ")";
    return d;
  }
  for (const std::string& line : split(tree.output, '\n')) {
    if (line.rfind("Frame ", 0) == 0) d.trees.emplace_back();
    if (!d.trees.empty()) d.trees.back() += line + "\n";
  }
  return d;
}

const Vector& vector_named(std::string_view name) {
  for (const Vector& v : test_vectors::vectors()) {
    if (v.name == name) return v;
  }
  throw std::invalid_argument("no vector " + std::string(name));
}

// The frames: every vector, then the corrupted copies.
std::vector<std::vector<std::uint8_t>> frames() {
  std::vector<std::vector<std::uint8_t>> out;
  for (const Vector& v : test_vectors::vectors()) out.push_back(v.octets);
  auto setup = vector_named(kCorruptedSetup).octets;
  setup[15] = 0x82;  // Channel identification octet 3.3: channel 2
  out.push_back(setup);
  auto disconnect = vector_named(kCorruptedDisconnect).octets;
  disconnect[8] = 0x91;  // Cause octet 4: 17 user busy
  out.push_back(disconnect);
  return out;
}

const Dissection& dissection() {
  static const Dissection d = dissect(frames());
  return d;
}

// Every difference between what tshark read in frame `index` (0-based) and what `v` intends.
std::vector<std::string> differences(std::size_t index, const Vector& v) {
  const Dissection& d = dissection();
  if (!d.error.empty()) return {d.error};
  if (index >= d.fields.size() || index >= d.trees.size())
    return {"tshark printed no frame " + std::to_string(index + 1)};
  const auto& row = d.fields[index];
  std::vector<std::string> out;
  const auto check = [&](const std::string& field, const std::string& want) {
    const auto it = row.find(field);
    const std::string got = it == row.end() ? "<not printed>" : it->second;
    if (got != want)
      out.push_back(field + ": tshark read \"" + got + "\", the vector means \"" + want + "\"");
  };
  check("frame.number", std::to_string(index + 1));
  for (const auto& [field, value] : header_fields(v.message)) check(field, value);
  for (const TsharkField& f : v.tshark) check(std::string(f.field), std::string(f.value));
  check("_ws.expert", "");
  check("_ws.malformed", "");
  const std::string name_line = "Message type: " + std::string(to_string(v.message.type)) + " (0x" +
                                hex_value(static_cast<std::uint8_t>(v.message.type), 1) + ")";
  if (d.trees[index].find(name_line) == std::string::npos) {
    out.push_back("the tree lacks \"" + name_line + "\":\n" + d.trees[index]);
  }
  return out;
}

class Q931Tshark : public ::testing::TestWithParam<Vector> {};

TEST_P(Q931Tshark, DissectorReadsTheVectorAsIntended) {
  const Vector& v = GetParam();
  SCOPED_TRACE(v.clause);
  std::size_t index = 0;
  while (test_vectors::vectors()[index].name != v.name) ++index;
  for (const std::string& difference : differences(index, v)) ADD_FAILURE() << difference;
  // The octets in the pcap are the vector's; the codec must produce exactly them.
  EXPECT_EQ(encode(v.message), v.octets);
}

INSTANTIATE_TEST_SUITE_P(Q931, Q931Tshark, ::testing::ValuesIn(test_vectors::vectors()),
                         [](const ::testing::TestParamInfo<Vector>& info) {
                           return std::string(info.param.name);
                         });

TEST(Q931TsharkOracle, SeesACorruptedChannelNumberAndCauseValue) {
  // A test that cannot fail is a bug: one wrong octet must show as a difference.
  const std::size_t first_corrupted = test_vectors::vectors().size();
  const auto setup = differences(first_corrupted, vector_named(kCorruptedSetup));
  ASSERT_EQ(setup.size(), 1u) << (setup.empty() ? "no difference" : setup[0]);
  EXPECT_NE(setup[0].find("q931.channel.number: tshark read \"2\""), std::string::npos) << setup[0];
  const auto disconnect = differences(first_corrupted + 1, vector_named(kCorruptedDisconnect));
  ASSERT_EQ(disconnect.size(), 1u) << (disconnect.empty() ? "no difference" : disconnect[0]);
  EXPECT_NE(disconnect[0].find("q931.cause_value: tshark read \"17\""), std::string::npos)
      << disconnect[0];
}

TEST(Q931TsharkOracle, AgreesThatTruncatedIesAreMalformed) {
  // The octets decode() refuses as InformationElementTruncated, tshark calls malformed too.
  const std::vector<std::vector<std::uint8_t>> truncated = {
      {0x08, 0x02, 0x00, 0x01, 0x05, 0x04, 0x03, 0x80, 0x90},  // length past the end
      {0x08, 0x02, 0x80, 0x01, 0x45, 0x1E, 0x02, 0x82, 0x88, 0x08, 0x02, 0x80},  // second IE cut
  };
  const Dissection d = dissect(truncated);
  ASSERT_EQ(d.error, "");
  ASSERT_EQ(d.fields.size(), truncated.size());
  for (std::size_t i = 0; i < truncated.size(); ++i) {
    SCOPED_TRACE(i);
    auto decoded = decode(truncated[i]);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_EQ(decoded.error().kind, DecodeErrorKind::InformationElementTruncated);
    EXPECT_NE(d.fields[i].at("_ws.malformed"), "");
  }
}

}  // namespace
}  // namespace resproxy::q931
