// The emulated PRI card (sim_hardware/pri/pri_card.h) and the exchange's network span
// (network_span.h) wired back to back through the real Q.931 codec — octets both ways — on a
// hand-moved clock. Each test names the Q.931 clause it exercises (ITU-T Q.931 05/98; clause
// numbers from memory where docs/gateway.md says so). Frames can be held back in either direction
// to make timers run.
#include "sim_hardware/pri/pri_card.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <string>
#include <variant>
#include <vector>

#include "sim_hardware/pri/network_span.h"
#include "sim_hardware/q931/codec.h"

namespace resproxy::pri {
namespace {

using namespace std::chrono_literals;
using gateway::Alarm;
using gateway::CardEvent;
using gateway::CauseLocation;
using q931::Message;
using q931::MessageType;
using State = q931::CallStateValue;

gateway::PartyNumber number(std::string digits, bool restricted = false) {
  return {.digits = std::move(digits),
          .type = gateway::NumberType::National,
          .restricted = restricted,
          .available = true};
}

gateway::PlaceCall place_call(gateway::LineCallId id, std::uint16_t channel, std::string called) {
  return {.call = id,
          .channel = {.span = 1, .channel = channel},
          .called = number(std::move(called)),
          .calling = number("0307654321"),
          .sending_complete = true};
}

class PriBackToBack : public ::testing::Test {
 protected:
  TimePoint now = from_ns(1'000'000'000);
  PriCard card;
  NetworkSpan network;
  std::vector<CardEvent> card_events;
  std::vector<NetworkSpanEvent> network_events;
  std::vector<Message> sent_by_card;     // decoded, in order, whether delivered or not
  std::vector<Message> sent_by_network;
  std::deque<Frame> to_network, to_card;  // in flight
  bool hold_to_network = false;           // frames from the card are lost
  bool hold_to_card = false;

  // Moves what both sides produced onto the line and into the logs.
  void collect() {
    for (Frame& f : card.take_frames()) {
      auto m = q931::decode(f);
      EXPECT_TRUE(m.has_value()) << "the card sent octets that do not decode";
      if (m) sent_by_card.push_back(*m);
      if (!hold_to_network) to_network.push_back(std::move(f));
    }
    for (Frame& f : network.take_frames()) {
      auto m = q931::decode(f);
      EXPECT_TRUE(m.has_value()) << "the network sent octets that do not decode";
      if (m) sent_by_network.push_back(*m);
      if (!hold_to_card) to_card.push_back(std::move(f));
    }
    for (auto& e : card.take_events()) card_events.push_back(std::move(e));
    for (auto& e : network.take_events()) network_events.push_back(std::move(e));
  }

  // Delivers frames (both directions, in order) until the line is quiet.
  void pump() {
    collect();
    while (!to_network.empty() || !to_card.empty()) {
      if (!to_network.empty()) {
        const Frame f = std::move(to_network.front());
        to_network.pop_front();
        network.on_frame(now, f);
      }
      if (!to_card.empty()) {
        const Frame f = std::move(to_card.front());
        to_card.pop_front();
        card.on_frame(now, f);
      }
      collect();
    }
  }

  void command(const gateway::CardCommand& c) {
    card.on_command(now, c);
    pump();
  }

  std::optional<TimePoint> next_deadline() const {
    const auto a = card.next_deadline();
    const auto b = network.next_deadline();
    if (a && b) return std::min(*a, *b);
    return a ? a : b;
  }

  // Jumps to the next deadline of either side and fires it.
  void fire_next() {
    const auto d = next_deadline();
    ASSERT_TRUE(d.has_value());
    now = std::max(now, *d);
    card.on_deadline(now);
    network.on_deadline(now);
    pump();
  }

  // Lets `span` of time pass, firing every deadline on the way.
  void advance(Duration span) {
    const TimePoint until = now + span;
    while (const auto d = next_deadline()) {
      if (*d > until) break;
      fire_next();
    }
    now = until;
  }

  template <typename T>
  std::vector<T> card_events_of() const {
    std::vector<T> out;
    for (const auto& e : card_events) {
      if (const auto* t = std::get_if<T>(&e)) out.push_back(*t);
    }
    return out;
  }
  template <typename T>
  std::vector<T> network_events_of() const {
    std::vector<T> out;
    for (const auto& e : network_events) {
      if (const auto* t = std::get_if<T>(&e)) out.push_back(*t);
    }
    return out;
  }
  static std::size_t count(const std::vector<Message>& log, MessageType type) {
    return static_cast<std::size_t>(std::count_if(
        log.begin(), log.end(), [&](const Message& m) { return m.type == type; }));
  }
  std::vector<gateway::CallReleased> released(gateway::LineCallId call) const {
    std::vector<gateway::CallReleased> out;
    for (const auto& r : card_events_of<gateway::CallReleased>()) {
      if (r.call == call) out.push_back(r);
    }
    return out;
  }

  // The gateway places call `id` on `channel`; the exchange gets the SETUP.
  ExchangeCallId place(gateway::LineCallId id, std::uint16_t channel,
                       std::string called = "0201234567") {
    const std::size_t before = network_events_of<IncomingSetup>().size();
    command(gateway::PlaceCall{.call = id,
                               .channel = {.span = 1, .channel = channel},
                               .called = number(std::move(called)),
                               .calling = number("0307654321"),
                               .sending_complete = true});
    const auto setups = network_events_of<IncomingSetup>();
    if (setups.size() == before) return 0;
    return setups.back().call;
  }

  // An outgoing call, active on both sides.
  ExchangeCallId active_outgoing(gateway::LineCallId id, std::uint16_t channel) {
    const ExchangeCallId x = place(id, channel);
    EXPECT_NE(x, 0u);
    EXPECT_TRUE(network.proceed(now, x));
    pump();
    EXPECT_TRUE(network.answer(now, x));
    pump();
    EXPECT_EQ(card.call_state(id), State::Active);
    EXPECT_EQ(network.call_state(x), State::Active);
    return x;
  }

  // Hands a network-built message to the card as octets.
  void inject_to_card(const Message& m) {
    card.on_frame(now, q931::encode(m));
    collect();
  }
};

// ---- Outgoing calls (§5.1) and clearing (§5.3) ---------------------------------------------

TEST_F(PriBackToBack, OutgoingCallProceedsAlertsConnectsAndTheGatewayClears_5_1_5_3_3) {
  const ExchangeCallId x = place(1, 1);
  ASSERT_NE(x, 0u);
  const auto setup = network_events_of<IncomingSetup>().back();
  EXPECT_EQ(setup.channel, 1);
  EXPECT_EQ(setup.called.digits, "0201234567");
  EXPECT_EQ(setup.calling.digits, "0307654321");
  EXPECT_FALSE(setup.calling.restricted);
  // §4.3: our call reference, flag 0 in our messages; §5.1.2: the gateway's channel, exclusive.
  EXPECT_EQ(sent_by_card.back().call_reference.flag, q931::CallReferenceFlag::FromOriginatingSide);
  EXPECT_TRUE(sent_by_card.back().channel_identification->exclusive);

  ASSERT_TRUE(network.proceed(now, x));
  pump();
  ASSERT_EQ(card_events_of<gateway::CallProceeding>().size(), 1u);
  ASSERT_TRUE(network.alert(now, x, /*inband=*/true));
  pump();
  ASSERT_EQ(card_events_of<gateway::CallAlerting>().size(), 1u);
  EXPECT_TRUE(card_events_of<gateway::CallAlerting>()[0].inband);  // Progress indicator 8
  ASSERT_TRUE(network.answer(now, x));
  pump();
  ASSERT_EQ(card_events_of<gateway::CallAnswered>().size(), 1u);
  EXPECT_EQ(card.call_state(1), State::Active);
  EXPECT_EQ(count(sent_by_card, MessageType::ConnectAcknowledge), 1u);

  command(gateway::ClearCall{.call = 1, .cause = gateway::cause::kNormalClearing});
  ASSERT_EQ(network_events_of<OfficeDisconnected>().size(), 1u);
  EXPECT_EQ(network_events_of<OfficeDisconnected>()[0].cause.value, 16);
  ASSERT_EQ(released(1).size(), 1u);
  EXPECT_EQ(released(1)[0].cause.value, 16);
  ASSERT_EQ(network_events_of<CallEnded>().size(), 1u);
  EXPECT_EQ(card.call_count(), 0u);
  EXPECT_EQ(network.call_count(), 0u);
  EXPECT_TRUE(card.is_channel_free(1));
  EXPECT_TRUE(network.is_channel_free(1));
}

TEST_F(PriBackToBack, FarEndBusyReachesTheGatewayWithCauseAndLocation_5_3_4) {
  const ExchangeCallId x = place(3, 2);
  ASSERT_TRUE(network.proceed(now, x));
  pump();
  ASSERT_TRUE(network.clear(now, x, gateway::cause::kUserBusy));
  pump();
  const auto d = card_events_of<gateway::CallDisconnected>();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].cause, (gateway::Cause{17, CauseLocation::PublicLocal}));
  EXPECT_FALSE(d[0].inband);
  // §5.3.4.2: no in-band tones: the card releases at once.
  ASSERT_EQ(released(3).size(), 1u);
  EXPECT_EQ(released(3)[0].cause.value, 17);
  ASSERT_EQ(network_events_of<CallEnded>().size(), 1u);
  EXPECT_EQ(network_events_of<CallEnded>()[0].cause.value, 17);
}

TEST_F(PriBackToBack, AnnouncementOnDisconnectWaitsForTheGateway_5_3_4_1) {
  const ExchangeCallId x = active_outgoing(5, 3);
  ASSERT_TRUE(network.clear(now, x, gateway::cause::kNormalClearing, /*announcement=*/true));
  pump();
  const auto d = card_events_of<gateway::CallDisconnected>();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d[0].inband);
  EXPECT_TRUE(released(5).empty());  // the gateway may play the announcement first
  EXPECT_EQ(card.call_state(5), State::DisconnectIndication);
  advance(10s);
  command(gateway::ClearCall{.call = 5, .cause = gateway::cause::kNormalClearing});
  ASSERT_EQ(released(5).size(), 1u);
  EXPECT_EQ(released(5)[0].cause.value, 16);
  EXPECT_EQ(network_events_of<CallEnded>().size(), 1u);
}

