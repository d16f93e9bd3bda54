#include "sim_hardware/pri/pri_card.h"

#include <algorithm>
#include <utility>

#include "sim_hardware/q931/codec.h"
#include "sim_hardware/q931/validate.h"

namespace resproxy::pri {
namespace {

using q931::CauseValue;
using q931::Message;
using q931::MessageType;
using State = q931::CallStateValue;

// A cause the card sends on the wire (Q.931 user side: location user).
q931::Cause user_cause(CauseValue value, std::optional<std::uint8_t> diagnostic = std::nullopt) {
  q931::Cause c;
  c.location = q931::Location::User;
  c.value = value;
  if (diagnostic) c.diagnostics = {*diagnostic};
  return c;
}

bool contains(const std::vector<std::uint16_t>& channels, std::uint16_t channel) {
  return std::find(channels.begin(), channels.end(), channel) != channels.end();
}

// The B-channel a SETUP asks for, as far as an E1 card can take it.
struct ChannelRequest {
  enum class Kind : std::uint8_t { Any, One, Unusable } kind = Kind::Any;
  std::uint16_t channel = 0;
  bool exclusive = false;
  std::uint8_t cause = 0;  // Unusable: what to answer
};

ChannelRequest channel_request(const q931::ChannelIdentification& c) {
  using Kind = ChannelRequest::Kind;
  if (c.interface_type != q931::InterfaceType::Primary || c.d_channel ||
      !c.interface_identifier.empty()) {
    return {.kind = Kind::Unusable, .cause = gateway::cause::kRequestedChannelNotAvailable};
  }
  switch (c.selection) {
    case q931::ChannelSelection::Any: return {.kind = Kind::Any};
    case q931::ChannelSelection::AsIndicated: break;
    default:  // no channel (call waiting) is for a basic rate interface: none is free for it
      return {.kind = Kind::Unusable, .cause = gateway::cause::kNoCircuitAvailable};
  }
  if (c.slot_map || c.channel_type != q931::ChannelType::BChannel) {
    // Only single B-channel calls (64 kbit/s speech): no H0/H1 or multirate (Q.850 66).
    return {.kind = Kind::Unusable,
            .cause = static_cast<std::uint8_t>(CauseValue::ChannelTypeNotImplemented)};
  }
  if (c.channels.empty() || !is_e1_b_channel(c.channels.front())) {
    return {.kind = Kind::Unusable,
            .cause = static_cast<std::uint8_t>(CauseValue::IdentifiedChannelDoesNotExist)};
  }
  return {.kind = Kind::One, .channel = c.channels.front(), .exclusive = c.exclusive};
}

}  // namespace

PriCard::PriCard(PriCardConfig config) : config_(std::move(config)) {}

gateway::SpanInfo PriCard::span_info() const {
  return {.span = config_.span,
          .kind = gateway::SpanKind::E1Pri,
          .name = config_.name,
          .channels = std::vector<std::uint16_t>(kE1BChannels.begin(), kE1BChannels.end()),
          .overlap_receiving = false};
}

bool PriCard::is_restarting(std::uint16_t channel) const {
  return std::any_of(restarts_.begin(), restarts_.end(), [&](const PendingRestart& r) {
    return r.channels.empty() || contains(r.channels, channel);
  });
}

bool PriCard::is_channel_free(std::uint16_t channel) const {
  return is_e1_b_channel(channel) && !channel_owner_[channel] && !is_restarting(channel) &&
         alarm_ == gateway::Alarm::None;
}

std::optional<std::uint16_t> PriCard::free_channel(bool highest) const {
  return hunt_b_channel(highest, [this](std::uint16_t ch) { return is_channel_free(ch); });
}

q931::CallStateValue PriCard::call_state(gateway::LineCallId call) const {
  const auto it = by_id_.find(call);
  if (it == by_id_.end()) return State::Null;
  return calls_.at(it->second).q931.state();
}

gateway::Cause PriCard::local_cause(std::uint8_t value) const {
  // A cause the card makes up itself (no message carried it): the gateway is the private network
  // serving the local user (Q.850 §2.2.5 location 1).
  return {.value = value, .location = gateway::CauseLocation::PrivateLocal};
}

PriCard::CallKey PriCard::key_of(const q931::CallReference& reference) {
  // §4.3: flag 0 in a message from the side that allocated the call reference: the network.
  return {.value = reference.value,
          .origin = reference.flag == q931::CallReferenceFlag::FromOriginatingSide
                        ? Origin::Incoming
                        : Origin::Outgoing};
}

PriCard::Call* PriCard::find(gateway::LineCallId id) {
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return nullptr;
  return &calls_.at(it->second);
}

void PriCard::send(const Message& message) { frames_.push_back(q931::encode(message)); }

std::vector<Frame> PriCard::take_frames() { return std::exchange(frames_, {}); }
std::vector<gateway::CardEvent> PriCard::take_events() { return std::exchange(events_, {}); }

std::optional<TimePoint> PriCard::next_deadline() const {
  std::optional<TimePoint> earliest;
  const auto consider = [&](std::optional<TimePoint> t) {
    if (t && (!earliest || *t < *earliest)) earliest = t;
  };
  for (const auto& [key, call] : calls_) consider(call.q931.deadline());
  for (const auto& r : restarts_) consider(r.deadline);
  return earliest;
}

// ---- Calls ------------------------------------------------------------------------------------

void PriCard::apply(TimePoint now, CallKey key, Output out) {
  for (const Message& m : out.messages) send(m);
  for (const Indication& i : out.indications) {
    const auto it = calls_.find(key);
    if (it == calls_.end()) return;  // released by an earlier indication
    Call& call = it->second;
    const gateway::LineCallId id = call.id;
    switch (i.kind) {
      case IndicationKind::IncomingCall: break;  // on_incoming_setup() presents it
      case IndicationKind::MoreInformation:      // §5.1.3: SETUP ACKNOWLEDGE, U2
        bind_channel(now, key, i.channel);
        if (!calls_.contains(key)) return;
        call.overlap_ready = true;
        if (!call.pending_digits.empty() || call.pending_complete) {
          Output more = call.q931.on_information_request(
              now, std::exchange(call.pending_digits, {}), call.pending_complete);
          for (const Message& m : more.messages) send(m);
        }
        break;
      case IndicationKind::Proceeding:
        bind_channel(now, key, i.channel);
        if (calls_.contains(key)) events_.push_back(gateway::CallProceeding{.call = id});
        break;
      case IndicationKind::Alerting:
        bind_channel(now, key, i.channel);
        if (calls_.contains(key)) {
          events_.push_back(gateway::CallAlerting{.call = id, .inband = i.in_band});
        }
        break;
      case IndicationKind::Progress:
        events_.push_back(gateway::CallProgress{.call = id, .inband = i.in_band});
        break;
      case IndicationKind::Connected:
        bind_channel(now, key, i.channel);
        // The gateway learns that its own call was answered; for a call it answered itself, the
        // CONNECT ACKNOWLEDGE (U8 → U10) has no event: AnswerCall already said so.
        if (calls_.contains(key) && key.origin == Origin::Outgoing) {
          events_.push_back(gateway::CallAnswered{.call = id});
        }
        break;
      case IndicationKind::Disconnected:
        events_.push_back(gateway::CallDisconnected{
            .call = id,
            .cause = i.cause ? to_gateway(*i.cause) : local_cause(gateway::cause::kNormalClearing),
            .inband = i.in_band});
        break;
      case IndicationKind::Released:
        finish(now, key,
               i.cause ? to_gateway(*i.cause) : local_cause(gateway::cause::kNormalClearing),
               i.restart_channel);
        return;
    }
  }
}

void PriCard::bind_channel(TimePoint now, CallKey key, std::optional<std::uint8_t> channel) {
  Call& call = calls_.at(key);
  if (!channel || call.channel == channel) return;
  // The network named another B-channel than the one we hold (our SETUP offered any channel, or
  // lost a collision, §5.7): take it if it is ours to take; else §5.1.2: clear with cause 6.
  if (!is_e1_b_channel(*channel) || !is_channel_free(*channel)) {
    Output out = call.q931.on_disconnect_request(now, CauseValue::ChannelUnacceptable);
    for (const Message& m : out.messages) send(m);
    return;
  }
  if (call.channel && channel_owner_[*call.channel] == key) channel_owner_[*call.channel].reset();
  call.channel = *channel;
  channel_owner_[*channel] = key;
}

void PriCard::finish(TimePoint now, CallKey key, gateway::Cause cause, bool restart_channel) {
  const auto it = calls_.find(key);
  if (it == calls_.end()) return;
  const Call& call = it->second;
  std::optional<std::uint16_t> channel;
  if (call.channel && channel_owner_[*call.channel] == key) {
    channel_owner_[*call.channel].reset();
    channel = call.channel;
  }
  events_.push_back(gateway::CallReleased{.call = call.id, .cause = cause});
  by_id_.erase(call.id);
  calls_.erase(it);
  // §5.3.3: T308 expired twice: the channel's state is unknown; RESTART it before reuse (§5.5).
  if (restart_channel && channel) start_restart(now, {*channel});
}

void PriCard::release_all(TimePoint now, const std::vector<std::uint16_t>& channels,
                          gateway::Cause cause) {
  std::vector<CallKey> gone;
  for (const auto& [key, call] : calls_) {
    if (channels.empty() || (call.channel && contains(channels, *call.channel))) {
      gone.push_back(key);
    }
  }
  for (CallKey key : gone) finish(now, key, cause, /*restart_channel=*/false);
}

void PriCard::place_call(TimePoint now, const gateway::PlaceCall& command) {
  if (by_id_.contains(command.call)) return;  // the gateway reused a live id: not ours to fix
  const auto refuse = [&](std::uint8_t cause) {
    events_.push_back(gateway::CallReleased{.call = command.call, .cause = local_cause(cause)});
  };
  // Layer 1 down: the D-channel is down too (38: the gateway tries its next route, 503).
  if (alarm_ != gateway::Alarm::None) return refuse(gateway::cause::kNetworkOutOfOrder);
  const std::uint16_t channel = command.channel.channel;
  if (command.channel.span != config_.span || (channel != 0 && !is_e1_b_channel(channel))) {
    return refuse(static_cast<std::uint8_t>(CauseValue::IdentifiedChannelDoesNotExist));
  }
  // Busy here, or being restarted: the card knows without asking the network (§5.1.2).
  if (channel != 0 && !is_channel_free(channel)) {
    return refuse(gateway::cause::kRequestedChannelNotAvailable);
  }
  // §4.3: a 15-bit call reference value not in use by one of our calls; 0 is the global one.
  std::optional<std::uint16_t> value;
  for (std::uint32_t n = 0; n < 0x7FFF && !value; ++n) {
    const std::uint16_t candidate = next_call_reference_;
    next_call_reference_ = static_cast<std::uint16_t>(candidate == 0x7FFF ? 1 : candidate + 1);
    if (!calls_.contains(CallKey{candidate, Origin::Outgoing})) value = candidate;
  }
  if (!value) return refuse(gateway::cause::kNoCircuitAvailable);

  OutgoingCall setup;
  setup.bearer_capability.transfer_capability = q931::TransferCapability::Speech;
  setup.bearer_capability.layer1 = q931::Layer1Protocol::G711ALaw;  // an E1 carries A-law
  // The gateway chose the B-channel: exclusive, so the network may not move the call to another
  // (§5.1.2); channel 0 lets the network choose ("any channel").
  setup.channel = channel != 0 ? q931::ChannelIdentification::exclusive_b_channel(
                                     static_cast<std::uint8_t>(channel))
                               : q931::ChannelIdentification::any_channel();
  setup.calling_party_number = to_calling_party_number(
      command.calling, q931::ScreeningIndicator::UserProvidedNotScreened);
  setup.called_party_number = to_called_party_number(command.called);
  setup.sending_complete = command.sending_complete;

  const CallKey key{*value, Origin::Outgoing};
  Call call(command.call, UserCall(*value, Origin::Outgoing, config_.timers));
  Output out = call.q931.on_setup_request(now, setup);
  if (channel != 0) {
    call.channel = channel;
    channel_owner_[channel] = key;
  }
  calls_.emplace(key, std::move(call));
  by_id_.emplace(command.call, key);
  apply(now, key, std::move(out));
}

void PriCard::clear_call(TimePoint now, const gateway::ClearCall& command) {
  Call* call = find(command.call);
  if (!call) return;
  const CallKey key = by_id_.at(command.call);
  const auto cause = static_cast<CauseValue>(command.cause & 0x7F);
  switch (call->q931.state()) {
    case State::CallPresent:  // §5.2.5.1: not answered yet: RELEASE COMPLETE with the cause
      apply(now, key, call->q931.on_reject_request(now, cause));
      return;
    case State::DisconnectIndication:  // §5.3.4.1: done with the network's in-band tones
      apply(now, key, call->q931.on_release_request(now));
      return;
    case State::DisconnectRequest:
    case State::ReleaseRequest: return;  // already clearing: CallReleased follows
    default: apply(now, key, call->q931.on_disconnect_request(now, cause)); return;
  }
}

void PriCard::on_command(TimePoint now, const gateway::CardCommand& command) {
  if (const auto* c = std::get_if<gateway::PlaceCall>(&command)) return place_call(now, *c);
  if (const auto* c = std::get_if<gateway::ClearCall>(&command)) return clear_call(now, *c);
  if (const auto* c = std::get_if<gateway::SendDigits>(&command)) {
    Call* call = find(c->call);
    if (!call) return;
    if (call->overlap_ready) {
      apply(now, by_id_.at(c->call), call->q931.on_information_request(now, c->digits, c->complete));
    } else if (call->q931.state() == State::CallInitiated) {  // kept until SETUP ACKNOWLEDGE
      call->pending_digits += c->digits;
      call->pending_complete = call->pending_complete || c->complete;
    }
    return;
  }
  // The answers to a call the card presented name the B-channel the card chose for it.
  const auto answer = [&](gateway::LineCallId id, auto request) {
    Call* call = find(id);
    if (!call || by_id_.at(id).origin != Origin::Incoming) return;
    apply(now, by_id_.at(id), request(*call));
  };
  const auto b_channel = [](const Call& call) -> std::optional<std::uint8_t> {
    if (!call.channel) return std::nullopt;
    return static_cast<std::uint8_t>(*call.channel);
  };
  if (const auto* c = std::get_if<gateway::AcceptCall>(&command)) {
    return answer(c->call, [&](Call& call) {
      return call.q931.on_proceeding_request(now, b_channel(call));
    });
  }
  if (const auto* c = std::get_if<gateway::AlertCall>(&command)) {
    return answer(c->call, [&](Call& call) {
      return call.q931.on_alerting_request(now, b_channel(call), c->inband);
    });
  }
  if (const auto* c = std::get_if<gateway::ProgressCall>(&command)) {
    return answer(c->call, [&](Call& call) { return call.q931.on_progress_request(now); });
  }
  if (const auto* c = std::get_if<gateway::AnswerCall>(&command)) {
    return answer(c->call, [&](Call& call) {
      return call.q931.on_connect_request(now, b_channel(call));
    });
  }
  // SendDtmf, MediaBridge: in-band and media-path work of the runtime; no Q.931 message.
}

// ---- Received messages ------------------------------------------------------------------------

void PriCard::on_frame(TimePoint now, std::span<const std::uint8_t> octets) {
  // Layer 1 down: no frame can have arrived (a runtime that delivers one anyway is ignored).
  if (alarm_ != gateway::Alarm::None) return;
  auto decoded = q931::decode(octets);
  if (!decoded) {
    const q931::DecodeError& error = decoded.error();
    const auto cause = q931::to_cause(error.kind);
    // §5.8.1-§5.8.3.1: no usable call reference (or not Q.931): ignored.
    if (!cause || !error.call_reference || error.call_reference->is_dummy()) return;
    const std::uint8_t diagnostic =
        error.kind == q931::DecodeErrorKind::InformationElementTruncated
            ? error.information_element
            : error.message_type;
    if (error.call_reference->is_global()) return send_global_status(*cause, diagnostic);
    const CallKey key = key_of(*error.call_reference);
    Message answer;
    answer.call_reference = inverted(*error.call_reference);
    if (const auto it = calls_.find(key); it != calls_.end()) {
      // §5.8.4 / §5.8.6.2: STATUS with the cause and our call state; the call goes on.
      answer.type = MessageType::Status;
      answer.cause = user_cause(*cause, diagnostic);
      answer.call_state = q931::CallState{.value = it->second.q931.state()};
    } else {
      // §5.8.3.2 a): no call has this call reference.
      answer.type = MessageType::ReleaseComplete;
      answer.cause = user_cause(CauseValue::InvalidCallReferenceValue);
    }
    return send(answer);
  }
  const Message& m = *decoded;
  if (m.call_reference.is_dummy()) return;  // supplementary services: not emulated
  if (m.call_reference.is_global()) return on_global_message(now, m);

  const CallKey key = key_of(m.call_reference);
  if (const auto it = calls_.find(key); it != calls_.end()) {
    return apply(now, key, it->second.q931.on_message(now, m));
  }
  if (m.type == MessageType::Setup) {
    // §5.8.3.2 e) (from memory): a SETUP whose flag says we allocated its call reference is
    // ignored — it cannot be a new call from the network.
    if (key.origin == Origin::Outgoing) return;
    return on_incoming_setup(now, key, m);
  }
  // §5.8.3.2 a)-d): an unknown call reference. A UserCall in U0 answers as Q.931 says (RELEASE
  // COMPLETE 81; nothing to RELEASE COMPLETE; STATUS to STATUS ENQUIRY; §5.8.11 to STATUS).
  UserCall stray(key.value, key.origin, config_.timers);
  for (const Message& answer : stray.on_message(now, m).messages) send(answer);
}

void PriCard::on_incoming_setup(TimePoint now, CallKey key, const Message& setup) {
  UserCall q931(key.value, Origin::Incoming, config_.timers);
  Output out = q931.on_message(now, setup);
  const bool presented = std::any_of(out.indications.begin(), out.indications.end(),
                                     [](const Indication& i) {
                                       return i.kind == IndicationKind::IncomingCall;
                                     });
  if (!presented) {  // §5.8.6.1 a): rejected by validation (RELEASE COMPLETE in `out`)
    for (const Message& m : out.messages) send(m);
    return;
  }
  // §5.2.3: channel selection. Guaranteed by validation: a SETUP from the network has one.
  const ChannelRequest request = channel_request(*setup.channel_identification);
  std::optional<std::uint16_t> channel;
  std::uint8_t refusal = 0;
  switch (request.kind) {
    case ChannelRequest::Kind::Unusable: refusal = request.cause; break;
    case ChannelRequest::Kind::Any:  // §5.2.3.1 c): we choose; from the top (the gateway hunts
                                     // from the bottom, so the two meet last)
      channel = free_channel(/*highest=*/true);
      if (!channel) refusal = gateway::cause::kNoCircuitAvailable;
      break;
    case ChannelRequest::Kind::One: {
      const std::uint16_t wanted = request.channel;
      if (is_channel_free(wanted)) {
        channel = wanted;
        break;
      }
      const std::optional<CallKey> owner = channel_owner_[wanted];
      if (request.exclusive) {
        // §5.7 (call collision): the network gives its own call priority and will refuse ours
        // (RELEASE COMPLETE 44, or another channel had ours been preferred). So our SETUP
        // yields while the network has not yet confirmed its channel (U1).
        if (owner && owner->origin == Origin::Outgoing && !is_restarting(wanted) &&
            calls_.at(*owner).q931.state() == State::CallInitiated) {
          calls_.at(*owner).channel.reset();
          channel_owner_[wanted].reset();
          channel = wanted;
        } else {
          refusal = gateway::cause::kRequestedChannelNotAvailable;  // §5.2.3.1 a)
        }
      } else {  // §5.2.3.1 b): preferred: any other free channel
        channel = free_channel(/*highest=*/true);
        if (!channel) refusal = gateway::cause::kNoCircuitAvailable;
      }
      break;
    }
  }
  if (!channel) {
    for (const Message& m : q931.on_reject_request(now, static_cast<CauseValue>(refusal)).messages) {
      send(m);
    }
    return;
  }
  for (const Message& m : out.messages) send(m);
  const gateway::LineCallId id = next_incoming_id_;
  next_incoming_id_ += 2;
  calls_.emplace(key, Call(id, std::move(q931), *channel));
  by_id_.emplace(id, key);
  channel_owner_[*channel] = key;
  events_.push_back(gateway::IncomingCall{
      .call = id,
      .channel = {.span = config_.span, .channel = *channel},
      .called = to_party_number(setup.called_party_number),
      .calling = to_party_number(setup.calling_party_number),
      .complete = true});  // en bloc (user_call.h: no overlap receiving)
}

void PriCard::send_global_status(CauseValue cause, std::uint8_t diagnostic) {
  Message status;
  status.call_reference = inverted(global_call_reference());
  status.type = MessageType::Status;
  status.cause = user_cause(cause);
  if (diagnostic != 0) status.cause->diagnostics = {diagnostic};
  // §2.4: the restart states of the global call reference.
  status.call_state =
      q931::CallState{.value = restarts_.empty() ? State::Null : State::RestartRequest};
  send(status);
}

void PriCard::on_global_message(TimePoint now, const Message& m) {
  const q931::ValidationContext context{.direction = q931::Direction::NetworkToUser,
                                        .first_response_to_setup = false,
                                        .first_clearing_message = false};
  if (const auto problem = q931::validate(m, context);
      problem && problem->action == q931::ValidationAction::RejectMessage) {
    // §5.8.3.2 f): a message other than RESTART (ACKNOWLEDGE) or STATUS on the global call
    // reference: STATUS 81. §5.8.6.1: a RESTART without its mandatory IEs: STATUS 96/100.
    if (m.type == MessageType::Status) return;
    return send_global_status(problem->cause, problem->information_element);
  }
  switch (m.type) {
    case MessageType::Restart: {  // §5.5.2
      const auto channels = restarted_channels(m);
      if (!channels) {
        return send_global_status(CauseValue::IdentifiedChannelDoesNotExist,
                                  static_cast<std::uint8_t>(
                                      q931::InformationElementId::ChannelIdentification));
      }
      // Every call on those channels is gone, without a message of its own (§5.5.2): the call
      // references return to Null. The network reset them: 41, temporary failure, from the
      // public network serving us.
      release_all(now, *channels,
                  {.value = gateway::cause::kTemporaryFailure,
                   .location = gateway::CauseLocation::PublicLocal});
      Message ack = restart_message(MessageType::RestartAcknowledge, *channels);
      ack.call_reference = inverted(m.call_reference);
      send(ack);
      events_.push_back(gateway::ChannelsRestarted{.span = config_.span, .channels = *channels});
      return;
    }
    case MessageType::RestartAcknowledge: {  // §5.5.1: our RESTART is done
      const auto channels = restarted_channels(m);
      if (!channels) return;
      const auto it = std::find_if(restarts_.begin(), restarts_.end(),
                                   [&](const PendingRestart& r) { return r.channels == *channels; });
      if (it == restarts_.end()) return;  // not one we sent (or already acknowledged): ignored
      restarts_.erase(it);
      events_.push_back(gateway::ChannelsRestarted{.span = config_.span, .channels = *channels});
      return;
    }
    default: return;  // STATUS on the global call reference: nothing to reconcile
  }
}

// ---- Restart, alarms, timers ------------------------------------------------------------------

void PriCard::start_restart(TimePoint now, std::vector<std::uint16_t> channels) {
  if (alarm_ != gateway::Alarm::None) return;  // the recovery restarts the whole interface
  if (channels.empty()) {
    restarts_.clear();  // the whole interface covers every channel restart outstanding
  } else if (std::any_of(restarts_.begin(), restarts_.end(),
                         [](const PendingRestart& r) { return r.channels.empty(); })) {
    return;
  }
  // §5.5.1: the calls on the channels are cleared first (the callers did so); RESTART, T316.
  send(restart_message(MessageType::Restart, channels));
  restarts_.push_back({.channels = std::move(channels), .deadline = now + config_.t316});
}

void PriCard::on_alarm(TimePoint now, gateway::Alarm alarm) {
  if (alarm == alarm_) return;
  const bool was_up = alarm_ == gateway::Alarm::None;
  alarm_ = alarm;
  events_.push_back(gateway::SpanState{.span = config_.span, .alarm = alarm});
  if (alarm != gateway::Alarm::None) {
    if (!was_up) return;  // one alarm replaced by another: the calls are already gone
    // LOS, AIS and RAI all leave no usable D-channel: every call is cleared here and now,
    // without messages (there is no link to carry them), 38 network out of order.
    restarts_.clear();
    release_all(now, {}, local_cause(gateway::cause::kNetworkOutOfOrder));
    return;
  }
  // Recovered: the network may still hold calls we dropped. RESTART the whole interface; the
  // channels are usable again when it is acknowledged (ChannelsRestarted).
  start_restart(now, {});
}

void PriCard::on_deadline(TimePoint now) {
  std::vector<CallKey> due;
  for (const auto& [key, call] : calls_) {
    if (const auto d = call.q931.deadline(); d && *d <= now) due.push_back(key);
  }
  for (CallKey key : due) {
    const auto it = calls_.find(key);
    if (it != calls_.end()) apply(now, key, it->second.q931.on_deadline(now));
  }
  for (PendingRestart& r : restarts_) {
    if (r.deadline > now) continue;
    // T316 (§5.5.1): RESTART again; the channels stay out of service until it is acknowledged.
    send(restart_message(MessageType::Restart, r.channels));
    r.deadline = now + config_.t316;
  }
}

}  // namespace resproxy::pri
