#include "sim_hardware/pri/user_call.h"

#include <algorithm>
#include <utility>

namespace resproxy::pri {
namespace {

using q931::Cause;
using q931::CauseValue;
using q931::Message;
using q931::MessageType;
using State = CallStateValue;

Cause user_cause(CauseValue value, std::optional<std::uint8_t> diagnostic = std::nullopt) {
  Cause c;
  c.location = q931::Location::User;
  c.value = value;
  if (diagnostic) c.diagnostics = {*diagnostic};
  return c;
}

bool has_in_band_information(const Message& m) {
  return std::any_of(m.progress_indicators.begin(), m.progress_indicators.end(), [](const auto& p) {
    return p.description == q931::ProgressDescription::InBandInformation;
  });
}

// Progress indicator 8 as the PRI card sends it: the gateway is a private network serving the
// local user (Q.850 §2.2.3 location 1), which plays the tones or the early media.
q931::ProgressIndicator in_band_progress() {
  return {.coding_standard = q931::CodingStandard::Itu,
          .location = q931::Location::PrivateNetworkLocalUser,
          .description = q931::ProgressDescription::InBandInformation};
}

// A request the state does not allow, or a deadline that is not due: nothing happens.
Output refused() {
  Output out;
  out.accepted = false;
  return out;
}

bool is_one_of(State state, std::initializer_list<State> states) {
  return std::find(states.begin(), states.end(), state) != states.end();
}

// The first answers of the network to our SETUP (§3.1.1-§3.1.3, §3.1.15).
bool is_first_response_type(MessageType type) {
  return type == MessageType::SetupAcknowledge || type == MessageType::CallProceeding ||
         type == MessageType::Alerting || type == MessageType::Connect;
}

}  // namespace

std::string_view to_string(Timer timer) {
  switch (timer) {
    case Timer::T303: return "T303";
    case Timer::T304: return "T304";
    case Timer::T305: return "T305";
    case Timer::T308: return "T308";
    case Timer::T310: return "T310";
    case Timer::T313: return "T313";
  }
  return "T?";
}

UserCall::UserCall(std::uint16_t call_reference_value, Origin origin, TimerValues timers)
    : call_reference_value_(static_cast<std::uint16_t>(call_reference_value & 0x7FFF)),
      origin_(origin),
      timers_(timers) {}

std::optional<Timer> UserCall::running_timer() const {
  if (!timer_) return std::nullopt;
  return timer_->timer;
}

std::optional<TimePoint> UserCall::deadline() const {
  if (!timer_) return std::nullopt;
  return timer_->deadline;
}

q931::CallReference UserCall::call_reference() const {
  // §4.3: flag 0 on the messages of the side that allocated the call reference.
  return {.length = 2,
          .value = call_reference_value_,
          .flag = origin_ == Origin::Outgoing ? q931::CallReferenceFlag::FromOriginatingSide
                                              : q931::CallReferenceFlag::ToOriginatingSide};
}

Message UserCall::make(MessageType type) const {
  Message m;
  m.call_reference = call_reference();
  m.type = type;
  return m;
}

Message UserCall::status(CauseValue cause, std::optional<std::uint8_t> diagnostic) const {
  Message m = make(MessageType::Status);  // §3.1.16: Cause and Call state
  m.cause = user_cause(cause, diagnostic);
  m.call_state = q931::CallState{.coding_standard = q931::CodingStandard::Itu, .value = state_};
  return m;
}

void UserCall::start(TimePoint now, Timer timer) {
  Duration d{};
  switch (timer) {
    case Timer::T303: d = timers_.t303; break;
    case Timer::T304: d = timers_.t304; break;
    case Timer::T305: d = timers_.t305; break;
    case Timer::T308: d = timers_.t308; break;
    case Timer::T310: d = timers_.t310; break;
    case Timer::T313: d = timers_.t313; break;
  }
  timer_ = Running{timer, now + d};
  expired_once_ = false;
}

Indication UserCall::indication(IndicationKind kind) const {
  Indication i;
  i.kind = kind;
  i.channel = channel_;
  return i;
}

void UserCall::enter_null(Output& out, bool restart_channel) {
  stop();
  state_ = State::Null;
  Indication i = indication(IndicationKind::Released);
  i.cause = clearing_cause_;
  i.restart_channel = restart_channel;
  out.indications.push_back(std::move(i));
  last_setup_.reset();
  last_release_.reset();
}

void UserCall::send_disconnect(TimePoint now, Output& out, CauseValue cause) {
  // §5.3.3: DISCONNECT, T305, Disconnect request.
  Message m = make(MessageType::Disconnect);
  m.cause = user_cause(cause);
  if (!clearing_cause_) clearing_cause_ = m.cause;
  out.messages.push_back(std::move(m));
  start(now, Timer::T305);
  state_ = State::DisconnectRequest;
}

void UserCall::send_release(TimePoint now, Output& out, std::optional<Cause> cause) {
  // §5.3.3, §5.3.4: RELEASE, T308, Release request.
  Message m = make(MessageType::Release);
  m.cause = std::move(cause);
  last_release_ = m;
  out.messages.push_back(std::move(m));
  start(now, Timer::T308);
  state_ = State::ReleaseRequest;
}

void UserCall::take_channel(const Message& m) {
  if (!m.channel_identification) return;
  const auto& c = *m.channel_identification;
  if (c.selection == q931::ChannelSelection::AsIndicated && !c.slot_map && !c.channels.empty()) {
    channel_ = c.channels.front();
  }
}

// ---- The owner's requests ---------------------------------------------------------------------

Output UserCall::on_setup_request(TimePoint now, const OutgoingCall& call) {
  if (state_ != State::Null || used_ || origin_ != Origin::Outgoing) return refused();
  Message m = make(MessageType::Setup);
  m.sending_complete = call.sending_complete;
  m.bearer_capability = call.bearer_capability;
  m.channel_identification = call.channel;
  m.calling_party_number = call.calling_party_number;
  m.called_party_number = call.called_party_number;
  used_ = true;
  last_setup_ = m;
  Output out;
  out.messages.push_back(std::move(m));
  start(now, Timer::T303);
  state_ = State::CallInitiated;
  return out;
}

Output UserCall::on_information_request(TimePoint now, std::string digits, bool sending_complete) {
  if (state_ != State::OverlapSending) return refused();
  Message m = make(MessageType::Information);  // §3.1.6
  m.sending_complete = sending_complete;
  m.called_party_number = q931::CalledPartyNumber{.type = q931::TypeOfNumber::Unknown,
                                                  .plan = q931::NumberingPlan::Isdn,
                                                  .digits = std::move(digits)};
  Output out;
  out.messages.push_back(std::move(m));
  start(now, Timer::T304);  // §5.1.3: restarted with every INFORMATION
  return out;
}

Output UserCall::answer_setup(MessageType type, State next, std::optional<std::uint8_t> b_channel) {
  Message m = make(type);
  if (!first_response_sent_) {
    // §5.2.3.1 / the note on Channel identification in §3.1.1-§3.1.3: the first answer to the
    // SETUP names the B-channel, exclusively.
    const std::optional<std::uint8_t> channel = b_channel ? b_channel : channel_;
    if (!channel) return refused();
    channel_ = channel;
    m.channel_identification = q931::ChannelIdentification::exclusive_b_channel(*channel);
    first_response_sent_ = true;
  }
  Output out;
  out.messages.push_back(std::move(m));
  state_ = next;
  return out;
}

Output UserCall::on_proceeding_request(TimePoint, std::optional<std::uint8_t> b_channel) {
  if (state_ != State::CallPresent) return refused();
  return answer_setup(MessageType::CallProceeding, State::IncomingCallProceeding, b_channel);
}

Output UserCall::on_alerting_request(TimePoint, std::optional<std::uint8_t> b_channel,
                                     bool in_band) {
  if (!is_one_of(state_, {State::CallPresent, State::IncomingCallProceeding})) return refused();
  Output out = answer_setup(MessageType::Alerting, State::CallReceived, b_channel);
  if (out.accepted && in_band) out.messages.front().progress_indicators = {in_band_progress()};
  return out;
}

Output UserCall::on_progress_request(TimePoint) {
  if (!is_one_of(state_, {State::IncomingCallProceeding, State::CallReceived})) return refused();
  Message m = make(MessageType::Progress);  // §3.1.8: Progress indicator mandatory
  m.progress_indicators = {in_band_progress()};
  Output out;
  out.messages.push_back(std::move(m));
  return out;
}

Output UserCall::on_connect_request(TimePoint now, std::optional<std::uint8_t> b_channel) {
  if (!is_one_of(state_,
                 {State::CallPresent, State::IncomingCallProceeding, State::CallReceived})) {
    return refused();
  }
  Output out = answer_setup(MessageType::Connect, State::ConnectRequest, b_channel);
  if (out.accepted) start(now, Timer::T313);  // §5.2.6
  return out;
}

Output UserCall::on_reject_request(TimePoint, CauseValue cause) {
  if (state_ != State::CallPresent) return refused();
  Message m = make(MessageType::ReleaseComplete);
  m.cause = user_cause(cause);
  clearing_cause_ = m.cause;
  Output out;
  out.messages.push_back(std::move(m));
  enter_null(out);
  return out;
}

Output UserCall::on_disconnect_request(TimePoint now, CauseValue cause) {
  if (!is_one_of(state_, {State::CallInitiated, State::OverlapSending,
                          State::OutgoingCallProceeding, State::CallDelivered, State::CallReceived,
                          State::ConnectRequest, State::IncomingCallProceeding, State::Active})) {
    return refused();
  }
  Output out;
  send_disconnect(now, out, cause);
  return out;
}

Output UserCall::on_release_request(TimePoint now) {
  if (state_ != State::DisconnectIndication) return refused();
  Output out;
  send_release(now, out, std::nullopt);  // §5.3.4.1: after the in-band tones
  return out;
}

// ---- Messages from the network ----------------------------------------------------------------

Output UserCall::on_null(const Message& m) {
  Output out;
  if (m.type == MessageType::Setup && origin_ == Origin::Incoming && !used_) {
    used_ = true;
    const q931::ValidationContext context{.direction = q931::Direction::NetworkToUser,
                                          .first_response_to_setup = false,
                                          .first_clearing_message = false};
    if (const auto problem = q931::validate(m, context);
        problem && problem->action == q931::ValidationAction::RejectMessage) {
      // §5.8.6.1 a): a SETUP we cannot take is answered with RELEASE COMPLETE and the cause.
      Message answer = make(MessageType::ReleaseComplete);
      answer.cause = user_cause(problem->cause, problem->information_element);
      out.messages.push_back(answer);
      clearing_cause_ = answer.cause;
      enter_null(out);
      return out;
    }
    take_channel(m);
    state_ = State::CallPresent;  // §5.2.1
    out.indications.push_back(indication(IndicationKind::IncomingCall));
    return out;
  }
  switch (m.type) {
    case MessageType::ReleaseComplete:  // §5.8.3.2 b): no action
      return out;
    case MessageType::StatusEnquiry:  // §5.8.10: our state is Null
      out.messages.push_back(status(CauseValue::ResponseToStatusEnquiry));
      return out;
    case MessageType::Status: {  // §5.8.11: a state other than Null is not compatible
      if (m.call_state && m.call_state->value != State::Null) {
        Message answer = make(MessageType::ReleaseComplete);
        answer.cause = user_cause(CauseValue::MessageNotCompatibleWithCallState);
        out.messages.push_back(std::move(answer));
      }
      return out;
    }
    default: {  // §5.8.3.2 a), c): a call reference that is not (or no longer) a call's
      Message answer = make(MessageType::ReleaseComplete);
      answer.cause = user_cause(CauseValue::InvalidCallReferenceValue);
      out.messages.push_back(std::move(answer));
      return out;
    }
  }
}

void UserCall::on_clearing_message(TimePoint now, const Message& m, Output& out) {
  switch (m.type) {
    case MessageType::ReleaseComplete:
      // §5.3.3 (the answer to our RELEASE), §5.3.4.3, and a rejection of our SETUP.
      if (!clearing_cause_) clearing_cause_ = m.cause;
      enter_null(out);
      return;
    case MessageType::Release:
      if (!clearing_cause_) clearing_cause_ = m.cause;
      if (state_ != State::ReleaseRequest) {
        out.messages.push_back(make(MessageType::ReleaseComplete));  // §5.3.3, §5.3.4
      }
      // In U19 both sides sent RELEASE: no answer (§5.3.5).
      enter_null(out);
      return;
    case MessageType::Disconnect:
      if (state_ == State::DisconnectRequest) {  // §5.3.5: clear collision
        send_release(now, out, std::nullopt);
        return;
      }
      if (is_one_of(state_, {State::DisconnectIndication, State::ReleaseRequest})) {
        out.messages.push_back(status(CauseValue::MessageNotCompatibleWithCallState));  // §5.8.4
        return;
      }
      stop();
      if (!clearing_cause_) clearing_cause_ = m.cause;
      state_ = State::DisconnectIndication;
      {
        const bool in_band = has_in_band_information(m);
        Indication i = indication(IndicationKind::Disconnected);
        i.cause = m.cause;
        i.in_band = in_band;
        out.indications.push_back(std::move(i));
        if (in_band) return;  // §5.3.4.1: the owner releases when done with the tones
      }
      send_release(now, out, std::nullopt);  // §5.3.4.2
      return;
    default: return;
  }
}

Output UserCall::on_message(TimePoint now, const Message& m) {
  if (state_ == State::Null) return on_null(m);
  Output out;

  const q931::ValidationContext context{
      .direction = q931::Direction::NetworkToUser,
      .first_response_to_setup = state_ == State::CallInitiated && is_first_response_type(m.type),
      .first_clearing_message = !is_one_of(
          state_, {State::DisconnectRequest, State::DisconnectIndication, State::ReleaseRequest})};
  if (const auto problem = q931::validate(m, context)) {
    const bool clearing = m.type == MessageType::Disconnect || m.type == MessageType::Release ||
                          m.type == MessageType::ReleaseComplete;
    if (problem->action == q931::ValidationAction::RejectMessage) {
      const Cause cause = user_cause(problem->cause, problem->information_element);
      switch (m.type) {
        case MessageType::ReleaseComplete:  // the call is over all the same
          break;
        case MessageType::Disconnect:  // §5.8.6.1 c): RELEASE with the cause
          stop();
          if (!clearing_cause_) clearing_cause_ = cause;
          send_release(now, out, cause);
          return out;
        case MessageType::Release: {  // §5.8.6.1 d): RELEASE COMPLETE with the cause
          Message answer = make(MessageType::ReleaseComplete);
          answer.cause = cause;
          out.messages.push_back(std::move(answer));
          if (!clearing_cause_) clearing_cause_ = cause;
          enter_null(out);
          return out;
        }
        default:  // §5.8.6.1 e): STATUS with the cause; the message is not acted on
          out.messages.push_back(status(problem->cause, problem->information_element));
          return out;
      }
    } else if (!clearing) {
      // §5.8.7: report the IE with STATUS, act on the rest (clearing messages just go on).
      out.messages.push_back(status(problem->cause, problem->information_element));
    }
  }

  switch (m.type) {
    case MessageType::StatusEnquiry:  // §5.8.10
      out.messages.push_back(status(CauseValue::ResponseToStatusEnquiry));
      return out;
    case MessageType::Status:  // §5.8.11: the network has no such call any more
      if (m.call_state && m.call_state->value == State::Null) {
        if (!clearing_cause_) clearing_cause_ = m.cause;
        enter_null(out);
      }
      return out;
    case MessageType::Disconnect:
    case MessageType::Release:
    case MessageType::ReleaseComplete: on_clearing_message(now, m, out); return out;
    default: break;
  }

  const auto connected = [&] {
    // §5.1.8: CONNECT ends the outgoing call's setup; CONNECT ACKNOWLEDGE is sent back.
    take_channel(m);
    stop();
    out.messages.push_back(make(MessageType::ConnectAcknowledge));
    state_ = State::Active;
    out.indications.push_back(indication(IndicationKind::Connected));
  };
  const auto progress = [&] {
    // §5.1.6: interworking on the way; the timer waiting for the call's progress stops.
    stop();
    Indication i = indication(IndicationKind::Progress);
    i.in_band = has_in_band_information(m);
    out.indications.push_back(std::move(i));
  };
  const auto alerting = [&] {
    take_channel(m);
    stop();
    state_ = State::CallDelivered;  // §5.1.7
    Indication i = indication(IndicationKind::Alerting);
    i.in_band = has_in_band_information(m);
    out.indications.push_back(std::move(i));
  };
  const auto proceeding = [&] {
    take_channel(m);
    start(now, Timer::T310);  // §5.1.5.1
    state_ = State::OutgoingCallProceeding;
    out.indications.push_back(indication(IndicationKind::Proceeding));
  };
  // INFORMATION (display, more of a number) is allowed once the call is set up on both sides
  // and until it is released (§3.1.6); the card has nothing to do with it.
  const bool information_allowed =
      !is_one_of(state_, {State::CallInitiated, State::CallPresent, State::ReleaseRequest});

  switch (state_) {
    case State::CallInitiated:  // U1
      switch (m.type) {
        case MessageType::SetupAcknowledge:  // §5.1.3
          take_channel(m);
          start(now, Timer::T304);
          state_ = State::OverlapSending;
          out.indications.push_back(indication(IndicationKind::MoreInformation));
          return out;
        case MessageType::CallProceeding: proceeding(); return out;
        case MessageType::Alerting: alerting(); return out;
        case MessageType::Connect: connected(); return out;
        default: break;
      }
      break;
    case State::OverlapSending:  // U2
      switch (m.type) {
        case MessageType::CallProceeding: proceeding(); return out;
        case MessageType::Alerting: alerting(); return out;
        case MessageType::Connect: connected(); return out;
        case MessageType::Progress: progress(); return out;
        default: break;
      }
      break;
    case State::OutgoingCallProceeding:  // U3
      switch (m.type) {
        case MessageType::Alerting: alerting(); return out;
        case MessageType::Connect: connected(); return out;
        case MessageType::Progress: progress(); return out;
        default: break;
      }
      break;
    case State::CallDelivered:  // U4
      switch (m.type) {
        case MessageType::Connect: connected(); return out;
        case MessageType::Progress: progress(); return out;
        default: break;
      }
      break;
    case State::ConnectRequest:                         // U8
      if (m.type == MessageType::ConnectAcknowledge) {  // §5.2.7
        stop();
        state_ = State::Active;
        out.indications.push_back(indication(IndicationKind::Connected));
        return out;
      }
      break;
    default: break;
  }
  if (m.type == MessageType::Information && information_allowed) return out;
  // §5.8.4: a message this state does not expect.
  out.messages.push_back(status(CauseValue::MessageNotCompatibleWithCallState));
  return out;
}

Output UserCall::on_deadline(TimePoint now) {
  if (!timer_ || now < timer_->deadline) return refused();
  Output out;
  const Timer expired = timer_->timer;
  timer_.reset();
  switch (expired) {
    case Timer::T303:  // §5.1.1: SETUP once more, then give up
      if (!expired_once_ && last_setup_) {
        out.messages.push_back(*last_setup_);
        start(now, Timer::T303);
        expired_once_ = true;
      } else {
        Message m = make(MessageType::ReleaseComplete);
        m.cause = user_cause(CauseValue::RecoveryOnTimerExpiry);
        clearing_cause_ = m.cause;
        out.messages.push_back(std::move(m));
        enter_null(out);
      }
      break;
    case Timer::T304:  // §5.1.3
    case Timer::T310:  // §5.1.5.1
    case Timer::T313:  // §5.2.7
      send_disconnect(now, out, CauseValue::RecoveryOnTimerExpiry);
      break;
    case Timer::T305:  // §5.3.3: RELEASE with the cause of our DISCONNECT
      send_release(now, out, clearing_cause_);
      break;
    case Timer::T308:  // §5.3.3: RELEASE once more, then the B-channel goes to maintenance
      if (!expired_once_ && last_release_) {
        out.messages.push_back(*last_release_);
        start(now, Timer::T308);
        expired_once_ = true;
      } else {
        enter_null(out, /*restart_channel=*/true);
      }
      break;
  }
  return out;
}

}  // namespace resproxy::pri
