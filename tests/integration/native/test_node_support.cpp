#include "tests/integration/native/test_node.h"

#include <algorithm>

namespace resproxy::native::testing {

void TestNode::saw(TimePoint now) {
  ++inputs;
  if (last_now_ && now < *last_now_) time_went_backwards = true;
  last_now_ = now;
}

void TestNode::on_datagram(TimePoint now, const Path& path, std::string_view bytes) {
  saw(now);
  datagrams.push_back({path, std::string(bytes)});
  if (echo_datagrams) {
    emit(SendDatagram{.local = path.local, .remote = path.remote, .bytes = std::string(bytes)});
  }
}

void TestNode::on_stream_opened(TimePoint now, const Path& path) {
  saw(now);
  opened.push_back(path);
  if (refuse_streams) emit(CloseStream{.stream = path.stream});
}

void TestNode::on_stream_data(TimePoint now, StreamId stream, std::string_view bytes) {
  saw(now);
  stream_bytes[stream.value].append(bytes);
  if (echo_streams) emit(WriteStream{.stream = stream, .bytes = std::string(bytes)});
  if (close_after_echo) emit(CloseStream{.stream = stream});
}

void TestNode::on_stream_closed(TimePoint now, StreamId stream, StreamCloseReason reason) {
  saw(now);
  closed.push_back({stream, reason});
}

void TestNode::on_completion(TimePoint now, const Completion& completion) {
  saw(now);
  if (const auto* done = std::get_if<resproxy::StoreDone>(&completion)) {
    stores_done.push_back({done->id, done->outcome, now});
  }
}

void TestNode::on_deadline(TimePoint now) {
  saw(now);
  last_deadline_asked = deadline_;
  if (!deadline_ || now < *deadline_) deadline_called_early = true;
  deadlines_fired.push_back(now);
  deadline_.reset();
}

std::optional<Effect> TestNode::next_effect() {
  if (effects_.empty()) return std::nullopt;
  Effect effect = std::move(effects_.front());
  effects_.pop_front();
  return effect;
}

bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return false;
    io.restart();
    io.run_one_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds{10}));
  }
  return true;
}

void run_for(boost::asio::io_context& io, std::chrono::milliseconds duration) {
  io.restart();
  io.run_for(duration);
}

}  // namespace resproxy::native::testing
