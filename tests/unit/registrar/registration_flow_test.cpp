// The registration flow alone (registrar/registration_flow.h), without a proxy: REGISTERs
// served against the store (answered once it confirmed, one write per user at a time, a bounded
// queue), the ITSP's grants cached and throttled, expiry (held while the ITSP is down) and the
// TCP keep-alives, on a hand-stepped timer heap and a fake of the node's port.
#include "proxy/registrar/registration_flow.h"

#include <gtest/gtest.h>

#include "proxy/sip/builder.h"

namespace resproxy::registrar {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow{std::chrono::hours(1)};
const Path kPhonePath{Transport::Udp, {"192.168.1.10", 5060}, {"192.168.1.21", 5060}, StreamId{}, 0};

struct FakePort final : RegistrationPort {
  std::vector<StoreWrite> stored;
  bool holding = false;  // failure operation
  std::set<std::uint64_t> open_streams;
  std::vector<std::uint64_t> pinged;

  void store(StoreWrite write) override { stored.push_back(std::move(write)); }
  bool holds_cached_bindings() const override { return holding; }
  bool is_stream_open(StreamId stream) const override { return open_streams.contains(stream.value); }
  void send_keepalive_ping(TimePoint, StreamId stream) override { pinged.push_back(stream.value); }
};

sip::Message parse(const std::string& bytes) {
  auto m = sip::Message::parse(bytes);
  EXPECT_TRUE(m.has_value()) << bytes;
  return std::move(m).value();
}

sip::Message register_of(std::string_view user, std::string_view contact, int expires, int cseq,
                         std::string_view call_id = "reg-1") {
  std::vector<sip::ExtraHeader> headers = {
      {"Via", "SIP/2.0/UDP 192.168.1.21:5060;branch=z9hG4bKr" + std::to_string(cseq)},
      {"Max-Forwards", "70"},
      {"From", "<sip:" + std::string(user) + "@office.example>;tag=r1"},
      {"To", "<sip:" + std::string(user) + "@office.example>"},
      {"Call-ID", std::string(call_id)},
      {"CSeq", std::to_string(cseq) + " REGISTER"}};
  if (!contact.empty()) headers.push_back({"Contact", "<" + std::string(contact) + ">"});
  headers.push_back({"Expires", std::to_string(expires)});
  return parse(sip::make_request("REGISTER", "sip:office.example", headers));
}

// The ITSP's 2xx to a REGISTER: `contacts` as it lists them.
sip::Message ok_of(std::string_view contacts) {
  std::string bytes =
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bKx\r\n"
      "From: <sip:2001@office.example>;tag=r1\r\nTo: <sip:2001@office.example>;tag=i1\r\n"
      "Call-ID: reg-1\r\nCSeq: 1 REGISTER\r\n";
  if (!contacts.empty()) bytes += "Contact: " + std::string(contacts) + "\r\n";
  bytes += "Content-Length: 0\r\n\r\n";
  return parse(bytes);
}

struct FlowFixture {
  explicit FlowFixture(RegistrationConfig c = config())
      : flow(c, location, timers, trace, port, next_store_id) {}

  static RegistrationConfig config() {
    RegistrationConfig c;
    c.failure_limits.max_expires = 60s;
    c.failure_limits.default_expires = 60s;
    c.cache_limits.min_expires = 0s;
    c.cache_limits.max_expires = 24h * 365;
    return c;
  }

  // Fires the due timers up to `until`.
  void advance_to(TimePoint until) {
    while (auto d = timers.next_deadline()) {
      if (*d > until) break;
      timers.fire_due(*d);
    }
  }

