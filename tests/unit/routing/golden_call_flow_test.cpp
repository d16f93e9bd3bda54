// Golden call flow: ProxyNode in forward_itsp on the hand clock, seed 7 — phones register through
// the ITSP, a call goes through the ITSP, the ITSP goes dark and the office fails over (a call
// phone to phone through us alone, with its ACK and BYE), the ITSP comes back and the office
// fails back. Every message in and out, byte for byte, and every trace event of the proxy (not
// the transaction layer's txn.*) must match
// tests/golden/proxy_call_flow.txt.
//
// When it may be rewritten (tests/golden/README.md): only by a commit that changes what the
// proxy sends or traces on purpose, with the diff read line by line and each change named in the
// commit message. Never to turn a red test green without knowing why it went red.
//   RESPROXY_UPDATE_GOLDEN=1 build-asan/tests/unit_routing --gtest_filter='GoldenCallFlow*'
#include <gtest/gtest.h>

#include "proxy_fixture.h"
#include "tests/golden/golden_file.h"

namespace resproxy::routing::testing {
namespace {

const std::string kGolden = std::string(RESPROXY_TEST_DATA_DIR) + "/../golden/proxy_call_flow.txt";
const Phone kItsp{"itsp", kTestItspAddress};

// A ladder: what came in, what went out, what was traced, with the time since the start.
class Flow : public ProxyFixture {
 public:
  Flow() : ProxyFixture(itsp_test_config(ProxyMode::ForwardItsp)) { start_ = now; }

  void step(std::string_view title) { log_ += "\n### " + std::string(title) + "\n"; }
  void in(const Phone& from, const std::string& bytes) {
    log_ += stamp() + "<- " + from.address.to_string() + "\n" + indent(bytes);
    receive(from, bytes);
    collect();
  }
  void pass(Duration d) {
    advance(d);
    collect();
  }
  // The messages sent since the last look whose first line starts with `prefix`, to `to`.
  std::vector<Sent> sent(std::string_view prefix, const Address& to) {
    std::vector<Sent> match;
    for (const auto& s : pending_) {
      if (std::string_view(s.bytes).starts_with(prefix) && s.to == to) match.push_back(s);
    }
    return match;
  }
  Sent one(std::string_view prefix, const Address& to) {
    auto match = sent(prefix, to);
    EXPECT_EQ(match.size(), 1u) << prefix << " to " << to.to_string();
    return match.empty() ? Sent{} : match.front();
  }
  void forget() { pending_.clear(); }
  [[nodiscard]] const std::string& ladder() const { return log_; }

 private:
  void collect() {
    pending_.clear();
    for (auto& s : take_sent()) {
      log_ += stamp() + "-> " + (s.to.ip.empty() ? "stream" : s.to.to_string()) + "\n" + indent(s.bytes);
      pending_.push_back(std::move(s));
    }
    // The proxy's own events; the transaction layer's (txn.*) have their own tests.
    for (; traced_ < trace.events.size(); ++traced_) {
      const auto& e = trace.events[traced_];
      if (e.name.starts_with("txn.")) continue;
      log_ += "   trace " + to_json_line(e, "resproxy") + "\n";
    }
  }
  std::string stamp() const {
    return "[" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now - start_).count()) +
           " ms] ";
  }
  static std::string indent(std::string_view bytes) {
    std::string out;
    std::size_t pos = 0;
    while (pos < bytes.size()) {
      auto end = bytes.find("\r\n", pos);
      if (end == std::string_view::npos) end = bytes.size();
      out += "      | ";
      out += bytes.substr(pos, end - pos);
      out += '\n';
      pos = end + 2;
    }
    return out;
  }

  TimePoint start_;
  std::string log_;
  std::vector<Sent> pending_;
  std::size_t traced_ = 0;
};

// The UAS's answer to `request`: its Record-Route copied back (RFC 3261 §12.1.1), its Contact.
std::string answer(const ProxyFixture::Sent& request, int status, std::string_view tag,
                   std::string_view contact = {}) {
  const auto m = parse(request.bytes);
  std::vector<sip::ExtraHeader> extra;
  for (const auto& field : m.headers()) {
    if (field.id == sip::HeaderId::RecordRoute) extra.push_back({"Record-Route", std::string(field.value)});
  }
  if (!contact.empty()) extra.push_back({"Contact", "<" + std::string(contact) + ">"});
  return sip::make_response(m, status, sip::default_reason(status), tag, extra);
}

