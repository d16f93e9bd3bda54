#include "model/faulty_node.h"

#include <string>
#include <utility>

#include "proxy/sip/builder.h"
#include "proxy/sip/message.h"

namespace resproxy::model {

FaultyNode::FaultyNode(std::unique_ptr<resproxy::Node> inner) : inner_(std::move(inner)) {}

std::optional<MediaSend> FaultyNode::on_media_packet(TimePoint now, const Address& local,
                                                     const Address& source, std::string_view bytes) {
  if (mode_ == Mode::Dead) {
    ++dropped_inputs_;
    return std::nullopt;
  }
  return inner_->on_media_packet(now, local, source, bytes);
}

void FaultyNode::on_datagram(TimePoint now, const Path& path, std::string_view bytes) {
  if (mode_ == Mode::Dead) {
    ++dropped_inputs_;
    return;
  }
  if (mode_ == Mode::Unavailable) {
    // from the wire: untrusted. Unparsable input goes to the inner node, which deals with it.
    auto message = sip::Message::parse(std::string(bytes));
    if (message && message->is_request() && message->method() != sip::Method::Ack) {
      ++answered_503_;
      own_.push_back(SendDatagram{
          path.local, path.remote,
          sip::make_response(*message, 503, "Service Unavailable",
                             "f503" + std::to_string(answered_503_),
                             {{"Retry-After", "30"}})});
      return;
    }
  }
  inner_->on_datagram(now, path, bytes);
}

void FaultyNode::on_stream_opened(TimePoint now, const Path& path) {
  inner_->on_stream_opened(now, path);
}

void FaultyNode::on_stream_data(TimePoint now, StreamId stream, std::string_view bytes) {
  if (mode_ == Mode::Dead) {
    ++dropped_inputs_;
    return;
  }
  inner_->on_stream_data(now, stream, bytes);
}

void FaultyNode::on_stream_closed(TimePoint now, StreamId stream, StreamCloseReason reason) {
  inner_->on_stream_closed(now, stream, reason);
}

void FaultyNode::on_deadline(TimePoint now) { inner_->on_deadline(now); }

void FaultyNode::on_completion(TimePoint now, const Completion& completion) {
  inner_->on_completion(now, completion);
}

// The operator's tools reach the node whatever its network does.
void FaultyNode::on_command(TimePoint now, const AdminCommand& command) {
  inner_->on_command(now, command);
}

std::optional<Effect> FaultyNode::next_effect() {
  if (!own_.empty()) {
    Effect effect = std::move(own_.front());
    own_.pop_front();
    return effect;
  }
  for (;;) {
    auto effect = inner_->next_effect();
    if (!effect) return std::nullopt;
    const bool sends = std::holds_alternative<SendDatagram>(*effect) ||
                       std::holds_alternative<WriteStream>(*effect);
    if (mode_ == Mode::Dead && sends) {
      ++dropped_outputs_;
      continue;
    }
    return effect;
  }
}

std::optional<TimePoint> FaultyNode::next_deadline() const { return inner_->next_deadline(); }

}  // namespace resproxy::model