TEST_F(PriBackToBack, ActiveOutgoingCallClearedByTheFarEnd_5_3_4) {
  const ExchangeCallId x = active_outgoing(7, 4);
  ASSERT_TRUE(network.clear(now, x, gateway::cause::kNormalClearing));
  pump();
  ASSERT_EQ(card_events_of<gateway::CallDisconnected>().size(), 1u);
  ASSERT_EQ(released(7).size(), 1u);
  EXPECT_EQ(released(7)[0].cause, (gateway::Cause{16, CauseLocation::PublicLocal}));
  EXPECT_TRUE(card.is_channel_free(4));
  EXPECT_TRUE(network.is_channel_free(4));
}

// ---- Incoming calls (§5.2) -------------------------------------------------------------------

TEST_F(PriBackToBack, IncomingCallWithRestrictedCallerAnsweredAndCleared_5_2_4_5_10) {
  auto x = network.present_call(now, number("0201112222", /*restricted=*/true), number("100"));
  ASSERT_TRUE(x.has_value());
  pump();
  const auto incoming = card_events_of<gateway::IncomingCall>();
  ASSERT_EQ(incoming.size(), 1u);
  const gateway::IncomingCall& call = incoming[0];
  EXPECT_EQ(call.call % 2, 0u);  // card.h: the card's ids are even
  EXPECT_EQ(call.channel.channel, 31);  // the network hunts from the top
  EXPECT_EQ(call.called.digits, "100");
  EXPECT_EQ(call.calling.digits, "0201112222");
  EXPECT_TRUE(call.calling.restricted);  // §4.5.10: presentation restricted
  EXPECT_TRUE(call.calling.available);
  EXPECT_TRUE(call.complete);

  command(gateway::AcceptCall{call.call});
  ASSERT_EQ(network_events_of<OfficeProceeding>().size(), 1u);
  command(gateway::AlertCall{.call = call.call, .inband = true});
  ASSERT_EQ(network_events_of<OfficeAlerting>().size(), 1u);
  EXPECT_TRUE(network_events_of<OfficeAlerting>()[0].inband);
  command(gateway::ProgressCall{call.call});
  ASSERT_EQ(network_events_of<OfficeProgress>().size(), 1u);
  command(gateway::AnswerCall{call.call});
  ASSERT_EQ(network_events_of<OfficeAnswered>().size(), 1u);
  EXPECT_EQ(card.call_state(call.call), State::Active);  // CONNECT ACKNOWLEDGE received (§5.2.8)
  EXPECT_EQ(network.call_state(*x), State::Active);

  ASSERT_TRUE(network.clear(now, *x, gateway::cause::kNormalClearing));
  pump();
  ASSERT_EQ(released(call.call).size(), 1u);
  EXPECT_EQ(released(call.call)[0].cause.value, 16);
  ASSERT_EQ(network_events_of<CallEnded>().size(), 1u);
  EXPECT_EQ(card.call_count(), 0u);
}