// An in-dialog request from the caller: Request-URI the callee's Contact, Route the
// Record-Route of the 2xx in reverse (RFC 3261 §12.1.2).
std::string in_dialog(const Phone& from, std::string_view method, const ProxyFixture::Sent& ok,
                      std::string_view branch, int cseq) {
  const auto m = parse(ok.bytes);
  std::vector<std::string> route;
  for (const auto& field : m.headers()) {
    if (field.id == sip::HeaderId::RecordRoute) route.insert(route.begin(), std::string(field.value));
  }
  std::string contact(m.first(sip::HeaderId::Contact)->value);
  contact = contact.substr(1, contact.size() - 2);
  std::vector<sip::ExtraHeader> h{{"Via", from.via(branch)}, {"Max-Forwards", "70"}};
  for (const auto& r : route) h.push_back({"Route", r});
  h.push_back({"From", std::string(m.first(sip::HeaderId::From)->value)});
  h.push_back({"To", std::string(m.first(sip::HeaderId::To)->value)});
  h.push_back({"Call-ID", std::string(m.call_id())});
  h.push_back({"CSeq", std::to_string(cseq) + " " + std::string(method)});
  return sip::make_request(method, contact, h);
}

// The whole flow, as a ladder.
std::string run_flow() {
  Flow f;
  const Phone a = alice(), b = bob();

  f.step("start: the ITSP is probed and answers");
  f.pass(1ms);
  f.in(kItsp, answer(f.one("OPTIONS", kItsp.address), 200, "itspopt"));

  f.step("2001 and 2002 register through the ITSP; its 200s are cached");
  for (const Phone& p : {a, b}) {
    f.in(p, f.register_request(p));
    const auto reg = f.one("REGISTER", kItsp.address);
    f.in(kItsp, sip::make_response(parse(reg.bytes), 200, "OK", "itspreg",
                                   {{"Contact", "<" + p.contact() + ">;expires=3600"}}));
  }

  f.step("normal operation: 2002 calls 2001 through the ITSP, which answers for it");
  f.in(b, f.invite(b, "sip:2001@office.example", "z9hG4bKcall1"));
  const auto to_itsp = f.one("INVITE", kItsp.address);
  f.in(kItsp, answer(to_itsp, 180, "itspcall"));
  f.in(kItsp, answer(to_itsp, 200, "itspcall", "sip:2001@198.51.100.10:5060"));
  const auto ok1 = f.one("SIP/2.0 200", b.address);
  f.in(b, in_dialog(b, "ACK", ok1, "z9hG4bKack1", 1));
  f.in(b, in_dialog(b, "BYE", ok1, "z9hG4bKbye1", 2));
  f.in(kItsp, answer(f.one("BYE", kItsp.address), 200, "itspcall"));

  f.step("the ITSP goes dark: probes unanswered until failure operation");
  for (int i = 0; i < 12 && !f.node.in_failure_operation(); ++i) f.pass(5s);
  EXPECT_TRUE(f.node.in_failure_operation());

  f.step("failure operation: 2002 calls 2001 through resproxy alone");
  f.in(b, f.invite(b, "sip:2001@office.example", "z9hG4bKcall2"));
  const auto to_a = f.one("INVITE", a.address);
  f.in(a, answer(to_a, 180, "alice2"));
  f.in(a, answer(to_a, 200, "alice2", a.contact()));
  const auto ok2 = f.one("SIP/2.0 200", b.address);
  f.in(b, in_dialog(b, "ACK", ok2, "z9hG4bKack2", 1));
  EXPECT_EQ(f.sent("ACK", a.address).size(), 1u);
  f.in(b, in_dialog(b, "BYE", ok2, "z9hG4bKbye2", 2));
  f.in(a, answer(f.one("BYE", a.address), 200, "alice2"));

  f.step("the ITSP answers its probe again: failback");
  for (int i = 0; i < 60 && f.node.in_failure_operation(); ++i) {
    f.pass(1s);
    for (const auto& probe : f.sent("OPTIONS", kItsp.address)) f.in(kItsp, answer(probe, 200, "itspopt"));
  }
  EXPECT_FALSE(f.node.in_failure_operation());

  f.step("normal operation again: the next call goes to the ITSP, which says busy");
  f.forget();
  f.in(b, f.invite(b, "sip:2001@office.example", "z9hG4bKcall3"));
  f.in(kItsp, answer(f.one("INVITE", kItsp.address), 486, "itspbusy"));
  EXPECT_EQ(f.sent("SIP/2.0 486", b.address).size(), 1u);
  return f.ladder();
}

TEST(GoldenCallFlow, RegisterCallFailoverAndFailbackMatchTheReviewedLadder) {
  const std::string actual = run_flow();
  if (resproxy::testing::rewrite_golden(kGolden, actual)) GTEST_SKIP() << "rewrote " << kGolden;
  const std::string difference = resproxy::testing::golden_difference(kGolden, actual);
  EXPECT_TRUE(difference.empty()) << difference << "\n(see tests/golden/README.md before rewriting it)";
}

TEST(GoldenCallFlow, TheSameSeedGivesTheSameLadder) {
  EXPECT_EQ(run_flow(), run_flow());
}

}  // namespace
}  // namespace resproxy::routing::testing
