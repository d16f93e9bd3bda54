#include "proxy/transport/transport_layer.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "proxy/sip/builder.h"
#include "proxy/transport/via_stamp.h"

namespace resproxy::transport {

namespace {

// Sources whose TLS handshake budget is tracked at once (memory bound).
constexpr std::size_t kMaxHandshakeSources = 4096;

// Bytes that are nothing but CR/LF: UDP keep-alives (RFC 5626 §4.4.1 lets clients send them).
bool is_only_crlf(std::string_view bytes) {
  for (const char c : bytes) {
    if (c != '\r' && c != '\n') return false;
  }
  return true;
}

// A response starts with "SIP/"; anything else that parses is treated as a request attempt.
bool looks_like_response(std::string_view bytes) {
  const auto first = bytes.find_first_not_of("\r\n");
  return first != std::string_view::npos && bytes.substr(first).starts_with("SIP/");
}

}  // namespace

TransportLayer::TransportLayer(TransportConfig config, std::deque<Effect>& effects, TimerHeap& heap,
                               Rng& rng, TraceSink& trace)
    : config_(std::move(config)), effects_(effects), rng_(rng), trace_(trace), heap_(heap) {}

void TransportLayer::emit(TraceEvent event) {
  if (trace_.enabled()) trace_.emit(event);
}

void TransportLayer::on_datagram(TimePoint now, const Path& path, std::string_view bytes) {
  if (is_only_crlf(bytes)) return;  // keep-alive: nothing to answer over UDP
  if (bytes.size() > config_.max_message_size) {
    ++counters_.parse_errors;
    reject_unparsable(now, bytes, sip::ParseError::MessageTooLarge, path);
    return;
  }
  deliver(now, bytes, sip::Framing::Datagram, path);
}

void TransportLayer::deliver(TimePoint now, std::string_view bytes, sip::Framing framing,
                             const Path& path) {
  auto parsed = sip::Message::parse(std::string(bytes), framing);
  if (!parsed) {
    ++counters_.parse_errors;
    reject_unparsable(now, bytes, parsed.error(), path);
    return;
  }
  if (parsed->is_request()) {
    // §18.2.1 / RFC 3581: stamp received and rport before anyone sees the request (in place:
    // the message is not parsed a second time).
    stamp_top_via(*parsed, path.remote);
  }
  ++counters_.messages_in;
  if (callbacks_.on_message) callbacks_.on_message(now, std::move(parsed).value(), path);
}

void TransportLayer::reject_unparsable(TimePoint now, std::string_view bytes,
                                       sip::ParseError error, const Path& path) {
  // RFC 3261 §16.3/§18: a malformed request gets the error response if one can be built;
  // a malformed response is silently discarded.
  if (!looks_like_response(bytes)) {
    const int status = sip::to_sip_status(error);
    auto response = sip::make_stateless_error_response(bytes, status, sip::default_reason(status),
                                                       rng_.token(10));
    if (response) {
      ++counters_.error_responses;
      emit(TraceEvent{now, "transport.rejected_unparsable", {}}
               .with("error", std::string(sip::to_string(error)))
               .with("status", std::to_string(status))
               .with("from", path.remote.to_string()));
      send(now, Destination{path.transport, path.remote, path.stream}, std::move(*response));
      return;
    }
  }
  ++counters_.dropped;
  emit(TraceEvent{now, "transport.dropped_unparsable", {}}
           .with("error", std::string(sip::to_string(error)))
           .with("from", path.remote.to_string()));
}

void TransportLayer::on_stream_opened(TimePoint now, const Path& path) {
  auto it = streams_.find(path.stream);
  if (it == streams_.end()) {
    // Inbound: within the caps, or accepted and closed at once.
    const bool exempt = callbacks_.exempt && callbacks_.exempt(path);
    const std::string group = group_of(path.remote);
    const auto source = per_source_.find(group);
    const std::size_t from_source = source == per_source_.end() ? 0 : source->second;
    const bool over_total = config_.max_streams > 0 && inbound_ >= config_.max_streams;
    const bool over_source = !exempt && config_.max_streams_per_source > 0 &&
                             from_source >= config_.max_streams_per_source;
    // TLS: the runtime reports the connection before its handshake and starts the handshake
    // only if it is still open once this input's effects are done.
    const bool over_handshakes = !over_total && !over_source &&
                                 path.transport == Transport::Tls && !exempt &&
                                 !may_handshake(now, group);
    if (over_total || over_source || over_handshakes) {
      ++counters_.streams_refused;
      if (over_handshakes) ++counters_.tls_handshakes_refused;
      effects_.emplace_back(CloseStream{path.stream});
      if (trace_.wants("transport.stream_refused")) {
        emit(TraceEvent{now, "transport.stream_refused", {}}
                 .with("remote", path.remote.to_string())
                 .with("why", over_total     ? "max_streams"
                              : over_source  ? "max_streams_per_source"
                                             : "tls_handshake_rate"));
      }
      return;
    }
    Stream stream{path, StreamFramer(config_.max_message_size), true, true, now, now};
    streams_.emplace(path.stream, std::move(stream));
    ++inbound_;
    ++per_source_[group];
    arm_sweep(now);
  } else {
    it->second.connected = true;
    it->second.path.local = path.local;
  }
  ++counters_.streams_opened;
  emit(TraceEvent{now, "transport.stream_opened", {}}
           .with("stream", std::to_string(path.stream.value))
           .with("remote", path.remote.to_string()));
}

void TransportLayer::on_stream_data(TimePoint now, StreamId id, std::string_view bytes) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;  // data racing our own close: nothing to do
  it->second.last_activity = now;
  if (!it->second.waiting_since && it->second.inbound) it->second.waiting_since = now;
  it->second.framer.append(bytes);
  while (true) {
    it = streams_.find(id);  // a callback may have closed the stream
    if (it == streams_.end()) return;
    auto frame = it->second.framer.next();
    if (!frame) {
      // Only a part of the next message (or nothing) is here: the header timeout runs from now
      // on, or keeps running if the part began earlier.
      if (it->second.framer.buffered() == 0) it->second.waiting_since.reset();
      return;
    }
    if (frame->kind == FrameKind::Message && it->second.framer.buffered() == 0) {
      it->second.waiting_since.reset();
    }
    switch (frame->kind) {
      case FrameKind::Message:
        deliver(now, frame->bytes, sip::Framing::Stream, it->second.path);
        break;
      case FrameKind::Ping:
        ++counters_.keepalive_pings;
        effects_.emplace_back(WriteStream{id, "\r\n"});  // RFC 5626 §3.5.1 pong
        break;
      case FrameKind::Pong:
        emit(TraceEvent{now, "transport.keepalive_pong", {}}.with("stream",
                                                                  std::to_string(id.value)));
        break;
      case FrameKind::Error:
        // Framing is lost for good on this connection (RFC 3261 §18.3): close it.
        ++counters_.framing_errors;
        emit(TraceEvent{now, "transport.framing_failed", {}}
                 .with("stream", std::to_string(id.value))
                 .with("error", std::string(to_string(frame->error))));
        close_stream(now, id);
        return;
    }
  }
}