TEST_F(PriBackToBack, GatewayRejectsIncomingCallWithReleaseComplete_5_2_5_1) {
  auto x = network.present_call(now, number("0201112222"), number("199"));
  ASSERT_TRUE(x.has_value());
  pump();
  const auto call = card_events_of<gateway::IncomingCall>().at(0).call;
  command(gateway::ClearCall{.call = call, .cause = gateway::cause::kUnallocatedNumber});
  EXPECT_EQ(count(sent_by_card, MessageType::ReleaseComplete), 1u);
  ASSERT_EQ(released(call).size(), 1u);
  ASSERT_EQ(network_events_of<CallEnded>().size(), 1u);
  EXPECT_EQ(network_events_of<CallEnded>()[0].cause.value, 1);
}

TEST_F(PriBackToBack, ExclusiveSetupOnABusyChannelIsRefusedWith44PreferredMoves_5_2_3_1) {
  active_outgoing(9, 7);
  Message setup;
  setup.call_reference = {.length = 2, .value = 0x1234,
                          .flag = q931::CallReferenceFlag::FromOriginatingSide};
  setup.type = MessageType::Setup;
  setup.sending_complete = true;
  setup.bearer_capability.emplace();
  setup.bearer_capability->layer1 = q931::Layer1Protocol::G711ALaw;
  setup.channel_identification = q931::ChannelIdentification::exclusive_b_channel(7);
  inject_to_card(setup);
  ASSERT_EQ(sent_by_card.back().type, MessageType::ReleaseComplete);
  EXPECT_EQ(sent_by_card.back().cause->value, q931::CauseValue::RequestedCircuitChannelNotAvailable);
  EXPECT_TRUE(card_events_of<gateway::IncomingCall>().empty());

  setup.call_reference.value = 0x1235;
  setup.channel_identification = q931::ChannelIdentification::preferred_b_channel(7);
  inject_to_card(setup);
  const auto incoming = card_events_of<gateway::IncomingCall>();
  ASSERT_EQ(incoming.size(), 1u);
  EXPECT_NE(incoming[0].channel.channel, 7);
  EXPECT_TRUE(incoming[0].calling.available == false);  // no Calling party number IE
  command(gateway::AcceptCall{incoming[0].call});
  // The first answer names the channel the card chose, exclusively (§5.2.3.2).
  const Message& proceeding = sent_by_card.back();
  ASSERT_EQ(proceeding.type, MessageType::CallProceeding);
  EXPECT_EQ(proceeding.channel_identification->channels,
            std::vector<std::uint8_t>{static_cast<std::uint8_t>(incoming[0].channel.channel)});
}

