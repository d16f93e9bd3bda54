#pragma once
// RelayNode: the media relay daemon's core (resproxy-media), a Node (base/node.h) around
// NgServer (ng_server.h), so that the native runtime that hosts resproxy hosts the relay too —
// the same sockets, recvmmsg/sendmmsg data path, DSCP marking and timers — and ns-3 can host it
// the same way. Control datagrams arrive on the node's listening UDP socket (rtpengine's
// --listen-ng) and are answered from it; media arrives on the ports NgServer asks for
// (OpenMediaPort / CloseMediaPort). Streams are not used (ng is UDP): a stream input is ignored.
//
// Time: every input first runs the timers due at its `now` (base/node.h). The wall clock comes
// from on_wall_clock (the native runtime reports it at start and on every step); until then the
// node counts the core's clock as the wall clock, so signed requests are refused as outside their
// window rather than accepted under a wrong clock.
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string_view>

#include "proxy/base/node.h"
#include "proxy/media/ng/ng_server.h"

namespace resproxy::media::ng {

class RelayNode final : public Node {
 public:
  RelayNode(NgServerConfig config, const Crypto& crypto, Rng& rng);

  void on_datagram(TimePoint now, const Path& path, std::string_view bytes) override;
  void on_stream_opened(TimePoint now, const Path& path) override;
  void on_stream_data(TimePoint now, StreamId stream, std::string_view bytes) override;
  void on_stream_closed(TimePoint now, StreamId stream, StreamCloseReason reason) override;
  void on_deadline(TimePoint now) override;
  void on_completion(TimePoint now, const Completion& completion) override;
  // `show counters`: the server's and the relay's counters; anything else: Unsupported.
  void on_command(TimePoint now, const AdminCommand& command) override;
  void on_wall_clock(TimePoint now, Duration since_unix_epoch) override;
  [[nodiscard]] std::optional<MediaSend> on_media_packet(TimePoint now, const Address& local,
                                                         const Address& source,
                                                         std::string_view bytes) override;
  void prefetch_media(const Address& local) const override { server_.sessions().prefetch(local); }
  [[nodiscard]] std::optional<Effect> next_effect() override;
  [[nodiscard]] std::optional<TimePoint> next_deadline() const override { return server_.next_deadline(); }

  [[nodiscard]] const NgServer& server() const { return server_; }
  // Told of every port the runtime could not bind (its call was removed): the daemon logs it.
  using PortFailureLog = std::function<void(const Address& local, std::string_view error)>;
  void set_port_failure_log(PortFailureLog log) { port_failure_log_ = std::move(log); }

 private:
  void enter(TimePoint now);  // now never goes back; due timers first
  void drain_ports();
  [[nodiscard]] Duration wall(TimePoint now) const { return now.time_since_epoch() + wall_offset_; }

  NgServer server_;
  std::deque<Effect> effects_;
  Duration wall_offset_{};  // wall clock minus core clock
  TimePoint last_now_{};
  PortFailureLog port_failure_log_;
};

}  // namespace resproxy::media::ng
