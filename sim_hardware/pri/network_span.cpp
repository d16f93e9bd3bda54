#include "sim_hardware/pri/network_span.h"

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

bool contains(const std::vector<std::uint16_t>& channels, std::uint16_t channel) {
  return std::find(channels.begin(), channels.end(), channel) != channels.end();
}

// Causes the exchange generates: the public network serving the local user (Q.850 location 2).
gateway::Cause exchange_cause(std::uint8_t value) {
  return {.value = value, .location = gateway::CauseLocation::PublicLocal};
}

q931::Cause wire_cause(std::uint8_t value) {
  q931::Cause c;
  c.location = q931::Location::PublicNetworkLocalUser;
  c.value = static_cast<CauseValue>(value & 0x7F);
  return c;
}

}  // namespace

NetworkSpan::NetworkSpan(NetworkSpanConfig config) : config_(config) {}

NetworkSpan::CallKey NetworkSpan::key_of(const q931::CallReference& reference) {
  // §4.3: flag 0 from the side that allocated it: here the office (user side).
  return {.value = reference.value,
          .origin = reference.flag == q931::CallReferenceFlag::FromOriginatingSide
                        ? Origin::Incoming
                        : Origin::Outgoing};
}

bool NetworkSpan::is_restarting(std::uint16_t channel) const {
  return std::any_of(restarts_.begin(), restarts_.end(), [&](const PendingRestart& r) {
    return r.channels.empty() || contains(r.channels, channel);
  });
}

bool NetworkSpan::is_channel_free(std::uint16_t channel) const {
  return is_e1_b_channel(channel) && !channel_owner_[channel] && !is_restarting(channel) &&
         alarm_ == gateway::Alarm::None;
}

std::optional<std::uint16_t> NetworkSpan::free_channel(bool highest) const {
  return hunt_b_channel(highest, [this](std::uint16_t ch) { return is_channel_free(ch); });
}

NetworkSpan::Call* NetworkSpan::find(ExchangeCallId id) {
  const auto it = by_id_.find(id);
  if (it == by_id_.end()) return nullptr;
  return &calls_.at(it->second);
}

q931::CallStateValue NetworkSpan::call_state(ExchangeCallId call) const {
  const auto it = by_id_.find(call);
  if (it == by_id_.end()) return State::Null;
  return calls_.at(it->second).q931.state();
}

std::optional<std::uint16_t> NetworkSpan::channel_of(ExchangeCallId call) const {
  const auto it = by_id_.find(call);
  if (it == by_id_.end()) return std::nullopt;
  return calls_.at(it->second).channel;
}

void NetworkSpan::send(const Message& message) { frames_.push_back(q931::encode(message)); }
std::vector<Frame> NetworkSpan::take_frames() { return std::exchange(frames_, {}); }
std::vector<NetworkSpanEvent> NetworkSpan::take_events() { return std::exchange(events_, {}); }

std::optional<TimePoint> NetworkSpan::next_deadline() const {
  std::optional<TimePoint> earliest;
  const auto consider = [&](std::optional<TimePoint> t) {
    if (t && (!earliest || *t < *earliest)) earliest = t;
  };
  for (const auto& [key, call] : calls_) consider(call.q931.deadline());
  for (const auto& r : restarts_) consider(r.deadline);
  return earliest;
}

void NetworkSpan::apply(TimePoint now, CallKey key, NetworkOutput out) {
  for (const Message& m : out.messages) send(m);
  for (const NetworkIndication& i : out.indications) {
    const auto it = calls_.find(key);
    if (it == calls_.end()) return;
    const ExchangeCallId id = it->second.id;
    switch (i.kind) {
      case NetworkIndicationKind::Setup: break;  // on_office_setup() announces it
      case NetworkIndicationKind::Proceeding: events_.push_back(OfficeProceeding{id}); break;
      case NetworkIndicationKind::Alerting:
        events_.push_back(OfficeAlerting{.call = id, .inband = i.in_band});
        break;
      case NetworkIndicationKind::Progress:
        events_.push_back(OfficeProgress{.call = id, .inband = i.in_band});
        break;
      case NetworkIndicationKind::Connected: events_.push_back(OfficeAnswered{id}); break;
      case NetworkIndicationKind::Disconnected:
        events_.push_back(OfficeDisconnected{
            .call = id,
            .cause = i.cause ? to_gateway(*i.cause) : exchange_cause(gateway::cause::kNormalClearing)});
        break;
      case NetworkIndicationKind::Released:
        finish(now, key,
               i.cause ? to_gateway(*i.cause) : exchange_cause(gateway::cause::kNormalClearing),
               i.restart_channel);
        return;
    }
  }
}