TEST_F(PriBackToBack, OverlapSendingKeepsDigitsUntilSetupAcknowledge_5_1_3) {
  hold_to_network = true;  // the test plays the network by hand
  gateway::PlaceCall c = place_call(47, 10, "020");
  c.sending_complete = false;
  command(c);
  ASSERT_EQ(sent_by_card.back().type, MessageType::Setup);
  EXPECT_FALSE(sent_by_card.back().sending_complete);
  command(gateway::SendDigits{.call = 47, .digits = "1234", .complete = true});
  EXPECT_EQ(sent_by_card.size(), 1u);  // U1: the network has not asked for more yet
  Message ack;
  ack.call_reference = inverted(sent_by_card.back().call_reference);
  ack.type = MessageType::SetupAcknowledge;
  ack.channel_identification = q931::ChannelIdentification::exclusive_b_channel(10);
  inject_to_card(ack);
  ASSERT_EQ(sent_by_card.back().type, MessageType::Information);
  EXPECT_EQ(sent_by_card.back().called_party_number->digits, "1234");
  EXPECT_TRUE(sent_by_card.back().sending_complete);
  EXPECT_EQ(card.call_state(47), State::OverlapSending);
}

// ---- Capacity (§5.1.2) -----------------------------------------------------------------------

TEST_F(PriBackToBack, ThirtyCallsFillTheSpanTheThirtyFirstIsRefusedWith34_5_1_2) {
  for (gateway::LineCallId id = 1; id < 61; id += 2) {
    const ExchangeCallId x = place(id, /*channel=*/0);  // any channel: the network chooses
    ASSERT_NE(x, 0u) << id;
    ASSERT_TRUE(network.proceed(now, x));
    pump();
  }
  EXPECT_EQ(card.call_count(), 30u);
  EXPECT_EQ(card_events_of<gateway::CallProceeding>().size(), 30u);
  for (std::uint16_t ch : kE1BChannels) EXPECT_FALSE(network.is_channel_free(ch)) << ch;
  EXPECT_EQ(place(61, 0), 0u);
  ASSERT_EQ(released(61).size(), 1u);
  EXPECT_EQ(released(61)[0].cause, (gateway::Cause{34, CauseLocation::PublicLocal}));
  // With a channel named, the card itself knows it is busy (no SETUP): 44.
  const std::size_t setups = count(sent_by_card, MessageType::Setup);
  command(place_call(63, 5, "1"));
  EXPECT_EQ(count(sent_by_card, MessageType::Setup), setups);
  ASSERT_EQ(released(63).size(), 1u);
  EXPECT_EQ(released(63)[0].cause.value, 44);
  // And the exchange cannot offer one either.
  auto refused = network.present_call(now, number("1"), number("2"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().value, 34);
}

// ---- Call collision (§5.7) -------------------------------------------------------------------

TEST_F(PriBackToBack, GlareOnOneChannelTheNetworksCallWins_5_7) {
  // Both SETUPs for channel 1 are on the line before either side sees the other's.
  card.on_command(now, place_call(11, 1, "2"));
  auto x = network.present_call(now, number("0201112222"), number("100"), /*channel=*/1);
  ASSERT_TRUE(x.has_value());
  collect();
  ASSERT_EQ(to_network.size(), 1u);
  ASSERT_EQ(to_card.size(), 1u);
  pump();
  // The office's call lost: RELEASE COMPLETE 44 from the network.
  ASSERT_EQ(released(11).size(), 1u);
  EXPECT_EQ(released(11)[0].cause.value, 44);
  EXPECT_TRUE(network_events_of<IncomingSetup>().empty());
  // The network's call got channel 1 on the card and goes on.
  const auto incoming = card_events_of<gateway::IncomingCall>();
  ASSERT_EQ(incoming.size(), 1u);
  EXPECT_EQ(incoming[0].channel.channel, 1);
  command(gateway::AnswerCall{incoming[0].call});
  EXPECT_EQ(network.call_state(*x), State::Active);
  EXPECT_EQ(card.call_state(incoming[0].call), State::Active);
  EXPECT_FALSE(card.is_channel_free(1));
}

// ---- Restart (§5.5) --------------------------------------------------------------------------

TEST_F(PriBackToBack, RestartOfOneChannelEndsOnlyItsCall_5_5) {
  active_outgoing(13, 1);
  active_outgoing(15, 2);
  network.restart(now, {1});
  pump();
  ASSERT_EQ(released(13).size(), 1u);
  EXPECT_EQ(released(13)[0].cause.value, 41);
  EXPECT_TRUE(released(15).empty());
  const auto restarted = card_events_of<gateway::ChannelsRestarted>();
  ASSERT_EQ(restarted.size(), 1u);
  EXPECT_EQ(restarted[0].channels, std::vector<std::uint16_t>{1});
  EXPECT_EQ(count(sent_by_card, MessageType::RestartAcknowledge), 1u);
  ASSERT_EQ(network_events_of<SpanRestarted>().size(), 1u);
  EXPECT_EQ(network_events_of<SpanRestarted>()[0].channels, std::vector<std::uint16_t>{1});
  EXPECT_TRUE(card.is_channel_free(1));
  EXPECT_TRUE(network.is_channel_free(1));
  EXPECT_EQ(card.call_state(15), State::Active);
  // Channel 1 carries calls again.
  active_outgoing(17, 1);
}

TEST_F(PriBackToBack, RestartOfTheInterfaceEndsEveryCall_5_5) {
  active_outgoing(19, 1);
  auto x = network.present_call(now, number("1"), number("2"));
  ASSERT_TRUE(x.has_value());
  pump();
  network.restart(now, {});
  pump();
  EXPECT_EQ(released(19).size(), 1u);
  ASSERT_EQ(card_events_of<gateway::IncomingCall>().size(), 1u);
  EXPECT_EQ(released(card_events_of<gateway::IncomingCall>()[0].call).size(), 1u);
  const auto restarted = card_events_of<gateway::ChannelsRestarted>();
  ASSERT_EQ(restarted.size(), 1u);
  EXPECT_TRUE(restarted[0].channels.empty());  // the whole span
  EXPECT_EQ(sent_by_network.back().type, MessageType::Restart);
  EXPECT_EQ(sent_by_network.back().restart_indicator->restart_class,
            q931::RestartClass::AllInterfaces);
  EXPECT_EQ(card.call_count(), 0u);
  EXPECT_EQ(network.call_count(), 0u);
  EXPECT_EQ(network_events_of<CallEnded>().size(), 2u);
}

// ---- Layer 1 alarms --------------------------------------------------------------------------

TEST_F(PriBackToBack, LossOfSignalReleasesEveryCallWith38AndRecoversWithRestart) {
  active_outgoing(21, 1);
  active_outgoing(23, 2);
  auto x = network.present_call(now, number("1"), number("2"));
  ASSERT_TRUE(x.has_value());
  pump();
  const auto incoming = card_events_of<gateway::IncomingCall>().at(0).call;

  card.on_alarm(now, Alarm::Los);
  network.on_alarm(now, Alarm::Rai);  // the exchange sees the office's loss as a remote alarm
  pump();
  EXPECT_TRUE(sent_by_card.empty() || sent_by_card.back().type != MessageType::Disconnect);
  ASSERT_FALSE(card_events_of<gateway::SpanState>().empty());
  EXPECT_EQ(card_events_of<gateway::SpanState>()[0].alarm, Alarm::Los);
  for (gateway::LineCallId id : {gateway::LineCallId{21}, gateway::LineCallId{23}, incoming}) {
    ASSERT_EQ(released(id).size(), 1u) << id;
    EXPECT_EQ(released(id)[0].cause, (gateway::Cause{38, CauseLocation::PrivateLocal}));
  }
  EXPECT_EQ(network_events_of<CallEnded>().size(), 3u);
  EXPECT_EQ(network_events_of<CallEnded>()[0].cause.value, 38);

  // While in alarm: refused at once, nothing on the line.
  const std::size_t frames = sent_by_card.size();
  command(place_call(25, 3, "2"));
  ASSERT_EQ(released(25).size(), 1u);
  EXPECT_EQ(released(25)[0].cause.value, 38);
  EXPECT_EQ(sent_by_card.size(), frames);
  EXPECT_FALSE(network.present_call(now, number("1"), number("2")).has_value());

  advance(5s);
  network.on_alarm(now, Alarm::None);
  card.on_alarm(now, Alarm::None);
  collect();
  // The card restarts the whole interface; until acknowledged, its channels are out of service.
  ASSERT_EQ(sent_by_card.back().type, MessageType::Restart);
  EXPECT_EQ(sent_by_card.back().restart_indicator->restart_class,
            q931::RestartClass::AllInterfaces);
  EXPECT_FALSE(card.is_channel_free(1));
  pump();
  EXPECT_EQ(card_events_of<gateway::SpanState>().back().alarm, Alarm::None);
  const auto restarted = card_events_of<gateway::ChannelsRestarted>();
  ASSERT_EQ(restarted.size(), 1u);
  EXPECT_TRUE(restarted[0].channels.empty());
  ASSERT_EQ(network_events_of<SpanRestarted>().size(), 1u);
  EXPECT_TRUE(network_events_of<SpanRestarted>()[0].by_office);
  EXPECT_TRUE(card.is_channel_free(1));
  active_outgoing(27, 1);  // calls work again
}

TEST_F(PriBackToBack, RestartUnansweredIsRepeatedAtT316) {
  hold_to_network = true;
  card.on_alarm(now, Alarm::Ais);
  card.on_alarm(now, Alarm::None);
  collect();
  EXPECT_EQ(count(sent_by_card, MessageType::Restart), 1u);
  advance(2min);
  EXPECT_EQ(count(sent_by_card, MessageType::Restart), 2u);
  command(place_call(29, 1, "2"));
  ASSERT_EQ(released(29).size(), 1u);
  EXPECT_EQ(released(29)[0].cause.value, 44);  // channel still being restarted
  hold_to_network = false;
  advance(2min);
  EXPECT_EQ(card_events_of<gateway::ChannelsRestarted>().size(), 1u);
  EXPECT_TRUE(card.is_channel_free(1));
}

// ---- Error handling (§5.8) -------------------------------------------------------------------

TEST_F(PriBackToBack, UnknownCallReferenceIsAnsweredWithReleaseComplete81_5_8_3_2) {
  Message connect;
  connect.call_reference = {.length = 2, .value = 77,
                            .flag = q931::CallReferenceFlag::ToOriginatingSide};
  connect.type = MessageType::Connect;
  inject_to_card(connect);
  ASSERT_EQ(sent_by_card.size(), 1u);
  EXPECT_EQ(sent_by_card[0].type, MessageType::ReleaseComplete);
  EXPECT_EQ(sent_by_card[0].cause->value, q931::CauseValue::InvalidCallReferenceValue);
  EXPECT_EQ(sent_by_card[0].call_reference.value, 77);
  EXPECT_EQ(sent_by_card[0].call_reference.flag, q931::CallReferenceFlag::FromOriginatingSide);
  EXPECT_TRUE(card_events.empty());

  // RELEASE COMPLETE for an unknown call reference: no answer (§5.8.3.2 b).
  Message rc = connect;
  rc.type = MessageType::ReleaseComplete;
  inject_to_card(rc);
  EXPECT_EQ(sent_by_card.size(), 1u);

  // The network side answers the same way.
  Message alerting;
  alerting.call_reference = {.length = 2, .value = 99,
                             .flag = q931::CallReferenceFlag::FromOriginatingSide};
  alerting.type = MessageType::Alerting;
  network.on_frame(now, q931::encode(alerting));
  collect();
  ASSERT_EQ(sent_by_network.size(), 1u);
  EXPECT_EQ(sent_by_network[0].type, MessageType::ReleaseComplete);
  EXPECT_EQ(sent_by_network[0].cause->value, q931::CauseValue::InvalidCallReferenceValue);
}

TEST_F(PriBackToBack, GarbageAndUnknownMessageTypesNeverCrash_5_8) {
  active_outgoing(31, 1);  // call reference 1, ours
  const std::size_t before = count(sent_by_card, MessageType::Status);
  const std::vector<std::vector<std::uint8_t>> frames = {
      {}, {0x08}, {0x09, 0x02, 0x00, 0x01, 0x05}, {0x08, 0x02, 0x80, 0x01, 0x7F},
      {0x08, 0x00, 0x46}, {0x08, 0x02, 0x00, 0x00, 0x07}};
  for (const auto& f : frames) card.on_frame(now, f);
  collect();
  // The unknown message type on the active call's reference gets STATUS 97 (§5.8.4); the global
  // call reference on a CONNECT gets STATUS 81 (§5.8.3.2 f).
  EXPECT_EQ(count(sent_by_card, MessageType::Status), before + 2);
  EXPECT_EQ(sent_by_card.back().cause->value, q931::CauseValue::InvalidCallReferenceValue);
  EXPECT_TRUE(sent_by_card.back().call_reference.is_global());
  EXPECT_EQ(card.call_state(31), State::Active);
}

// ---- Timers ----------------------------------------------------------------------------------

TEST_F(PriBackToBack, T303SetupRepeatedOnceThenClearedWith102_5_1_1) {
  hold_to_network = true;
  command(place_call(33, 1, "2"));
  const TimePoint start = now;
  fire_next();
  EXPECT_EQ(now - start, 4s);
  EXPECT_EQ(count(sent_by_card, MessageType::Setup), 2u);
  EXPECT_TRUE(released(33).empty());
  fire_next();
  EXPECT_EQ(now - start, 8s);
  ASSERT_EQ(released(33).size(), 1u);
  EXPECT_EQ(released(33)[0].cause.value, 102);
  EXPECT_EQ(sent_by_card.back().type, MessageType::ReleaseComplete);
  EXPECT_TRUE(card.is_channel_free(1));
}

TEST_F(PriBackToBack, T310UserSideClearsAProceedingCallWith102_5_1_5_1) {
  const ExchangeCallId x = place(35, 1);
  ASSERT_TRUE(network.proceed(now, x));
  pump();
  const TimePoint start = now;
  fire_next();
  EXPECT_EQ(now - start, 30s);
  EXPECT_EQ(sent_by_card.at(sent_by_card.size() - 2).type, MessageType::Disconnect);
  ASSERT_EQ(released(35).size(), 1u);
  EXPECT_EQ(released(35)[0].cause.value, 102);
  ASSERT_EQ(network_events_of<OfficeDisconnected>().size(), 1u);
  EXPECT_EQ(network_events_of<CallEnded>().at(0).cause.value, 102);
}

TEST_F(PriBackToBack, T310NetworkSideClearsAProceedingCall_5_2_5_2) {
  auto x = network.present_call(now, number("1"), number("2"));
  ASSERT_TRUE(x.has_value());
  pump();
  const auto call = card_events_of<gateway::IncomingCall>().at(0).call;
  command(gateway::AcceptCall{call});
  const TimePoint start = now;
  fire_next();
  EXPECT_EQ(now - start, 10s);
  const auto d = card_events_of<gateway::CallDisconnected>();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].cause.value, 102);
  ASSERT_EQ(released(call).size(), 1u);
  ASSERT_EQ(network_events_of<CallEnded>().size(), 1u);
  EXPECT_EQ(network_events_of<CallEnded>()[0].cause.value, 18);  // no user responding
}