bool TransportLayer::may_handshake(TimePoint now, const std::string& group) {
  const std::uint32_t per_minute = config_.tls_handshakes_per_minute;
  if (per_minute == 0) return true;
  const double rate = per_minute / 60.0;  // tokens per second
  const double burst = std::max(5.0, per_minute / 10.0);
  const auto refilled = [&](const Bucket& b) {
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    return std::min(burst, b.tokens + elapsed * rate);
  };
  auto it = handshakes_.find(group);
  if (it == handshakes_.end()) {
    // Bounded: sources whose budget is whole again are the same as sources never seen.
    if (handshakes_.size() >= kMaxHandshakeSources) {
      std::erase_if(handshakes_, [&](const auto& entry) { return refilled(entry.second) >= burst; });
    }
    // Still full: every one of them is busy, and the global stream cap bounds what they can
    // hold; the newcomer is let through untracked rather than locked out by them.
    if (handshakes_.size() >= kMaxHandshakeSources) return true;
    it = handshakes_.emplace(group, Bucket{burst, now}).first;
  }
  Bucket& bucket = it->second;
  bucket.tokens = refilled(bucket);
  bucket.updated = now;
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

void TransportLayer::on_stream_closed(TimePoint now, StreamId id, StreamCloseReason reason) {
  const auto it = streams_.find(id);
  if (it == streams_.end()) return;
  if (reason == StreamCloseReason::TlsFailed) ++counters_.tls_failures;
  if (it->second.inbound) {
    --inbound_;
    const auto source = per_source_.find(group_of(it->second.path.remote));
    if (source != per_source_.end() && --source->second == 0) per_source_.erase(source);
  }
  streams_.erase(it);
  ++counters_.streams_closed;
  emit(TraceEvent{now, "transport.stream_closed", {}}
           .with("stream", std::to_string(id.value))
           .with("reason", std::string(to_string(reason))));
  if (callbacks_.on_stream_failed) callbacks_.on_stream_failed(now, id);
}

StreamId TransportLayer::stream_to(Transport transport, const Address& remote) const {
  for (const auto& [id, stream] : streams_) {
    // lowest id first: deterministic
    if (stream.path.transport == transport && stream.path.remote == remote) return id;
  }
  return StreamId{};
}

StreamId TransportLayer::send(TimePoint now, const Destination& to, std::string bytes) {
  ++counters_.messages_out;
  if (to.transport == Transport::Udp) {
    effects_.emplace_back(SendDatagram{config_.local, to.remote, std::move(bytes)});
    return StreamId{};
  }
  StreamId id = to.stream;
  if (id.value == 0 || !streams_.contains(id)) id = stream_to(to.transport, to.remote);
  if (id.value == 0) {
    id = StreamId{kOutboundStreamBit | next_outbound_++};
    const Address local = local_for(to.transport);
    streams_.emplace(id, Stream{Path{to.transport, local, to.remote, id},
                                StreamFramer(config_.max_message_size), false});
    effects_.emplace_back(OpenStream{id, local, to.remote, to.transport,
                                     to.transport == Transport::Tls ? to.server_name : ""});
    emit(TraceEvent{now, "transport.stream_opening", {}}
             .with("stream", std::to_string(id.value & ~kOutboundStreamBit))
             .with("transport", std::string(resproxy::to_string(to.transport)))
             .with("remote", to.remote.to_string()));
  }
  effects_.emplace_back(WriteStream{id, std::move(bytes)});
  return id;
}

void TransportLayer::send_keepalive_ping(TimePoint, StreamId stream) {
  if (streams_.contains(stream)) effects_.emplace_back(WriteStream{stream, "\r\n\r\n"});
}

void TransportLayer::close_stream(TimePoint now, StreamId id) {
  if (!streams_.contains(id)) return;
  effects_.emplace_back(CloseStream{id});
  on_stream_closed(now, id, StreamCloseReason::LocalClose);
}

bool TransportLayer::is_stream_open(StreamId stream) const { return streams_.contains(stream); }

void TransportLayer::arm_sweep(TimePoint now) {
  if (sweep_timer_.is_set() || inbound_ == 0) return;
  if (config_.header_timeout <= Duration::zero() && config_.idle_timeout <= Duration::zero()) return;
  sweep_timer_ = heap_.schedule(now + std::chrono::seconds(1), [this](TimePoint t) {
    sweep_timer_ = TimerId{};
    sweep(t);
    arm_sweep(t);
  });
}

void TransportLayer::sweep(TimePoint now) {
  std::vector<std::pair<StreamId, std::string_view>> expired;
  for (const auto& [id, stream] : streams_) {
    if (!stream.inbound) continue;
    if (config_.header_timeout > Duration::zero() && stream.waiting_since &&
        now - *stream.waiting_since >= config_.header_timeout) {
      expired.emplace_back(id, "header_timeout");
    } else if (config_.idle_timeout > Duration::zero() &&
               now - stream.last_activity >= config_.idle_timeout &&
               !(callbacks_.exempt && callbacks_.exempt(stream.path)) &&
               !(callbacks_.pinned && callbacks_.pinned(id))) {
      expired.emplace_back(id, "idle_timeout");
    }
  }
  for (const auto& [id, why] : expired) {
    ++counters_.streams_timed_out;
    if (trace_.wants("transport.stream_timed_out")) {
      emit(TraceEvent{now, "transport.stream_timed_out", {}}
               .with("stream", std::to_string(id.value))
               .with("why", std::string(why)));
    }
    close_stream(now, id);
  }
}

}  // namespace resproxy::transport
