// The PSTN gateway's native media path (proxy/native/media_bridge.h) under load: N open
// MediaBridges on an io_context, fed over real loopback UDP by this program the way the phones
// behind resproxy feed a busy E1 (one 20 ms PCMA packet per bridge per line tick), answering with
// one packet per bridge per tick (the echoing line). N = 30 is one E1, N = 120 four.
//
// What is driven: the real object with its own 20 ms steady_timer, not a copy of its per-frame
// work. The tick cannot be sped up, so an iteration is one tick of the line clock (20 ms of wall
// time) and the time reported is CPU time, not wall time (UseManualTime): the benchmark thread's
// CPU (CLOCK_THREAD_CPUTIME_ID) spent inside io_context::run_one_for while it waits for the tick,
// which is where every bridge's work happens — receive completions (recvfrom, RTP parse, jitter
// push) and the tick (jitter pull, G.711 decode, the line, G.711 encode, RTP write, sendto). The
// feeding phone's sendto and the draining of the answers run outside that window, so they are
// not charged to the bridges. Blocking in epoll while waiting costs no CPU.
//
// Output: Time = CPU per iteration (about one tick); items_per_second = RTP packets handled (in +
// out) per CPU-second; counters us_per_tick, ns_per_packet, core_pct (the share of one core the
// bridges need in real time: CPU per tick / 20 ms), and the quality counters of the run
// (concealed, late, echo_ratio = packets back to the phone / packets expected).
// Bounded: a fixed number of ticks per size (Iterations), and no wait longer than 200 ms.
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <memory>
#include <numbers>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/socket_base.hpp>

#include "proxy/media/g711.h"
#include "proxy/media/rtp_packet.h"
#include "proxy/native/media_bridge.h"

namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using namespace resproxy;
using namespace std::chrono_literals;

constexpr gateway::SpanId kSpan = 1;
constexpr int kWarmupTicks = 10;       // latch, fill the jitter buffers to their target
constexpr int kMeasuredTicks = 250;    // 5 s of line clock per size
constexpr auto kTickWaitLimit = 200ms;  // a tick is due every 20 ms: 10 missed means broken

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Counts the line's 20 ms exchanges (one per bridge per tick) and echoes like LoopbackLine, so
// the bridges do exactly the daemon's work and the benchmark knows when a tick has happened.
class CountingLine final : public native::MediaLine {
 public:
  void on_bridge(gateway::SpanId, gateway::LineCallId, bool) override {}
  void exchange(gateway::SpanId, gateway::LineCallId, const media::Frame& heard,
                native::LineFrame& said) override {
    said = heard.samples;
    ++exchanges;
  }
  std::uint64_t exchanges = 0;
};

// The phones: one socket sending each bridge its stream (SSRC, sequence, timestamp of its own)
// and receiving every bridge's answer.
class Phones {
 public:
  explicit Phones(std::size_t n)
      : socket_(io_, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    // 120 answers a tick land here between two drains: room for several ticks of them.
    socket_.set_option(asio::socket_base::receive_buffer_size(4 << 20));
    socket_.non_blocking(true);
    std::array<std::int16_t, media::kFrameSamples> samples{};
    for (std::size_t i = 0; i < samples.size(); ++i) {  // 400 Hz: speech-like level, not quiet
      samples[i] = static_cast<std::int16_t>(
          8000.0 * std::sin(2 * std::numbers::pi * 400.0 * static_cast<double>(i) / 8000.0));
    }
    media::g711_encode(media::G711Law::ALaw, samples, payload_);
    streams_.resize(n);
    for (std::size_t i = 0; i < n; ++i) streams_[i].ssrc = 0x1000 + static_cast<std::uint32_t>(i);
  }

  std::uint16_t port() const { return socket_.local_endpoint().port(); }

  // One packet to each bridge (ports[i] is stream i's bridge). Returns the packets sent.
  std::uint64_t send_tick(const std::vector<std::uint16_t>& ports) {
    std::uint64_t sent = 0;
    std::array<std::uint8_t, media::kRtpFixedHeaderSize + media::kFrameSamples> out{};
    for (std::size_t i = 0; i < ports.size(); ++i) {
      Stream& s = streams_[i];
      media::RtpPacket p;
      p.marker = s.sequence == 0;
      p.payload_type = media::kPayloadTypePcma;
      p.sequence_number = s.sequence++;
      p.timestamp = s.timestamp;
      s.timestamp += static_cast<std::uint32_t>(media::kFrameSamples);
      p.ssrc = s.ssrc;
      p.payload = payload_;
      const auto written = media::write_rtp(p, out);
      if (!written) continue;
      boost::system::error_code ec;
      socket_.send_to(asio::buffer(out.data(), *written),
                      udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), ports[i]), 0, ec);
      if (!ec) ++sent;
    }
    return sent;
  }

  // Everything the bridges sent back so far. Returns the packets read.
  std::uint64_t drain() {
    std::uint64_t got = 0;
    std::array<std::uint8_t, 2048> in{};
    udp::endpoint from;
    for (int i = 0; i < 100000; ++i) {  // bounded: far more than a few ticks of answers
      boost::system::error_code ec;
      socket_.receive_from(asio::buffer(in), from, 0, ec);
      if (ec) break;  // would_block: empty
      ++got;
    }
    return got;
  }

 private:
  struct Stream {
    std::uint32_t ssrc = 0;
    std::uint16_t sequence = 0;
    std::uint32_t timestamp = 8000;
  };
  asio::io_context io_;  // never run: the socket is used synchronously
  udp::socket socket_;
  std::array<std::uint8_t, media::kFrameSamples> payload_{};
  std::vector<Stream> streams_;
};