TEST_F(PriBackToBack, T303NetworkSideSetupRepeatedOnceThenCallEnds_5_2_1) {
  hold_to_card = true;
  auto x = network.present_call(now, number("1"), number("2"));
  ASSERT_TRUE(x.has_value());
  pump();
  advance(4s);
  EXPECT_EQ(count(sent_by_network, MessageType::Setup), 2u);
  advance(4s);
  ASSERT_EQ(network_events_of<CallEnded>().size(), 1u);
  EXPECT_EQ(network_events_of<CallEnded>()[0].cause.value, 18);
  EXPECT_EQ(sent_by_network.back().type, MessageType::ReleaseComplete);
  EXPECT_EQ(sent_by_network.back().cause->value, q931::CauseValue::RecoveryOnTimerExpiry);
  EXPECT_TRUE(network.is_channel_free(31));
}

TEST_F(PriBackToBack, T305AndT308UserSideThenTheChannelIsRestarted_5_3_3) {
  const ExchangeCallId x = active_outgoing(37, 6);
  hold_to_network = true;
  command(gateway::ClearCall{.call = 37, .cause = gateway::cause::kNormalClearing});
  EXPECT_EQ(sent_by_card.back().type, MessageType::Disconnect);
  const TimePoint start = now;
  fire_next();  // T305: RELEASE with the DISCONNECT's cause
  EXPECT_EQ(now - start, 30s);
  ASSERT_EQ(sent_by_card.back().type, MessageType::Release);
  EXPECT_EQ(sent_by_card.back().cause->value, q931::CauseValue::NormalCallClearing);
  fire_next();  // T308: RELEASE again
  EXPECT_EQ(now - start, 34s);
  EXPECT_EQ(count(sent_by_card, MessageType::Release), 2u);
  EXPECT_TRUE(released(37).empty());
  fire_next();  // T308 twice: the call is over, the channel is restarted before reuse
  EXPECT_EQ(now - start, 38s);
  ASSERT_EQ(released(37).size(), 1u);
  EXPECT_EQ(released(37)[0].cause.value, 16);
  ASSERT_EQ(sent_by_card.back().type, MessageType::Restart);
  EXPECT_EQ(sent_by_card.back().channel_identification->channels, std::vector<std::uint8_t>{6});
  EXPECT_FALSE(card.is_channel_free(6));
  // The line comes back; T316 repeats the RESTART, which clears the network's stale call.
  hold_to_network = false;
  advance(2min);
  ASSERT_EQ(network_events_of<CallEnded>().size(), 1u);
  EXPECT_EQ(network_events_of<CallEnded>()[0].call, x);
  EXPECT_EQ(card_events_of<gateway::ChannelsRestarted>().size(), 1u);
  EXPECT_TRUE(card.is_channel_free(6));
  EXPECT_TRUE(network.is_channel_free(6));
}

