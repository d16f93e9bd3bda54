#pragma once
// Small core Nodes for the ns-3 runtime tests. They know nothing about ns-3: they take `now`,
// return effects and expose one deadline, exactly like the real core.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "proxy/base/net.h"
#include "proxy/base/node.h"
#include "proxy/base/rng.h"
#include "proxy/base/time.h"
#include "proxy/base/trace.h"

namespace resproxy::model::test_nodes {

// Shared effect queue and trace helper.
class TestNodeBase : public resproxy::Node {
 public:
  explicit TestNodeBase(resproxy::TraceSink& trace) : trace_(trace) {}
  std::optional<resproxy::Effect> next_effect() override;

  void on_datagram(resproxy::TimePoint, const resproxy::Path&, std::string_view) override {}
  void on_stream_opened(resproxy::TimePoint, const resproxy::Path&) override {}
  void on_stream_data(resproxy::TimePoint, resproxy::StreamId, std::string_view) override {}
  void on_stream_closed(resproxy::TimePoint, resproxy::StreamId,
                        resproxy::StreamCloseReason) override {}
  void on_deadline(resproxy::TimePoint) override {}
  void on_command(resproxy::TimePoint, const resproxy::AdminCommand& command) override {
    effects_.emplace_back(resproxy::CommandReply{command.id, resproxy::admin::Unsupported{}});
  }
  std::optional<resproxy::TimePoint> next_deadline() const override { return std::nullopt; }

 protected:
  void emit(resproxy::TraceEvent event) { trace_.emit(event); }
  std::deque<resproxy::Effect> effects_;
  resproxy::TraceSink& trace_;
};

// Sends "ping <seq> <token>" every `interval` from `first_send` on, `count` times; the token is
// drawn from the Rng. Expects "pong <seq> <token>" back.
struct PingConfig {
  resproxy::Address local;
  resproxy::Address peer;
  resproxy::TimePoint first_send{};
  resproxy::Duration interval = std::chrono::milliseconds(100);
  int count = 10;
};

class PingNode final : public TestNodeBase {
 public:
  PingNode(PingConfig config, resproxy::Rng& rng, resproxy::TraceSink& trace);
  void on_datagram(resproxy::TimePoint now, const resproxy::Path& path,
                   std::string_view bytes) override;
  void on_deadline(resproxy::TimePoint now) override;
  std::optional<resproxy::TimePoint> next_deadline() const override;

  int sent() const { return sent_; }
  const std::vector<resproxy::TimePoint>& send_times() const { return send_times_; }
  const std::set<int>& answered() const { return answered_; }  // seqs with a matching pong
  const std::vector<resproxy::Path>& pong_paths() const { return pong_paths_; }
  int bad_pongs() const { return bad_pongs_; }

 private:
  PingConfig config_;
  resproxy::Rng& rng_;
  int sent_ = 0;
  std::map<int, std::string> tokens_;
  std::vector<resproxy::TimePoint> send_times_;
  std::set<int> answered_;
  std::vector<resproxy::Path> pong_paths_;
  int bad_pongs_ = 0;
};

// Answers "ping X" with "pong X" to the sender (from the address it arrived on), and echoes every
// stream byte back on the same stream.
class EchoNode final : public TestNodeBase {
 public:
  explicit EchoNode(resproxy::TraceSink& trace) : TestNodeBase(trace) {}
  void on_datagram(resproxy::TimePoint now, const resproxy::Path& path,
                   std::string_view bytes) override;
  void on_stream_opened(resproxy::TimePoint now, const resproxy::Path& path) override;
  void on_stream_data(resproxy::TimePoint now, resproxy::StreamId stream,
                      std::string_view bytes) override;
  void on_stream_closed(resproxy::TimePoint now, resproxy::StreamId stream,
                        resproxy::StreamCloseReason reason) override;

  const std::vector<resproxy::Path>& datagram_paths() const { return datagram_paths_; }
  const std::vector<resproxy::Path>& opened() const { return opened_; }
  const std::map<std::uint64_t, resproxy::StreamCloseReason>& closed() const { return closed_; }
  std::uint64_t stream_bytes() const { return stream_bytes_; }

 private:
  std::vector<resproxy::Path> datagram_paths_;
  std::vector<resproxy::Path> opened_;
  std::map<std::uint64_t, resproxy::StreamCloseReason> closed_;
  std::uint64_t stream_bytes_ = 0;
};

// At `start`, opens one TCP stream to `remote`, writes `total_bytes` of Rng-drawn text at once
// (more than the TCP send buffer, so the runtime must queue), checks that the echo matches byte
// for byte, then closes the stream.
struct StreamClientConfig {
  resproxy::Address local;
  resproxy::Address remote;
  resproxy::TimePoint start{};
  std::size_t total_bytes = 1000;
  resproxy::Transport transport = resproxy::Transport::Tcp;
};

class StreamClientNode final : public TestNodeBase {
 public:
  static constexpr resproxy::StreamId kStream{resproxy::kOutboundStreamBit | 1};

  StreamClientNode(StreamClientConfig config, resproxy::Rng& rng, resproxy::TraceSink& trace);
  void on_stream_opened(resproxy::TimePoint now, const resproxy::Path& path) override;
  void on_stream_data(resproxy::TimePoint now, resproxy::StreamId stream,
                      std::string_view bytes) override;
  void on_stream_closed(resproxy::TimePoint now, resproxy::StreamId stream,
                        resproxy::StreamCloseReason reason) override;
  void on_deadline(resproxy::TimePoint now) override;
  std::optional<resproxy::TimePoint> next_deadline() const override;

  const std::optional<resproxy::Path>& opened_path() const { return opened_path_; }
  std::optional<resproxy::StreamCloseReason> close_reason() const { return close_reason_; }
  std::optional<resproxy::TimePoint> closed_at() const { return closed_at_; }
  std::size_t echoed() const { return echoed_; }
  bool echo_matches() const { return echo_matches_; }
  std::optional<resproxy::TimePoint> done_at() const { return done_at_; }

 private:
  StreamClientConfig config_;
  resproxy::Rng& rng_;
  bool started_ = false;
  std::string payload_;
  std::size_t echoed_ = 0;
  bool echo_matches_ = true;
  std::optional<resproxy::Path> opened_path_;
  std::optional<resproxy::StreamCloseReason> close_reason_;
  std::optional<resproxy::TimePoint> closed_at_;
  std::optional<resproxy::TimePoint> done_at_;
};

// Fires the deadlines it is given, recording the `now` of each on_deadline call.
class DeadlineNode final : public TestNodeBase {
 public:
  DeadlineNode(std::set<resproxy::TimePoint> deadlines, resproxy::TraceSink& trace)
      : TestNodeBase(trace), deadlines_(std::move(deadlines)) {}
  void on_deadline(resproxy::TimePoint now) override;
  std::optional<resproxy::TimePoint> next_deadline() const override;

  void add(resproxy::TimePoint at) { deadlines_.insert(at); }
  void remove(resproxy::TimePoint at) { deadlines_.erase(at); }
  const std::vector<resproxy::TimePoint>& fired_at() const { return fired_at_; }

 private:
  std::set<resproxy::TimePoint> deadlines_;
  std::vector<resproxy::TimePoint> fired_at_;
};

}  // namespace resproxy::model::test_nodes
