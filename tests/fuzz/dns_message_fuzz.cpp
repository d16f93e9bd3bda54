// libFuzzer target for the DNS wire codec (model/dns_message.h): decode → encode → decode.
// For any input: decoding ends (no hang, no crash) with a message or an error. A decoded
// message encodes (unless a name or address in it cannot be written back) and the bytes decode
// again to the same message; the server's answers to a decoded query encode and decode too.
#include "tests/fuzz/fuzz_check.h"
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "model/dns_message.h"

namespace {

using namespace resproxy::model;

// Names read from the wire may hold dots or be empty inside labels' text; what encodes must
// come back the same.
void round_trip(const DnsMessage& m) {
  auto wire = encode_dns_message(m);
  if (!wire) return;
  auto again = decode_dns_message(*wire);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->id == m.id);
  FUZZ_CHECK(again->rcode == m.rcode);
  FUZZ_CHECK(again->questions.size() == m.questions.size());
  FUZZ_CHECK(again->answers.size() == m.answers.size());
  for (std::size_t i = 0; i < m.answers.size(); ++i) {
    FUZZ_CHECK(again->answers[i].type == m.answers[i].type);
    FUZZ_CHECK(again->answers[i].ttl == m.answers[i].ttl);
    if (m.answers[i].type == kDnsTypeA || m.answers[i].type == kDnsTypeAaaa) {
      FUZZ_CHECK(again->answers[i].address == m.answers[i].address);
    }
    if (m.answers[i].type == kDnsTypeSrv) {
      FUZZ_CHECK(again->answers[i].srv.port == m.answers[i].srv.port);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = decode_dns_message(bytes);
  if (!decoded) {
    FUZZ_CHECK(!to_string(decoded.error()).empty());
    return 0;
  }
  round_trip(*decoded);
  if (auto question = query_question(*decoded)) {
    FUZZ_CHECK(!decoded->response);
    round_trip(dns_error_response(*decoded, DnsRcode::NameError));
    round_trip(dns_answer(*decoded, decoded->answers));
  }
  return 0;
}