TEST_F(PriBackToBack, T305AndT308NetworkSideThenTheChannelIsRestarted_5_3_4) {
  const ExchangeCallId x = active_outgoing(39, 8);
  hold_to_card = true;
  ASSERT_TRUE(network.clear(now, x, gateway::cause::kNormalClearing));
  pump();
  const TimePoint start = now;
  fire_next();
  EXPECT_EQ(now - start, 30s);
  EXPECT_EQ(sent_by_network.back().type, MessageType::Release);
  fire_next();
  fire_next();
  EXPECT_EQ(now - start, 38s);
  ASSERT_EQ(network_events_of<CallEnded>().size(), 1u);
  EXPECT_EQ(sent_by_network.back().type, MessageType::Restart);
  hold_to_card = false;
  advance(2min);
  // The card's stale call is gone with the RESTART.
  ASSERT_EQ(released(39).size(), 1u);
  EXPECT_EQ(released(39)[0].cause.value, 41);
  ASSERT_EQ(network_events_of<SpanRestarted>().size(), 1u);
  EXPECT_TRUE(network.is_channel_free(8));
}

TEST_F(PriBackToBack, T306NetworkSideReleasesAfterTheAnnouncement_5_3_4_1) {
  const ExchangeCallId x = active_outgoing(41, 9);
  ASSERT_TRUE(network.clear(now, x, gateway::cause::kNormalClearing, /*announcement=*/true));
  pump();
  EXPECT_EQ(card.call_state(41), State::DisconnectIndication);  // the gateway listens
  const TimePoint start = now;
  fire_next();
  EXPECT_EQ(now - start, 30s);
  ASSERT_EQ(released(41).size(), 1u);
  EXPECT_EQ(network_events_of<CallEnded>().size(), 1u);
}