  LocationService location;
  TimerHeap timers;
  RecordingTraceSink trace;
  FakePort port;
  std::uint64_t next_store_id = 1;
  RegistrationFlow flow;
};

TEST(RegistrationFlow, AChangeIsInTheLocationServiceOnlyOnceTheStoreConfirmedIt) {
  FlowFixture f;
  const auto r = register_of("2001", "sip:2001@192.168.1.21:5060", 3600, 1);
  auto step = f.flow.serve(kNow, {11}, r, kPhonePath, false);
  ASSERT_EQ(step.kind, RegisterStep::Kind::Stored);
  ASSERT_TRUE(step.write.has_value());
  EXPECT_EQ(step.write->id, 1u);
  ASSERT_EQ(step.write->records.size(), 1u);
  EXPECT_EQ(step.write->records[0].key, binding_key("2001", "sip:2001@192.168.1.21:5060"));
  EXPECT_EQ(f.location.size(), 0u);  // nothing visible before the store has it
  auto answer = f.flow.on_store_done(kNow, 1, StoreOutcome::Ok);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->server.value, 11u);
  EXPECT_EQ(answer->status, 200);
  ASSERT_EQ(answer->headers.size(), 1u);
  EXPECT_EQ(answer->headers[0].value, "<sip:2001@192.168.1.21:5060>;expires=3600");
  EXPECT_EQ(f.location.size(), 1u);
  EXPECT_TRUE(f.trace.contains("reg.binding_saved"));
  EXPECT_EQ(f.next_store_id, 2u);  // the node's counter: ids stay unique across its writes
}

TEST(RegistrationFlow, AWriteOfNoConcernToTheFlowIsNotAnswered) {
  FlowFixture f;
  EXPECT_FALSE(f.flow.on_store_done(kNow, 42, StoreOutcome::Ok).has_value());
}

TEST(RegistrationFlow, AFailedWriteIsAnswered500WithRetryAfterAndChangesNothing) {
  FlowFixture f;
  (void)f.flow.serve(kNow, {11}, register_of("2001", "sip:2001@192.168.1.21:5060", 3600, 1), kPhonePath,
                     false);
  auto answer = f.flow.on_store_done(kNow, 1, StoreOutcome::Failed);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 500);
  ASSERT_EQ(answer->headers.size(), 1u);
  EXPECT_EQ(answer->headers[0].name, "Retry-After");
  EXPECT_EQ(f.location.size(), 0u);
  EXPECT_TRUE(f.trace.contains("reg.store_failed"));
  // The user is free again: its next REGISTER is written at once.
  EXPECT_EQ(
      f.flow.serve(kNow, {12}, register_of("2001", "sip:2001@192.168.1.21:5060", 3600, 2), kPhonePath, false)
          .kind,
      RegisterStep::Kind::Stored);
}

TEST(RegistrationFlow, AQueryIsAnswered200AtOnceWithoutAWrite) {
  FlowFixture f;
  const auto step = f.flow.serve(kNow, {11}, register_of("2001", "", 3600, 1), kPhonePath, false);
  EXPECT_EQ(step.kind, RegisterStep::Kind::Answer);
  EXPECT_EQ(step.status, 200);
  EXPECT_FALSE(step.write.has_value());
  EXPECT_EQ(f.next_store_id, 1u);
}

TEST(RegistrationFlow, AnErrorOfTheRegistrarIsAnsweredAtOnce) {
  FlowFixture f;
  const auto step =
      f.flow.serve(kNow, {11}, register_of("2001", "sip:2001@192.168.1.21:5060", 5, 1), kPhonePath, false);
  EXPECT_EQ(step.kind, RegisterStep::Kind::Answer);
  EXPECT_EQ(step.status, 423);
  ASSERT_EQ(step.headers.size(), 1u);
  EXPECT_EQ(step.headers[0].name, "Min-Expires");
}

