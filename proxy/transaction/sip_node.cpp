#include "proxy/transaction/sip_node.h"

#include <algorithm>

#include "proxy/base/check.h"
#include "proxy/sip/builder.h"

namespace resproxy::transaction {

SipNode::SipNode(SipNodeConfig config, Rng& rng, TraceSink& trace)
    : rng_(rng),
      trace_(trace),
      transport_(config.transport, effects_, heap_, rng, trace),
      transactions_(config.timers, transport_, heap_, rng, trace) {
  transport_.set_callbacks(
      {.on_message = [this](TimePoint now, sip::Message message,
                            const Path& path) { transactions_.on_message(now, std::move(message), path); },
       .on_stream_failed = [this](TimePoint now,
                                  StreamId stream) { transactions_.on_stream_failed(now, stream); }});
  transactions_.set_user(this);
}

void SipNode::enter(TimePoint now) {
  RESPROXY_CHECK(now >= last_input_);
  last_input_ = now;
  heap_.fire_due(now);
}

void SipNode::on_datagram(TimePoint now, const Path& path, std::string_view bytes) {
  enter(now);
  if (handle_foreign_datagram(now, path, bytes)) return;
  if (!admits(now, path, bytes.size())) return;
  transport_.on_datagram(now, path, bytes);
}

void SipNode::on_stream_opened(TimePoint now, const Path& path) {
  enter(now);
  if (!admits(now, path, 0)) {
    refused_streams_.push_back(path.stream.value);
    effects_.emplace_back(CloseStream{path.stream});
    return;
  }
  transport_.on_stream_opened(now, path);
}

void SipNode::on_stream_data(TimePoint now, StreamId stream, std::string_view bytes) {
  enter(now);
  if (!refused_streams_.empty() &&
      std::find(refused_streams_.begin(), refused_streams_.end(), stream.value) !=
          refused_streams_.end()) {
    return;
  }
  transport_.on_stream_data(now, stream, bytes);
}

void SipNode::on_stream_closed(TimePoint now, StreamId stream, StreamCloseReason reason) {
  enter(now);
  const auto refused = std::find(refused_streams_.begin(), refused_streams_.end(), stream.value);
  if (refused != refused_streams_.end()) {
    refused_streams_.erase(refused);
    return;
  }
  transport_.on_stream_closed(now, stream, reason);
}

void SipNode::on_deadline(TimePoint now) { enter(now); }

void SipNode::on_completion(TimePoint now, const Completion& completion) {
  enter(now);
  handle_completion(now, completion);
}

void SipNode::on_command(TimePoint now, const AdminCommand& command) {
  enter(now);
  handle_command(now, command);
}

void SipNode::reply(std::uint64_t command, admin::Result result) {
  Effect& effect = effects_.emplace_back(std::in_place_type<CommandReply>);
  auto& reply = std::get<CommandReply>(effect);
  reply.id = command;
  reply.result = std::move(result);
}

void SipNode::handle_command(TimePoint, const AdminCommand& command) {
  reply(command.id, admin::Unsupported{});
}

void SipNode::on_receive_delay(TimePoint now, Duration delay) {
  enter(now);
  handle_receive_delay(now, delay);
}

void SipNode::on_interfaces(TimePoint now, const std::vector<NetInterface>& interfaces) {
  enter(now);
  handle_interfaces(now, interfaces);
}

void SipNode::on_wall_clock(TimePoint now, Duration since_unix_epoch) {
  enter(now);
  handle_wall_clock(now, since_unix_epoch);
}

std::optional<MediaSend> SipNode::on_media_packet(TimePoint now, const Address& local,
                                                  const Address& source, std::string_view bytes) {
  enter(now);
  return handle_media_packet(now, local, source, bytes);
}

std::optional<Effect> SipNode::next_effect() {
  if (effects_.empty()) return std::nullopt;
  Effect effect = std::move(effects_.front());
  effects_.pop_front();
  return effect;
}

std::optional<TimePoint> SipNode::next_deadline() const { return heap_.next_deadline(); }

void SipNode::on_request(TimePoint now, ServerTransactionId id, const sip::Message& request,
                         const Path&) {
  // A node that serves nothing answers every request 501 (RFC 3261 §8.2.1 for a UAS).
  transactions_.send_response(now, id, 501,
                              sip::make_response(request, 501, "Not Implemented", rng_.token(10)));
}

std::string SipNode::via_for(Transport transport, std::string_view branch,
                             std::string_view host) const {
  std::string via = "SIP/2.0/";
  via += to_string(transport);
  via += ' ';
  const Address local = transport_.local_for(transport);
  via += host.empty() ? local.to_string() : Address{std::string(host), local.port}.to_string();
  via += ";branch=";
  via += branch;
  via += ";rport";
  return via;
}

}  // namespace resproxy::transaction