void NetworkSpan::finish(TimePoint now, CallKey key, gateway::Cause cause, bool restart_channel) {
  const auto it = calls_.find(key);
  if (it == calls_.end()) return;
  const std::uint16_t channel = it->second.channel;
  if (channel_owner_[channel] == key) channel_owner_[channel].reset();
  events_.push_back(CallEnded{.call = it->second.id, .cause = cause});
  by_id_.erase(it->second.id);
  calls_.erase(it);
  if (restart_channel) restart(now, {channel});  // §5.3.3: T308 twice; §5.5
}

void NetworkSpan::release_all(TimePoint now, const std::vector<std::uint16_t>& channels,
                              gateway::Cause cause) {
  std::vector<CallKey> gone;
  for (const auto& [key, call] : calls_) {
    if (channels.empty() || contains(channels, call.channel)) gone.push_back(key);
  }
  for (CallKey key : gone) finish(now, key, cause, /*restart_channel=*/false);
}

// ---- The exchange's requests ------------------------------------------------------------------

Result<ExchangeCallId, gateway::Cause> NetworkSpan::present_call(
    TimePoint now, const gateway::PartyNumber& calling, const gateway::PartyNumber& called,
    std::optional<std::uint16_t> channel) {
  if (alarm_ != gateway::Alarm::None) {
    return unexpected(exchange_cause(gateway::cause::kNetworkOutOfOrder));
  }
  if (channel) {
    if (!is_channel_free(*channel)) {
      return unexpected(exchange_cause(gateway::cause::kRequestedChannelNotAvailable));
    }
  } else {
    channel = free_channel(/*highest=*/true);
    if (!channel) return unexpected(exchange_cause(gateway::cause::kNoCircuitAvailable));
  }
  std::optional<std::uint16_t> value;
  for (std::uint32_t n = 0; n < 0x7FFF && !value; ++n) {
    const std::uint16_t candidate = next_call_reference_;
    next_call_reference_ = static_cast<std::uint16_t>(candidate == 0x7FFF ? 1 : candidate + 1);
    if (!calls_.contains(CallKey{candidate, Origin::Outgoing})) value = candidate;
  }
  if (!value) return unexpected(exchange_cause(gateway::cause::kNoCircuitAvailable));

  CallToUser setup;
  setup.bearer_capability.transfer_capability = q931::TransferCapability::Speech;
  setup.bearer_capability.layer1 = q931::Layer1Protocol::G711ALaw;
  // §5.2.3.1: on this span the network always names the channel exclusively.
  setup.channel =
      q931::ChannelIdentification::exclusive_b_channel(static_cast<std::uint8_t>(*channel));
  setup.calling_party_number =
      to_calling_party_number(calling, q931::ScreeningIndicator::NetworkProvided);
  setup.called_party_number = to_called_party_number(called);

  const CallKey key{*value, Origin::Outgoing};
  const ExchangeCallId id = next_id_++;
  Call call{.id = id, .q931 = NetworkCall(*value, Origin::Outgoing, config_.timers),
            .channel = *channel};
  NetworkOutput out = call.q931.on_setup_request(now, setup);
  calls_.emplace(key, std::move(call));
  by_id_.emplace(id, key);
  channel_owner_[*channel] = key;
  apply(now, key, std::move(out));
  return id;
}

bool NetworkSpan::proceed(TimePoint now, ExchangeCallId id) {
  Call* call = find(id);
  if (!call) return false;
  NetworkOutput out =
      call->q931.on_proceeding_request(now, static_cast<std::uint8_t>(call->channel));
  const bool accepted = out.accepted;
  apply(now, by_id_.at(id), std::move(out));
  return accepted;
}

bool NetworkSpan::alert(TimePoint now, ExchangeCallId id, bool inband) {
  Call* call = find(id);
  if (!call) return false;
  NetworkOutput out =
      call->q931.on_alerting_request(now, static_cast<std::uint8_t>(call->channel), inband);
  const bool accepted = out.accepted;
  apply(now, by_id_.at(id), std::move(out));
  return accepted;
}

bool NetworkSpan::progress(TimePoint now, ExchangeCallId id) {
  Call* call = find(id);
  if (!call) return false;
  NetworkOutput out = call->q931.on_progress_request(now);
  const bool accepted = out.accepted;
  apply(now, by_id_.at(id), std::move(out));
  return accepted;
}

bool NetworkSpan::answer(TimePoint now, ExchangeCallId id) {
  Call* call = find(id);
  if (!call) return false;
  NetworkOutput out =
      call->q931.on_connect_request(now, static_cast<std::uint8_t>(call->channel));
  const bool accepted = out.accepted;
  apply(now, by_id_.at(id), std::move(out));
  return accepted;
}