TEST(RegistrationFlow, WhileAUsersWriteIsInFlightItsNextRegistersWaitAndComeBackInOrder) {
  FlowFixture f;
  const auto first = register_of("2001", "sip:2001@192.168.1.21:5060", 3600, 1);
  const auto second = register_of("2001", "sip:2001@192.168.1.21:5060", 0, 2);
  const auto third = register_of("2001", "sip:2001@192.168.1.21:5060", 3600, 3);
  ASSERT_EQ(f.flow.serve(kNow, {11}, first, kPhonePath, false).kind, RegisterStep::Kind::Stored);
  EXPECT_EQ(f.flow.serve(kNow, {12}, second, kPhonePath, false).kind, RegisterStep::Kind::Queued);
  EXPECT_EQ(f.flow.serve(kNow, {13}, third, kPhonePath, false).kind, RegisterStep::Kind::Queued);
  // Another user is not held up.
  EXPECT_EQ(f.flow
                .serve(kNow, {14}, register_of("2002", "sip:2002@192.168.1.22:5060", 3600, 1, "reg-2"),
                       kPhonePath, false)
                .kind,
            RegisterStep::Kind::Stored);
  EXPECT_FALSE(f.flow.next_queued("2001").has_value());  // still in flight
  auto answer = f.flow.on_store_done(kNow, 1, StoreOutcome::Ok);
  ASSERT_TRUE(answer.has_value());
  auto next = f.flow.next_queued(answer->user);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->server.value, 12u);
  // Served against the state just confirmed: its write is in flight, so the third waits on.
  EXPECT_EQ(f.flow.serve(kNow, {12}, second, next->path, false).kind, RegisterStep::Kind::Stored);
  EXPECT_FALSE(f.flow.next_queued("2001").has_value());
  ASSERT_TRUE(f.flow.on_store_done(kNow, 3, StoreOutcome::Ok).has_value());
  EXPECT_EQ(f.location.size("2001"), 0u);  // the second one unregistered
  next = f.flow.next_queued("2001");
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->server.value, 13u);
  EXPECT_FALSE(f.flow.next_queued("2001").has_value());  // none left
}

TEST(RegistrationFlow, TheQueueIsBoundedForAllUsersTogether) {
  auto config = FlowFixture::config();
  config.max_queued_registers = 1;
  FlowFixture f(config);
  (void)f.flow.serve(kNow, {11}, register_of("2001", "sip:2001@192.168.1.21:5060", 3600, 1), kPhonePath,
                     false);
  (void)f.flow.serve(kNow, {12}, register_of("2002", "sip:2002@192.168.1.22:5060", 3600, 1, "reg-2"),
                     kPhonePath, false);
  EXPECT_EQ(
      f.flow.serve(kNow, {13}, register_of("2001", "sip:2001@192.168.1.21:5060", 3600, 2), kPhonePath, false)
          .kind,
      RegisterStep::Kind::Queued);
  const auto full = f.flow.serve(
      kNow, {14}, register_of("2002", "sip:2002@192.168.1.22:5060", 3600, 2, "reg-2"), kPhonePath, false);
  EXPECT_EQ(full.kind, RegisterStep::Kind::QueueFull);
  EXPECT_EQ(full.status, 503);
  ASSERT_EQ(full.headers.size(), 1u);
  EXPECT_EQ(full.headers[0].value, "2");
}

TEST(RegistrationFlow, StandingInForTheItspItGrantsTheShortExpiry) {
  FlowFixture f;
  (void)f.flow.serve(kNow, {11}, register_of("2001", "sip:2001@192.168.1.21:5060", 3600, 1), kPhonePath,
                     /*failure_operation=*/true);
  auto answer = f.flow.on_store_done(kNow, 1, StoreOutcome::Ok);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->headers.at(0).value, "<sip:2001@192.168.1.21:5060>;expires=60");
}

