#pragma once
// FaultyNode: a Node decorator (STYLE.md §3: a driver-side wrapper, the core stays untouched)
// with which a scenario breaks the *process* inside a SipNodeApplication while its links stay
// up — the ITSP's application failures of issue #5:
//   * Dead: the process hangs. Received datagrams and stream bytes are dropped, and whatever the
//     inner node sends meanwhile is dropped too; timers and connection events still reach it (a
//     runtime must keep feeding deadlines, or it would spin on an overdue one).
//   * Unavailable: every request but ACK that arrives as a datagram is answered 503 Service
//     Unavailable statelessly (Retry-After optional) and never reaches the inner node; responses,
//     ACKs and stream traffic pass, so calls already up end normally.
// Healthy passes everything through.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

#include "proxy/base/node.h"

namespace resproxy::model {

class FaultyNode final : public resproxy::Node {
 public:
  enum class Mode : std::uint8_t { Healthy, Dead, Unavailable };

  explicit FaultyNode(std::unique_ptr<resproxy::Node> inner);

  void set_mode(Mode mode) { mode_ = mode; }
  [[nodiscard]] Mode mode() const { return mode_; }
  [[nodiscard]] resproxy::Node& inner() { return *inner_; }
  [[nodiscard]] std::uint64_t dropped_inputs() const { return dropped_inputs_; }
  [[nodiscard]] std::uint64_t dropped_outputs() const { return dropped_outputs_; }
  [[nodiscard]] std::uint64_t answered_503() const { return answered_503_; }

  // Node
  void on_datagram(TimePoint now, const Path& path, std::string_view bytes) override;
  void on_stream_opened(TimePoint now, const Path& path) override;
  void on_stream_data(TimePoint now, StreamId stream, std::string_view bytes) override;
  void on_stream_closed(TimePoint now, StreamId stream, StreamCloseReason reason) override;
  void on_deadline(TimePoint now) override;
  void on_completion(TimePoint now, const Completion& completion) override;
  void on_command(TimePoint now, const AdminCommand& command) override;
  // The relay's data path: dropped while Dead (a dead process forwards nothing); an unavailable
  // process still relays the media of its calls.
  [[nodiscard]] std::optional<MediaSend> on_media_packet(TimePoint now, const Address& local,
                                                         const Address& source,
                                                         std::string_view bytes) override;
  [[nodiscard]] std::optional<Effect> next_effect() override;
  [[nodiscard]] std::optional<TimePoint> next_deadline() const override;

 private:
  std::unique_ptr<resproxy::Node> inner_;
  Mode mode_ = Mode::Healthy;
  std::deque<Effect> own_;  // our stateless 503s, sent before the inner node's effects
  std::uint64_t dropped_inputs_ = 0;
  std::uint64_t dropped_outputs_ = 0;
  std::uint64_t answered_503_ = 0;
};

}  // namespace resproxy::model
