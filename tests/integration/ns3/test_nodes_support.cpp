#include "tests/integration/ns3/test_nodes.h"

#include <charconv>

namespace resproxy::model::test_nodes {

namespace {
// "<word> <seq> <token>" → seq and token; false on anything else.
bool parse_message(std::string_view bytes, std::string_view word, int& seq, std::string& token) {
  if (bytes.substr(0, word.size() + 1) != std::string(word) + " ") return false;
  bytes.remove_prefix(word.size() + 1);
  const auto space = bytes.find(' ');
  if (space == std::string_view::npos) return false;
  auto [end, ec] = std::from_chars(bytes.data(), bytes.data() + space, seq);
  if (ec != std::errc{} || end != bytes.data() + space) return false;
  token = std::string(bytes.substr(space + 1));
  return true;
}
}  // namespace

std::optional<resproxy::Effect> TestNodeBase::next_effect() {
  if (effects_.empty()) return std::nullopt;
  resproxy::Effect effect = std::move(effects_.front());
  effects_.pop_front();
  return effect;
}

// --- PingNode ---

PingNode::PingNode(PingConfig config, resproxy::Rng& rng, resproxy::TraceSink& trace)
    : TestNodeBase(trace), config_(std::move(config)), rng_(rng) {}

std::optional<resproxy::TimePoint> PingNode::next_deadline() const {
  if (sent_ >= config_.count) return std::nullopt;
  return config_.first_send + sent_ * config_.interval;
}

void PingNode::on_deadline(resproxy::TimePoint now) {
  while (sent_ < config_.count && config_.first_send + sent_ * config_.interval <= now) {
    const int seq = sent_++;
    std::string token = rng_.token(8);
    emit(resproxy::TraceEvent{now, "ping.sent", {}}.with("seq", std::to_string(seq)).with("token", token));
    effects_.push_back(resproxy::SendDatagram{config_.local, config_.peer,
                                              "ping " + std::to_string(seq) + " " + token});
    tokens_.emplace(seq, std::move(token));
    send_times_.push_back(now);
  }
}

void PingNode::on_datagram(resproxy::TimePoint now, const resproxy::Path& path,
                           std::string_view bytes) {
  int seq = 0;
  std::string token;
  auto it = parse_message(bytes, "pong", seq, token) ? tokens_.find(seq) : tokens_.end();
  if (it == tokens_.end() || it->second != token || answered_.contains(seq)) {
    ++bad_pongs_;
    emit(resproxy::TraceEvent{now, "ping.bad_pong", {}}.with("bytes", std::string(bytes)));
    return;
  }
  answered_.insert(seq);
  pong_paths_.push_back(path);
  emit(resproxy::TraceEvent{now, "ping.pong_received", {}}
           .with("seq", std::to_string(seq))
           .with("from", path.remote.to_string())
           .with("rtt_ns", std::to_string((now - send_times_.at(static_cast<std::size_t>(seq))).count())));
}

// --- EchoNode ---

void EchoNode::on_datagram(resproxy::TimePoint now, const resproxy::Path& path,
                           std::string_view bytes) {
  datagram_paths_.push_back(path);
  emit(resproxy::TraceEvent{now, "echo.datagram_received", {}}
           .with("from", path.remote.to_string())
           .with("to", path.local.to_string())
           .with("bytes", std::string(bytes)));
  if (bytes.substr(0, 5) != "ping ") return;
  effects_.push_back(resproxy::SendDatagram{path.local, path.remote, "pong " + std::string(bytes.substr(5))});
}

void EchoNode::on_stream_opened(resproxy::TimePoint now, const resproxy::Path& path) {
  opened_.push_back(path);
  emit(resproxy::TraceEvent{now, "echo.stream_opened", {}}
           .with("stream", std::to_string(path.stream.value))
           .with("from", path.remote.to_string())
           .with("to", path.local.to_string()));
}

void EchoNode::on_stream_data(resproxy::TimePoint now, resproxy::StreamId stream,
                              std::string_view bytes) {
  stream_bytes_ += bytes.size();
  emit(resproxy::TraceEvent{now, "echo.stream_data", {}}
           .with("stream", std::to_string(stream.value))
           .with("size", std::to_string(bytes.size())));
  effects_.push_back(resproxy::WriteStream{stream, std::string(bytes)});
}

void EchoNode::on_stream_closed(resproxy::TimePoint now, resproxy::StreamId stream,
                                resproxy::StreamCloseReason reason) {
  closed_[stream.value] = reason;
  emit(resproxy::TraceEvent{now, "echo.stream_closed", {}}
           .with("stream", std::to_string(stream.value))
           .with("reason", std::string(resproxy::to_string(reason))));
}

// --- StreamClientNode ---

StreamClientNode::StreamClientNode(StreamClientConfig config, resproxy::Rng& rng,
                                   resproxy::TraceSink& trace)
    : TestNodeBase(trace), config_(std::move(config)), rng_(rng) {}

std::optional<resproxy::TimePoint> StreamClientNode::next_deadline() const {
  if (started_) return std::nullopt;
  return config_.start;
}

void StreamClientNode::on_deadline(resproxy::TimePoint now) {
  if (started_ || now < config_.start) return;
  started_ = true;
  payload_ = rng_.token(config_.total_bytes);
  emit(resproxy::TraceEvent{now, "client.stream_opening", {}}.with("to", config_.remote.to_string()));
  effects_.push_back(resproxy::OpenStream{kStream, config_.local, config_.remote, config_.transport});
  // Written before the connection is up: the runtime must queue it.
  effects_.push_back(resproxy::WriteStream{kStream, payload_});
}

void StreamClientNode::on_stream_opened(resproxy::TimePoint now, const resproxy::Path& path) {
  opened_path_ = path;
  emit(resproxy::TraceEvent{now, "client.stream_opened", {}}
           .with("local", path.local.to_string())
           .with("remote", path.remote.to_string()));
}

void StreamClientNode::on_stream_data(resproxy::TimePoint now, resproxy::StreamId stream,
                                      std::string_view bytes) {
  if (stream != kStream) return;
  if (payload_.compare(echoed_, bytes.size(), bytes) != 0) echo_matches_ = false;
  echoed_ += bytes.size();
  if (echoed_ >= payload_.size() && !done_at_) {
    done_at_ = now;
    emit(resproxy::TraceEvent{now, "client.echo_complete", {}}.with("bytes", std::to_string(echoed_)));
    effects_.push_back(resproxy::CloseStream{kStream});
  }
}

void StreamClientNode::on_stream_closed(resproxy::TimePoint now, resproxy::StreamId stream,
                                        resproxy::StreamCloseReason reason) {
  if (stream != kStream) return;
  close_reason_ = reason;
  closed_at_ = now;
  emit(resproxy::TraceEvent{now, "client.stream_closed", {}}
           .with("reason", std::string(resproxy::to_string(reason))));
}

// --- DeadlineNode ---

std::optional<resproxy::TimePoint> DeadlineNode::next_deadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return *deadlines_.begin();
}

void DeadlineNode::on_deadline(resproxy::TimePoint now) {
  fired_at_.push_back(now);
  emit(resproxy::TraceEvent{now, "deadline.fired", {}});
  while (!deadlines_.empty() && *deadlines_.begin() <= now) deadlines_.erase(deadlines_.begin());
}

}  // namespace resproxy::model::test_nodes