TEST(RegistrationFlow, TheItspsGrantIsCachedWithItsExpiryAndItsContactListIsAuthoritative) {
  FlowFixture f;
  const auto r = register_of("2001", "sip:2001@192.168.1.21:5060", 3600, 1);
  auto write = f.flow.cache(kNow, r, kPhonePath, ok_of("<sip:2001@192.168.1.21:5060>;expires=1800"));
  ASSERT_TRUE(write.has_value());
  ASSERT_EQ(write->records.size(), 1u);
  EXPECT_TRUE(write->records[0].value.has_value());
  const Binding* b = f.location.find("2001", "sip:2001@192.168.1.21:5060");
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->from_itsp);
  EXPECT_EQ(b->expires_at, kNow + 1800s);  // the ITSP's word, not the phone's 3600
  // Its next 2xx lists only another device: ours is gone there, so it is gone here.
  const auto refresh = register_of("2001", "sip:2001@192.168.1.21:5060", 3600, 2);
  write = f.flow.cache(kNow, refresh, kPhonePath, ok_of("<sip:2001@192.168.1.99:5060>;expires=1800"));
  ASSERT_TRUE(write.has_value());
  ASSERT_EQ(write->records.size(), 1u);
  EXPECT_FALSE(write->records[0].value.has_value());  // deleted
  EXPECT_EQ(f.location.find("2001", "sip:2001@192.168.1.21:5060"), nullptr);
  EXPECT_TRUE(f.trace.contains("reg.uncached"));
}

TEST(RegistrationFlow, AForwardingTimeoutTakesTheContactsOutOfTheCache) {
  FlowFixture f;
  const auto r = register_of("2001", "sip:2001@192.168.1.21:5060", 3600, 1);
  (void)f.flow.cache(kNow, r, kPhonePath, ok_of("<sip:2001@192.168.1.21:5060>;expires=1800"));
  auto write = f.flow.uncache(kNow, register_of("2001", "sip:2001@192.168.1.21:5060", 3600, 2));
  ASSERT_TRUE(write.has_value());
  EXPECT_FALSE(write->records.at(0).value.has_value());
  EXPECT_EQ(f.location.size(), 0u);
  // Nothing cached: nothing to write (an id is still taken).
  EXPECT_FALSE(f.flow.uncache(kNow, register_of("2001", "sip:2001@192.168.1.21:5060", 3600, 3)).has_value());
}

TEST(RegistrationFlow, ARefreshOfTheSameDeviceIsThrottledWhileTheGrantHasTwiceThePhonesExpiryLeft) {
  auto config = FlowFixture::config();
  config.phone_reg_expires = 300s;
  FlowFixture f(config);
  (void)f.flow.cache(kNow, register_of("2001", "sip:2001@192.168.1.21:5060", 3600, 1), kPhonePath,
                     ok_of("<sip:2001@192.168.1.21:5060>;expires=1800"));
  auto contact =
      f.flow.throttle(kNow + 10s, register_of("2001", "sip:2001@192.168.1.21:5060", 300, 2), kPhonePath);
  ASSERT_TRUE(contact.has_value());
  ASSERT_EQ(contact->size(), 1u);
  EXPECT_EQ(contact->at(0).value, "<sip:2001@192.168.1.21:5060>;expires=300");
  EXPECT_EQ(f.location.find("2001", "sip:2001@192.168.1.21:5060")->cseq, 2u);  // refreshes stay ordered
  // From another address (another device, or the phone moved): to the ITSP.
  Path moved = kPhonePath;
  moved.remote.port = 5070;
  EXPECT_FALSE(f.flow.throttle(kNow + 20s, register_of("2001", "sip:2001@192.168.1.21:5060", 300, 3), moved));
  // Another Call-ID: another device.
  EXPECT_FALSE(f.flow.throttle(kNow + 20s, register_of("2001", "sip:2001@192.168.1.21:5060", 300, 3, "other"),
                               kPhonePath));
  // 600 s or less of the grant left: the ITSP hears the refresh.
  EXPECT_FALSE(
      f.flow.throttle(kNow + 1200s, register_of("2001", "sip:2001@192.168.1.21:5060", 300, 4), kPhonePath));
}

