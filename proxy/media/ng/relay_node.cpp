// RelayNode (relay_node.h): NgServer as a Node.
#include "proxy/media/ng/relay_node.h"

#include <utility>
#include <variant>

#include "proxy/base/check.h"

namespace resproxy::media::ng {

RelayNode::RelayNode(NgServerConfig config, const Crypto& crypto, Rng& rng)
    : server_(std::move(config), crypto, rng) {}

void RelayNode::enter(TimePoint now) {
  RESPROXY_CHECK(now >= last_now_);  // a runtime bug: time went backwards
  last_now_ = now;
  const auto due = server_.next_deadline();
  if (due && *due <= now) {
    server_.on_deadline(now);
    drain_ports();
  }
}

void RelayNode::drain_ports() {
  for (auto& change : server_.take_port_changes()) {
    if (change.open) {
      effects_.emplace_back(OpenMediaPort{std::move(change.local), server_.config().dscp});
    } else {
      effects_.emplace_back(CloseMediaPort{std::move(change.local)});
    }
  }
}

void RelayNode::on_datagram(TimePoint now, const Path& path, std::string_view bytes) {
  enter(now);
  auto reply = server_.on_control(now, wall(now), path.remote, bytes);
  // Ports first: a client may send media the moment it reads the reply.
  drain_ports();
  if (reply) effects_.emplace_back(SendDatagram{path.local, path.remote, std::move(*reply)});
}

void RelayNode::on_stream_opened(TimePoint now, const Path& path) {
  enter(now);
  (void)path;
}

void RelayNode::on_stream_data(TimePoint now, StreamId stream, std::string_view bytes) {
  enter(now);
  (void)stream;
  (void)bytes;
}

void RelayNode::on_stream_closed(TimePoint now, StreamId stream, StreamCloseReason reason) {
  enter(now);
  (void)stream;
  (void)reason;
}

void RelayNode::on_deadline(TimePoint now) { enter(now); }

void RelayNode::on_completion(TimePoint now, const Completion& completion) {
  enter(now);
  if (const auto* failed = std::get_if<MediaPortFailed>(&completion)) {
    if (port_failure_log_) port_failure_log_(failed->local, failed->error);
    server_.on_port_failed(now, failed->local);
    drain_ports();
  }
}

void RelayNode::on_command(TimePoint now, const AdminCommand& command) {
  enter(now);
  if (!std::holds_alternative<admin::ShowCounters>(command.request)) {
    effects_.emplace_back(CommandReply{command.id, admin::Unsupported{}});
    return;
  }
  const auto& c = server_.counters();
  const auto& r = server_.sessions().counters();
  using K = admin::CounterKind;
  admin::Counters out;
  const auto add = [&out](std::string_view name, std::string_view help, K kind, std::uint64_t value) {
    out.values.push_back(admin::CounterValue{name, help, kind, value});
  };
  add("ng_datagrams", "control datagrams received", K::Counter, c.datagrams);
  add("ng_retransmissions", "control requests answered from the reply cache", K::Counter, c.retransmissions);
  add("ng_refused_untrusted", "plain ng from an untrusted source, refused", K::Counter, c.refused_untrusted);
  add("ng_refused_auth", "signed ng that failed verification, refused", K::Counter, c.refused_auth);
  add("ng_malformed", "control datagrams that were not a valid request", K::Counter, c.malformed);
  add("ng_errors", "error replies to admitted requests", K::Counter, c.errors);
  add("ng_offers", "offer commands", K::Counter, c.offers);
  add("ng_answers", "answer commands", K::Counter, c.answers);
  add("ng_deletes", "delete commands", K::Counter, c.deletes);
  add("relay_calls", "calls held", K::Gauge, server_.calls());
  add("relay_calls_timed_out", "calls ended by the inactivity or hold timeout", K::Counter, c.calls_timed_out);
  add("relay_packets_forwarded", "media packets forwarded", K::Counter, r.forwarded);
  std::uint64_t dropped = 0;
  for (const auto d : r.dropped) dropped += d;
  add("relay_packets_dropped", "media packets dropped (foreign source, malformed, no session)", K::Counter, dropped);
  add("relay_pool_exhausted", "offers refused: no free port pair", K::Counter, r.pool_exhausted);
  effects_.emplace_back(CommandReply{command.id, std::move(out)});
}

void RelayNode::on_wall_clock(TimePoint now, Duration since_unix_epoch) {
  enter(now);
  wall_offset_ = since_unix_epoch - now.time_since_epoch();
}

std::optional<MediaSend> RelayNode::on_media_packet(TimePoint now, const Address& local,
                                                    const Address& source, std::string_view bytes) {
  enter(now);
  return server_.on_packet(now, local, source, bytes);
}

std::optional<Effect> RelayNode::next_effect() {
  if (effects_.empty()) return std::nullopt;
  Effect e = std::move(effects_.front());
  effects_.pop_front();
  return e;
}

}  // namespace resproxy::media::ng
