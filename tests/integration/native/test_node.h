#pragma once
// TestNode: a scriptable Node for the native runtime's integration tests. It records every
// input, optionally echoes datagrams and stream bytes, emits the effects a test queues, and
// exposes one settable deadline.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "proxy/base/node.h"

namespace resproxy::native::testing {

class TestNode final : public Node {
 public:
  struct Datagram {
    Path path;
    std::string bytes;
  };
  struct Closed {
    StreamId stream;
    StreamCloseReason reason;
  };

  // Behaviour.
  bool echo_datagrams = false;  // answer each datagram with the same bytes, same path reversed
  bool echo_streams = false;    // write stream bytes back on the same stream
  bool close_after_echo = false;
  bool refuse_streams = false;  // close every stream as soon as it is reported open

  void emit(Effect effect) { effects_.push_back(std::move(effect)); }
  void set_deadline(std::optional<TimePoint> deadline) { deadline_ = deadline; }

  // What the runtime fed it.
  std::vector<Datagram> datagrams;
  std::vector<Path> opened;
  std::map<std::uint64_t, std::string> stream_bytes;
  std::vector<Closed> closed;
  std::vector<TimePoint> deadlines_fired;
  std::optional<TimePoint> last_deadline_asked;  // the deadline in force when on_deadline ran
  bool time_went_backwards = false;
  bool deadline_called_early = false;
  std::size_t inputs = 0;
  struct StoreDone {
    std::uint64_t id;
    StoreOutcome outcome;
    TimePoint at;
  };
  std::vector<StoreDone> stores_done;

  // Node
  void on_datagram(TimePoint now, const Path& path, std::string_view bytes) override;
  void on_stream_opened(TimePoint now, const Path& path) override;
  void on_stream_data(TimePoint now, StreamId stream, std::string_view bytes) override;
  void on_stream_closed(TimePoint now, StreamId stream, StreamCloseReason reason) override;
  void on_deadline(TimePoint now) override;
  void on_completion(TimePoint now, const Completion& completion) override;
  void on_command(TimePoint now, const AdminCommand& command) override {
    saw(now);
    emit(CommandReply{command.id, admin::Unsupported{}});
  }
  void on_receive_delay(TimePoint, Duration delay) override { receive_delays.push_back(delay); }
  std::vector<Duration> receive_delays;  // one per batch of datagrams
  void on_interfaces(TimePoint, const std::vector<NetInterface>& list) override {
    interface_updates.push_back(list);
  }
  std::vector<std::vector<NetInterface>> interface_updates;
  void on_wall_clock(TimePoint, Duration since_unix_epoch) override {
    wall_clocks.push_back(since_unix_epoch);
  }
  std::vector<Duration> wall_clocks;
  [[nodiscard]] std::optional<Effect> next_effect() override;
  [[nodiscard]] std::optional<TimePoint> next_deadline() const override { return deadline_; }

 private:
  void saw(TimePoint now);

  std::deque<Effect> effects_;
  std::optional<TimePoint> deadline_;
  std::optional<TimePoint> last_now_;
};

// Runs `io` until `done()` or `timeout`, whichever comes first; true if done. Every wait in
// these tests goes through here: nothing sleeps, nothing waits unbounded.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds{5});
// Runs `io` for `duration` exactly (to show that something does NOT happen).
void run_for(boost::asio::io_context& io, std::chrono::milliseconds duration);

// Linux turns receive timestamps on for the whole stack lazily: the first socket asking for
// them (SO_TIMESTAMPNS) schedules the switch, and until it has run a datagram gets its stamp when
// it is read, not when it arrived (its wait looks like 0). Call after the sockets under test
// exist: waits (at most 3 s) until a datagram that waited 30 ms is stamped as such; false if the
// kernel never stamps on arrival.
[[nodiscard]] bool await_kernel_receive_timestamps();

}  // namespace resproxy::native::testing