TEST(RegistrationFlow, WithoutPhoneExpiryNothingIsThrottled) {
  FlowFixture f;
  (void)f.flow.cache(kNow, register_of("2001", "sip:2001@192.168.1.21:5060", 3600, 1), kPhonePath,
                     ok_of("<sip:2001@192.168.1.21:5060>;expires=1800"));
  EXPECT_FALSE(
      f.flow.throttle(kNow + 10s, register_of("2001", "sip:2001@192.168.1.21:5060", 300, 2), kPhonePath));
}

TEST(RegistrationFlow, AnExpiredBindingLeavesTheStoreOnItsDeadline) {
  FlowFixture f;
  (void)f.flow.serve(kNow, {11}, register_of("2001", "sip:2001@192.168.1.21:5060", 120, 1), kPhonePath,
                     false);
  (void)f.flow.on_store_done(kNow, 1, StoreOutcome::Ok);
  EXPECT_EQ(f.timers.next_deadline(), kNow + 120s);
  f.advance_to(kNow + 120s);
  EXPECT_EQ(f.location.size(), 0u);
  ASSERT_EQ(f.port.stored.size(), 1u);
  EXPECT_FALSE(f.port.stored[0].records.at(0).value.has_value());
  EXPECT_TRUE(f.trace.contains("reg.binding_expired"));
}

TEST(RegistrationFlow, WhileTheItspIsDownCachedBindingsAreHeldAndPhonesOwnExpire) {
  FlowFixture f;
  (void)f.flow.cache(kNow, register_of("2001", "sip:2001@192.168.1.21:5060", 3600, 1), kPhonePath,
                     ok_of("<sip:2001@192.168.1.21:5060>;expires=100"));
  (void)f.flow.serve(kNow, {11}, register_of("2002", "sip:2002@192.168.1.22:5060", 100, 1, "reg-2"),
                     kPhonePath, false);
  (void)f.flow.on_store_done(kNow, 2, StoreOutcome::Ok);
  f.port.holding = true;
  f.advance_to(kNow + 100s);
  const Binding* held = f.location.find("2001", "sip:2001@192.168.1.21:5060");
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->expires_at, kNow + 100s + 60s);  // another itsp_down_reg_expires
  EXPECT_EQ(f.location.find("2002", "sip:2002@192.168.1.22:5060"), nullptr);
  ASSERT_EQ(f.port.stored.size(), 2u);  // the held one written again, then the expired one deleted
  EXPECT_TRUE(f.port.stored[0].records.at(0).value.has_value());
  EXPECT_FALSE(f.port.stored[1].records.at(0).value.has_value());
  // The ITSP is back: the held binding expires at its deadline.
  f.port.holding = false;
  f.advance_to(kNow + 160s);
  EXPECT_EQ(f.location.size(), 0u);
}

TEST(RegistrationFlow, PingsEachOpenConnectionAPhoneRegisteredOverOnceEveryInterval) {
  auto config = FlowFixture::config();
  config.crlf_keepalive = 30s;
  FlowFixture f(config);
  Path tcp = kPhonePath;
  tcp.transport = Transport::Tcp;
  tcp.stream = StreamId{9};
  (void)f.flow.serve(kNow, {11}, register_of("2001", "sip:2001@192.168.1.21:5060;transport=tcp", 3600, 1),
                     tcp, false);
  (void)f.flow.serve(kNow, {12},
                     register_of("2002", "sip:2002@192.168.1.21:5060;transport=tcp", 3600, 1, "reg-2"), tcp,
                     false);
  (void)f.flow.on_store_done(kNow, 1, StoreOutcome::Ok);
  (void)f.flow.on_store_done(kNow, 2, StoreOutcome::Ok);
  f.port.open_streams.insert(9);
  f.advance_to(kNow + 30s);
  EXPECT_EQ(f.port.pinged, (std::vector<std::uint64_t>{9}));  // two bindings, one connection
  f.port.open_streams.clear();
  f.advance_to(kNow + 60s);
  EXPECT_EQ(f.port.pinged.size(), 1u);  // a closed connection is not pinged
}

}  // namespace
}  // namespace resproxy::registrar