bool NetworkSpan::clear(TimePoint now, ExchangeCallId id, std::uint8_t cause, bool announcement) {
  Call* call = find(id);
  if (!call) return false;
  const CallKey key = by_id_.at(id);
  switch (call->q931.state()) {
    case State::CallInitiated:
      apply(now, key, call->q931.on_reject_request(now, wire_cause(cause)));
      return true;
    case State::DisconnectIndication:
    case State::ReleaseRequest: return true;  // already clearing: CallEnded follows
    default: {
      NetworkOutput out = call->q931.on_disconnect_request(now, wire_cause(cause), announcement);
      const bool accepted = out.accepted;
      apply(now, key, std::move(out));
      return accepted;
    }
  }
}

void NetworkSpan::restart(TimePoint now, std::vector<std::uint16_t> channels) {
  if (alarm_ != gateway::Alarm::None) return;
  std::sort(channels.begin(), channels.end());
  channels.erase(std::remove_if(channels.begin(), channels.end(),
                                [](std::uint16_t ch) { return !is_e1_b_channel(ch); }),
                 channels.end());
  channels.erase(std::unique(channels.begin(), channels.end()), channels.end());
  if (channels.empty()) {
    restarts_.clear();
  } else if (std::any_of(restarts_.begin(), restarts_.end(),
                         [](const PendingRestart& r) { return r.channels.empty(); })) {
    return;
  }
  // §5.5.1: the calls on the channels end first; RESTART, T316.
  release_all(now, channels, exchange_cause(gateway::cause::kTemporaryFailure));
  send(restart_message(MessageType::Restart, channels));
  restarts_.push_back({.channels = std::move(channels), .deadline = now + config_.t316});
}

// ---- The line ---------------------------------------------------------------------------------

void NetworkSpan::on_frame(TimePoint now, std::span<const std::uint8_t> octets) {
  if (alarm_ != gateway::Alarm::None) return;
  auto decoded = q931::decode(octets);
  if (!decoded) {
    const q931::DecodeError& error = decoded.error();
    const auto cause = q931::to_cause(error.kind);
    if (!cause || !error.call_reference || error.call_reference->is_dummy()) return;
    const std::uint8_t diagnostic =
        error.kind == q931::DecodeErrorKind::InformationElementTruncated
            ? error.information_element
            : error.message_type;
    if (error.call_reference->is_global()) return send_global_status(*cause, diagnostic);
    const CallKey key = key_of(*error.call_reference);
    Message answer;
    answer.call_reference = inverted(*error.call_reference);
    if (const auto it = calls_.find(key); it != calls_.end()) {  // §5.8.4, §5.8.6.2
      answer.type = MessageType::Status;
      answer.cause = wire_cause(static_cast<std::uint8_t>(*cause));
      answer.cause->diagnostics = {diagnostic};
      answer.call_state = q931::CallState{.value = it->second.q931.state()};
    } else {  // §5.8.3.2 a)
      answer.type = MessageType::ReleaseComplete;
      answer.cause = wire_cause(static_cast<std::uint8_t>(CauseValue::InvalidCallReferenceValue));
    }
    return send(answer);
  }
  const Message& m = *decoded;
  if (m.call_reference.is_dummy()) return;
  if (m.call_reference.is_global()) return on_global_message(now, m);
  const CallKey key = key_of(m.call_reference);
  if (const auto it = calls_.find(key); it != calls_.end()) {
    return apply(now, key, it->second.q931.on_message(now, m));
  }
  if (m.type == MessageType::Setup) {
    if (key.origin == Origin::Outgoing) return;  // flag says we allocated it: ignored
    return on_office_setup(now, key, m);
  }
  NetworkCall stray(key.value, key.origin, config_.timers);  // §5.8.3.2 for unknown references
  for (const Message& answer : stray.on_message(now, m).messages) send(answer);
}