TEST_F(PriBackToBack, EveryCallEndsWithExactlyOneCallReleased) {
  // A mix of everything above; then each call the gateway knows has one CallReleased.
  active_outgoing(43, 1);
  place(45, 2);
  auto x = network.present_call(now, number("1"), number("2"));
  ASSERT_TRUE(x.has_value());
  pump();
  command(gateway::ClearCall{.call = 43, .cause = 16});
  command(gateway::ClearCall{.call = 43, .cause = 16});  // twice: ignored
  card.on_alarm(now, Alarm::Los);
  card.on_alarm(now, Alarm::Rai);
  collect();
  std::vector<gateway::LineCallId> ids;
  for (const auto& r : card_events_of<gateway::CallReleased>()) ids.push_back(r.call);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(card.call_count(), 0u);
}

TEST(PriCard, SpanInfoListsThirtyBChannels) {
  const PriCard card;
  const auto info = card.span_info();
  EXPECT_EQ(info.kind, gateway::SpanKind::E1Pri);
  ASSERT_EQ(info.channels.size(), 30u);
  EXPECT_EQ(std::count(info.channels.begin(), info.channels.end(), 16), 0);
  EXPECT_EQ(info.channels.front(), 1);
  EXPECT_EQ(info.channels.back(), 31);
}

}  // namespace
}  // namespace resproxy::pri
