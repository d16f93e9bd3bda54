#include "sim_hardware/pri/network_call.h"

#include <algorithm>
#include <utility>

#include "sim_hardware/pri/e1_interface.h"
#include "sim_hardware/q931/validate.h"

namespace resproxy::pri {
namespace {

using q931::Cause;
using q931::CauseValue;
using q931::Message;
using q931::MessageType;
using State = q931::CallStateValue;
using Kind = NetworkIndicationKind;

// Causes the exchange's own procedures generate: the public network serving the local user.
Cause network_cause(CauseValue value, std::optional<std::uint8_t> diagnostic = std::nullopt) {
  Cause c;
  c.location = q931::Location::PublicNetworkLocalUser;
  c.value = value;
  if (diagnostic) c.diagnostics = {*diagnostic};
  return c;
}

q931::ProgressIndicator in_band_progress() {
  return {.coding_standard = q931::CodingStandard::Itu,
          .location = q931::Location::PublicNetworkLocalUser,
          .description = q931::ProgressDescription::InBandInformation};
}

NetworkOutput refused() {
  NetworkOutput out;
  out.accepted = false;
  return out;
}

bool is_one_of(State state, std::initializer_list<State> states) {
  return std::find(states.begin(), states.end(), state) != states.end();
}

NetworkIndication indication(Kind kind) {
  NetworkIndication i;
  i.kind = kind;
  return i;
}

}  // namespace

std::string_view to_string(NetworkTimer timer) {
  switch (timer) {
    case NetworkTimer::T303: return "T303";
    case NetworkTimer::T305: return "T305";
    case NetworkTimer::T306: return "T306";
    case NetworkTimer::T308: return "T308";
    case NetworkTimer::T310: return "T310";
  }
  return "T?";
}

NetworkCall::NetworkCall(std::uint16_t call_reference_value, Origin origin,
                         NetworkTimerValues timers)
    : call_reference_value_(static_cast<std::uint16_t>(call_reference_value & 0x7FFF)),
      origin_(origin),
      timers_(timers) {}

std::optional<NetworkTimer> NetworkCall::running_timer() const {
  if (!timer_) return std::nullopt;
  return timer_->timer;
}

std::optional<TimePoint> NetworkCall::deadline() const {
  if (!timer_) return std::nullopt;
  return timer_->deadline;
}

q931::CallReference NetworkCall::call_reference() const {
  return {.length = 2,
          .value = call_reference_value_,
          .flag = origin_ == Origin::Outgoing ? q931::CallReferenceFlag::FromOriginatingSide
                                              : q931::CallReferenceFlag::ToOriginatingSide};
}

Message NetworkCall::make(MessageType type) const {
  Message m;
  m.call_reference = call_reference();
  m.type = type;
  return m;
}

Message NetworkCall::status(CauseValue cause, std::optional<std::uint8_t> diagnostic) const {
  Message m = make(MessageType::Status);
  m.cause = network_cause(cause, diagnostic);
  m.call_state = q931::CallState{.coding_standard = q931::CodingStandard::Itu, .value = state_};
  return m;
}

void NetworkCall::start(TimePoint now, NetworkTimer timer) {
  Duration d{};
  switch (timer) {
    case NetworkTimer::T303: d = timers_.t303; break;
    case NetworkTimer::T305: d = timers_.t305; break;
    case NetworkTimer::T306: d = timers_.t306; break;
    case NetworkTimer::T308: d = timers_.t308; break;
    case NetworkTimer::T310: d = timers_.t310; break;
  }
  timer_ = Running{timer, now + d};
  expired_once_ = false;
}

void NetworkCall::enter_null(NetworkOutput& out, bool restart_channel) {
  timer_.reset();
  state_ = State::Null;
  NetworkIndication i = indication(Kind::Released);
  i.cause = clearing_cause_;
  i.restart_channel = restart_channel;
  out.indications.push_back(std::move(i));
  last_setup_.reset();
  last_release_.reset();
}

void NetworkCall::send_release(TimePoint now, NetworkOutput& out, std::optional<Cause> cause) {
  Message m = make(MessageType::Release);
  m.cause = std::move(cause);
  last_release_ = m;
  out.messages.push_back(std::move(m));
  start(now, NetworkTimer::T308);
  state_ = State::ReleaseRequest;
}

// ---- The exchange's requests ------------------------------------------------------------------

NetworkOutput NetworkCall::on_setup_request(TimePoint now, const CallToUser& call) {
  if (state_ != State::Null || used_ || origin_ != Origin::Outgoing) return refused();
  Message m = make(MessageType::Setup);
  m.sending_complete = true;  // §5.2.1: en bloc
  m.bearer_capability = call.bearer_capability;
  m.channel_identification = call.channel;
  m.calling_party_number = call.calling_party_number;
  m.called_party_number = call.called_party_number;
  used_ = true;
  last_setup_ = m;
  NetworkOutput out;
  out.messages.push_back(std::move(m));
  start(now, NetworkTimer::T303);
  state_ = State::CallPresent;
  return out;
}

NetworkOutput NetworkCall::answer_setup(MessageType type, State next, std::uint8_t b_channel) {
  Message m = make(type);
  if (!first_response_sent_) {  // §5.1.2: the first answer names the channel, exclusively
    m.channel_identification = q931::ChannelIdentification::exclusive_b_channel(b_channel);
    first_response_sent_ = true;
  }
  NetworkOutput out;
  out.messages.push_back(std::move(m));
  state_ = next;
  return out;
}

NetworkOutput NetworkCall::on_proceeding_request(TimePoint, std::uint8_t b_channel) {
  if (state_ != State::CallInitiated) return refused();
  return answer_setup(MessageType::CallProceeding, State::OutgoingCallProceeding, b_channel);
}

NetworkOutput NetworkCall::on_alerting_request(TimePoint, std::uint8_t b_channel, bool in_band) {
  if (!is_one_of(state_, {State::CallInitiated, State::OutgoingCallProceeding})) return refused();
  NetworkOutput out = answer_setup(MessageType::Alerting, State::CallDelivered, b_channel);
  if (in_band) out.messages.front().progress_indicators = {in_band_progress()};
  return out;
}

NetworkOutput NetworkCall::on_progress_request(TimePoint) {
  if (!is_one_of(state_, {State::OutgoingCallProceeding, State::CallDelivered})) return refused();
  Message m = make(MessageType::Progress);
  m.progress_indicators = {in_band_progress()};
  NetworkOutput out;
  out.messages.push_back(std::move(m));
  return out;
}

NetworkOutput NetworkCall::on_connect_request(TimePoint, std::uint8_t b_channel) {
  if (!is_one_of(state_,
                 {State::CallInitiated, State::OutgoingCallProceeding, State::CallDelivered})) {
    return refused();
  }
  return answer_setup(MessageType::Connect, State::Active, b_channel);
}

NetworkOutput NetworkCall::on_reject_request(TimePoint, Cause cause) {
  if (state_ != State::CallInitiated) return refused();
  Message m = make(MessageType::ReleaseComplete);
  m.cause = cause;
  clearing_cause_ = cause;
  NetworkOutput out;
  out.messages.push_back(std::move(m));
  enter_null(out);
  return out;
}

NetworkOutput NetworkCall::on_disconnect_request(TimePoint now, Cause cause, bool in_band) {
  if (!is_one_of(state_, {State::CallInitiated, State::OutgoingCallProceeding,
                          State::CallDelivered, State::CallPresent, State::CallReceived,
                          State::IncomingCallProceeding, State::Active})) {
    return refused();
  }
  Message m = make(MessageType::Disconnect);
  m.cause = cause;
  if (in_band) m.progress_indicators = {in_band_progress()};
  disconnect_cause_ = cause;
  if (!clearing_cause_) clearing_cause_ = cause;
  NetworkOutput out;
  out.messages.push_back(std::move(m));
  // §5.3.4.1: with an announcement the user may stay to hear it: T306 instead of T305.
  start(now, in_band ? NetworkTimer::T306 : NetworkTimer::T305);
  state_ = State::DisconnectIndication;
  return out;
}

// ---- Messages from the user -------------------------------------------------------------------

NetworkOutput NetworkCall::on_null(const Message& m) {
  NetworkOutput out;
  if (m.type == MessageType::Setup && origin_ == Origin::Incoming && !used_) {
    used_ = true;
    const q931::ValidationContext context{.direction = q931::Direction::UserToNetwork,
                                          .first_response_to_setup = false,
                                          .first_clearing_message = false};
    if (const auto problem = q931::validate(m, context);
        problem && problem->action == q931::ValidationAction::RejectMessage) {
      Message answer = make(MessageType::ReleaseComplete);  // §5.8.6.1 a)
      answer.cause = network_cause(problem->cause, problem->information_element);
      clearing_cause_ = answer.cause;
      out.messages.push_back(std::move(answer));
      enter_null(out);
      return out;
    }
    state_ = State::CallInitiated;  // §5.1.1
    out.indications.push_back(indication(Kind::Setup));
    return out;
  }
  switch (m.type) {
    case MessageType::ReleaseComplete: return out;  // §5.8.3.2 b)
    case MessageType::StatusEnquiry:                // §5.8.10
      out.messages.push_back(status(CauseValue::ResponseToStatusEnquiry));
      return out;
    case MessageType::Status:  // §5.8.11
      if (m.call_state && m.call_state->value != State::Null) {
        Message answer = make(MessageType::ReleaseComplete);
        answer.cause = network_cause(CauseValue::MessageNotCompatibleWithCallState);
        out.messages.push_back(std::move(answer));
      }
      return out;
    default: {  // §5.8.3.2 a), c)
      Message answer = make(MessageType::ReleaseComplete);
      answer.cause = network_cause(CauseValue::InvalidCallReferenceValue);
      out.messages.push_back(std::move(answer));
      return out;
    }
  }
}

NetworkOutput NetworkCall::on_message(TimePoint now, const Message& m) {
  if (state_ == State::Null) return on_null(m);
  NetworkOutput out;
  const q931::ValidationContext context{
      .direction = q931::Direction::UserToNetwork,
      .first_response_to_setup = false,
      .first_clearing_message = !is_one_of(state_, {State::DisconnectIndication,
                                                    State::ReleaseRequest})};
  const bool clearing = m.type == MessageType::Disconnect || m.type == MessageType::Release ||
                        m.type == MessageType::ReleaseComplete;
  if (const auto problem = q931::validate(m, context)) {
    if (problem->action == q931::ValidationAction::RejectMessage) {
      const Cause cause = network_cause(problem->cause, problem->information_element);
      switch (m.type) {
        case MessageType::ReleaseComplete: break;  // over all the same
        case MessageType::Disconnect:              // §5.8.6.1 c)
          if (!clearing_cause_) clearing_cause_ = cause;
          send_release(now, out, cause);
          return out;
        case MessageType::Release: {  // §5.8.6.1 d)
          Message answer = make(MessageType::ReleaseComplete);
          answer.cause = cause;
          out.messages.push_back(std::move(answer));
          if (!clearing_cause_) clearing_cause_ = cause;
          enter_null(out);
          return out;
        }
        default:  // §5.8.6.1 e)
          out.messages.push_back(status(problem->cause, problem->information_element));
          return out;
      }
    } else if (!clearing) {
      out.messages.push_back(status(problem->cause, problem->information_element));  // §5.8.7
    }
  }

  switch (m.type) {
    case MessageType::StatusEnquiry:
      out.messages.push_back(status(CauseValue::ResponseToStatusEnquiry));
      return out;
    case MessageType::Status:
      if (m.call_state && m.call_state->value == State::Null) {  // §5.8.11
        if (!clearing_cause_) clearing_cause_ = m.cause;
        enter_null(out);
      }
      return out;
    case MessageType::ReleaseComplete:  // §5.3.3 / §5.3.4.3, or the user refused our SETUP
      if (!clearing_cause_) clearing_cause_ = m.cause;
      enter_null(out);
      return out;
    case MessageType::Release:
      if (!clearing_cause_) clearing_cause_ = m.cause;
      if (state_ != State::ReleaseRequest) {  // §5.3.4; in N19 both sent RELEASE (§5.3.5)
        out.messages.push_back(make(MessageType::ReleaseComplete));
      }
      enter_null(out);
      return out;
    case MessageType::Disconnect:
      if (state_ == State::ReleaseRequest) return out;  // RELEASE already on its way
      if (state_ == State::DisconnectIndication) {  // §5.3.5: clear collision
        send_release(now, out, std::nullopt);
        return out;
      }
      // §5.3.3: the user clears: N11, RELEASE, T308 → N19.
      if (!clearing_cause_) clearing_cause_ = m.cause;
      {
        NetworkIndication i = indication(Kind::Disconnected);
        i.cause = m.cause;
        out.indications.push_back(std::move(i));
      }
      send_release(now, out, std::nullopt);
      return out;
    default: break;
  }

  const auto connected = [&] {  // N8: CONNECT ACKNOWLEDGE at once (§5.2.8) → N10
    timer_.reset();
    out.messages.push_back(make(MessageType::ConnectAcknowledge));
    state_ = State::Active;
    out.indications.push_back(indication(Kind::Connected));
  };
  const auto alerting = [&] {  // §5.2.7
    timer_.reset();
    state_ = State::CallReceived;
    NetworkIndication i = indication(Kind::Alerting);
    i.in_band = has_in_band_information(m);
    out.indications.push_back(std::move(i));
  };
  const auto progress = [&] {
    NetworkIndication i = indication(Kind::Progress);
    i.in_band = has_in_band_information(m);
    out.indications.push_back(std::move(i));
  };
  switch (state_) {
    case State::CallPresent:  // N6
      switch (m.type) {
        case MessageType::CallProceeding:  // §5.2.5.2: T310 (network side)
          start(now, NetworkTimer::T310);
          state_ = State::IncomingCallProceeding;
          out.indications.push_back(indication(Kind::Proceeding));
          return out;
        case MessageType::Alerting: alerting(); return out;
        case MessageType::Connect: connected(); return out;
        default: break;
      }
      break;
    case State::IncomingCallProceeding:  // N9
      switch (m.type) {
        case MessageType::Alerting: alerting(); return out;
        case MessageType::Connect: connected(); return out;
        case MessageType::Progress: progress(); return out;
        default: break;
      }
      break;
    case State::CallReceived:  // N7
      switch (m.type) {
        case MessageType::Connect: connected(); return out;
        case MessageType::Progress: progress(); return out;
        default: break;
      }
      break;
    case State::Active:  // N10: the user's acknowledgement of our CONNECT (optional, §5.1.8)
      if (m.type == MessageType::ConnectAcknowledge) return out;
      break;
    default: break;
  }
  if (m.type == MessageType::Information &&
      !is_one_of(state_, {State::CallPresent, State::ReleaseRequest})) {
    return out;  // §3.1.6: nothing for the exchange in it (en bloc only)
  }
  out.messages.push_back(status(CauseValue::MessageNotCompatibleWithCallState));  // §5.8.4
  return out;
}

NetworkOutput NetworkCall::on_deadline(TimePoint now) {
  if (!timer_ || now < timer_->deadline) return refused();
  NetworkOutput out;
  const NetworkTimer expired = timer_->timer;
  timer_.reset();
  switch (expired) {
    case NetworkTimer::T303:  // §5.2.1: SETUP once more; then the call is cleared
      if (!expired_once_ && last_setup_) {
        out.messages.push_back(*last_setup_);
        start(now, NetworkTimer::T303);
        expired_once_ = true;
      } else {
        Message m = make(MessageType::ReleaseComplete);
        m.cause = network_cause(CauseValue::RecoveryOnTimerExpiry);
        out.messages.push_back(std::move(m));
        // Towards the calling party: 18, no user responding (§5.2.1, from memory).
        clearing_cause_ = network_cause(CauseValue::NoUserResponding);
        enter_null(out);
      }
      break;
    case NetworkTimer::T310: {  // §5.2.5.2: DISCONNECT 102 to the user; 18 to the caller
      clearing_cause_ = network_cause(CauseValue::NoUserResponding);
      Message m = make(MessageType::Disconnect);
      m.cause = network_cause(CauseValue::RecoveryOnTimerExpiry);
      disconnect_cause_ = m.cause;
      out.messages.push_back(std::move(m));
      start(now, NetworkTimer::T305);
      state_ = State::DisconnectIndication;
      break;
    }
    case NetworkTimer::T305:  // §5.3.4: RELEASE with the cause of our DISCONNECT
    case NetworkTimer::T306:  // §5.3.4.1: the announcement's time is up
      send_release(now, out, disconnect_cause_);
      break;
    case NetworkTimer::T308:  // §5.3.3: RELEASE once more, then the channel needs a RESTART
      if (!expired_once_ && last_release_) {
        out.messages.push_back(*last_release_);
        start(now, NetworkTimer::T308);
        expired_once_ = true;
      } else {
        enter_null(out, /*restart_channel=*/true);
      }
      break;
  }
  return out;
}

}  // namespace resproxy::pri