void NetworkSpan::on_office_setup(TimePoint now, CallKey key, const Message& setup) {
  NetworkCall q931(key.value, Origin::Incoming, config_.timers);
  NetworkOutput out = q931.on_message(now, setup);
  const bool taken = std::any_of(out.indications.begin(), out.indications.end(),
                                 [](const NetworkIndication& i) {
                                   return i.kind == NetworkIndicationKind::Setup;
                                 });
  if (!taken) {
    for (const Message& m : out.messages) send(m);
    return;
  }
  // §5.1.2: channel selection. The user's SETUP may omit the Channel identification: any channel.
  std::optional<std::uint16_t> channel;
  std::uint8_t refusal = gateway::cause::kNoCircuitAvailable;
  const q931::ChannelIdentification any = q931::ChannelIdentification::any_channel();
  const q931::ChannelIdentification& c =
      setup.channel_identification ? *setup.channel_identification : any;
  if (c.interface_type != q931::InterfaceType::Primary || c.d_channel ||
      !c.interface_identifier.empty()) {
    refusal = gateway::cause::kRequestedChannelNotAvailable;
  } else if (c.selection == q931::ChannelSelection::Any) {
    channel = free_channel(/*highest=*/false);  // the user's calls from the bottom
  } else if (c.selection != q931::ChannelSelection::AsIndicated) {
    refusal = gateway::cause::kNoCircuitAvailable;
  } else if (c.slot_map || c.channel_type != q931::ChannelType::BChannel) {
    refusal = static_cast<std::uint8_t>(CauseValue::ChannelTypeNotImplemented);
  } else if (c.channels.empty() || !is_e1_b_channel(c.channels.front())) {
    refusal = static_cast<std::uint8_t>(CauseValue::IdentifiedChannelDoesNotExist);
  } else if (is_channel_free(c.channels.front())) {
    channel = c.channels.front();
  } else if (c.exclusive) {
    // §5.1.2 b) / §5.7: busy — also when our own SETUP for it is on its way to the user: the
    // network gives priority to the call it offers (call collision).
    refusal = gateway::cause::kRequestedChannelNotAvailable;
  } else {
    channel = free_channel(/*highest=*/false);  // §5.1.2 a): preferred: another one
  }
  if (!channel) {
    NetworkOutput rejected = q931.on_reject_request(now, wire_cause(refusal));
    for (const Message& m : rejected.messages) send(m);
    return;
  }
  for (const Message& m : out.messages) send(m);
  const ExchangeCallId id = next_id_++;
  calls_.emplace(key, Call{.id = id, .q931 = std::move(q931), .channel = *channel});
  by_id_.emplace(id, key);
  channel_owner_[*channel] = key;
  events_.push_back(IncomingSetup{.call = id,
                                  .channel = *channel,
                                  .called = to_party_number(setup.called_party_number),
                                  .calling = to_party_number(setup.calling_party_number)});
}

void NetworkSpan::send_global_status(CauseValue cause, std::uint8_t diagnostic) {
  Message status;
  status.call_reference = inverted(global_call_reference());
  status.type = MessageType::Status;
  status.cause = wire_cause(static_cast<std::uint8_t>(cause));
  if (diagnostic != 0) status.cause->diagnostics = {diagnostic};
  status.call_state =
      q931::CallState{.value = restarts_.empty() ? State::Null : State::RestartRequest};
  send(status);
}

void NetworkSpan::on_global_message(TimePoint now, const Message& m) {
  const q931::ValidationContext context{.direction = q931::Direction::UserToNetwork,
                                        .first_response_to_setup = false,
                                        .first_clearing_message = false};
  if (const auto problem = q931::validate(m, context);
      problem && problem->action == q931::ValidationAction::RejectMessage) {
    if (m.type == MessageType::Status) return;
    return send_global_status(problem->cause, problem->information_element);
  }
  switch (m.type) {
    case MessageType::Restart: {  // §5.5.2: the office restarts
      const auto channels = restarted_channels(m);
      if (!channels) {
        return send_global_status(CauseValue::IdentifiedChannelDoesNotExist,
                                  static_cast<std::uint8_t>(
                                      q931::InformationElementId::ChannelIdentification));
      }
      release_all(now, *channels,
                  {.value = gateway::cause::kTemporaryFailure,
                   .location = gateway::CauseLocation::PrivateLocal});
      Message ack = restart_message(MessageType::RestartAcknowledge, *channels);
      ack.call_reference = inverted(m.call_reference);
      send(ack);
      events_.push_back(SpanRestarted{.channels = *channels, .by_office = true});
      return;
    }
    case MessageType::RestartAcknowledge: {
      const auto channels = restarted_channels(m);
      if (!channels) return;
      const auto it = std::find_if(restarts_.begin(), restarts_.end(),
                                   [&](const PendingRestart& r) { return r.channels == *channels; });
      if (it == restarts_.end()) return;
      restarts_.erase(it);
      events_.push_back(SpanRestarted{.channels = *channels, .by_office = false});
      return;
    }
    default: return;
  }
}

void NetworkSpan::on_alarm(TimePoint now, gateway::Alarm alarm) {
  if (alarm == alarm_) return;
  const bool was_up = alarm_ == gateway::Alarm::None;
  alarm_ = alarm;
  if (alarm != gateway::Alarm::None && was_up) {
    restarts_.clear();
    release_all(now, {}, exchange_cause(gateway::cause::kNetworkOutOfOrder));
  }
  // Recovery: the office restarts the interface (docs/gateway.md); we answer its RESTART.
}

void NetworkSpan::on_deadline(TimePoint now) {
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
    send(restart_message(MessageType::Restart, r.channels));  // T316 (§5.5.1)
    r.deadline = now + config_.t316;
  }
}

}  // namespace resproxy::pri