// N ports free a moment ago, all different (held open together while they are chosen).
std::vector<std::uint16_t> free_ports(std::size_t n) {
  asio::io_context io;
  std::vector<std::unique_ptr<udp::socket>> held;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < n; ++i) {
    held.push_back(std::make_unique<udp::socket>(
        io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)));
    ports.push_back(held.back()->local_endpoint().port());
  }
  return ports;
}

// Runs the io_context until the line has had `target` exchanges (a tick) or the wait limit
// passes. Returns the CPU seconds this thread spent in it.
double run_until_tick(asio::io_context& io, const CountingLine& line, std::uint64_t target) {
  const auto give_up = std::chrono::steady_clock::now() + kTickWaitLimit;
  const double start = thread_cpu_seconds();
  while (line.exchanges < target && std::chrono::steady_clock::now() < give_up) {
    io.run_one_for(50ms);
  }
  return thread_cpu_seconds() - start;
}

void BM_MediaBridgesLoopbackTick(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  asio::io_context io;
  CountingLine line;
  native::MediaBridges bridges(io, native::MediaBridgeConfig{.bind_ip = "127.0.0.1"}, &line);
  Phones phones(n);
  const auto ports = free_ports(n);
  for (std::size_t i = 0; i < n; ++i) {
    bridges.on_command(kSpan, gateway::MediaBridge{.call = static_cast<gateway::LineCallId>(i + 1),
                                                   .rtp_port = ports[i],
                                                   .remote_ip = "127.0.0.1",
                                                   .remote_port = phones.port(),
                                                   .payload_type = media::kPayloadTypePcma});
  }
  if (bridges.totals().open != n) {
    state.SkipWithError("a bridge was refused (its port was taken meanwhile?)");
    return;
  }
  for (int t = 0; t < kWarmupTicks; ++t) {
    phones.send_tick(ports);
    (void)run_until_tick(io, line, line.exchanges + n);
    phones.drain();
  }
  const auto before = bridges.totals();
  const std::uint64_t exchanges_before = line.exchanges;
  std::uint64_t sent = 0;
  std::uint64_t echoed = 0;
  double cpu = 0;
  bool stalled = false;
  for (auto _ : state) {
    sent += phones.send_tick(ports);
    const std::uint64_t target = line.exchanges + n;
    const double spent = run_until_tick(io, line, target);
    state.SetIterationTime(spent);
    cpu += spent;
    echoed += phones.drain();
    if (line.exchanges < target) stalled = true;
  }
  // No answer is still on its way: loopback delivers within the bridge's sendto.
  const auto after = bridges.totals();
  const double ticks =
      static_cast<double>(line.exchanges - exchanges_before) / static_cast<double>(n);
  if (stalled || ticks < 1) {
    state.SkipWithError("the line clock did not tick within 200 ms");
    return;
  }
  const auto rx = after.counters.rtp_rx - before.counters.rtp_rx;
  const auto tx = after.counters.rtp_tx - before.counters.rtp_tx;
  const double expected_echo = ticks * static_cast<double>(n);  // one answer per bridge per tick
  if (static_cast<double>(echoed) < 0.9 * expected_echo ||
      static_cast<double>(rx) < 0.9 * static_cast<double>(sent)) {
    state.SkipWithError("packets went missing on loopback (more than 10 %): not a steady state");
    return;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(rx + tx));
  state.counters["us_per_tick"] = cpu / ticks * 1e6;
  state.counters["ns_per_packet"] = cpu / static_cast<double>(rx + tx) * 1e9;
  state.counters["core_pct"] = cpu / ticks / 0.020 * 100.0;
  state.counters["rx"] = static_cast<double>(rx);
  state.counters["tx"] = static_cast<double>(tx);
  state.counters["echo_ratio"] = static_cast<double>(echoed) / expected_echo;
  state.counters["concealed"] =
      static_cast<double>(after.counters.concealed - before.counters.concealed);
  state.counters["late"] = static_cast<double>(after.counters.late - before.counters.late);
  state.counters["overruns"] = static_cast<double>(after.tick_overruns - before.tick_overruns);
}
BENCHMARK(BM_MediaBridgesLoopbackTick)
    ->Arg(30)
    ->Arg(120)
    ->Iterations(kMeasuredTicks)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
