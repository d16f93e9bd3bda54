// Media data path cost per 20 ms frame (proxy/media/): G.711 encode and decode of 160 samples,
// and one jitter-buffer push + pull (parse included) in steady state. items_per_second is frames
// per second on one core; one call needs 50 frames per second each way.
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "proxy/media/g711.h"
#include "proxy/media/jitter_buffer.h"
#include "proxy/media/rtp_packet.h"

namespace {

using namespace resproxy;
using namespace resproxy::media;

std::array<std::int16_t, 160> tone() {
  std::array<std::int16_t, 160> s{};
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<std::int16_t>(9000 * std::sin(0.3 * static_cast<double>(i)));
  return s;
}

void BM_G711EncodeFrame(benchmark::State& state) {
  const auto law = static_cast<G711Law>(state.range(0));
  const auto in = tone();
  std::array<std::uint8_t, 160> out{};
  for (auto _ : state) {
    g711_encode(law, in, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_G711EncodeFrame)->Arg(0)->Arg(1);  // 0: A-law, 1: µ-law

void BM_G711DecodeFrame(benchmark::State& state) {
  std::array<std::uint8_t, 160> in{};
  g711_encode(G711Law::ALaw, tone(), in);
  std::array<std::int16_t, 160> out{};
  for (auto _ : state) {
    g711_decode(G711Law::ALaw, in, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_G711DecodeFrame);

// Parse a datagram, push it, pull a frame (decode + PLC history + delayed output).
void BM_JitterBufferPushPullFrame(benchmark::State& state) {
  JitterBuffer jb;
  std::array<std::uint8_t, 160> payload{};
  g711_encode(G711Law::ALaw, tone(), payload);
  RtpPacket p;
  p.payload_type = kPayloadTypePcma;
  p.ssrc = 1;
  p.payload = payload;
  std::vector<std::uint8_t> datagram(rtp_size(p));
  std::uint16_t seq = 0;
  std::uint32_t ts = 0;
  std::int64_t now_ns = 0;
  for (auto _ : state) {
    p.sequence_number = seq++;
    p.timestamp = ts;
    ts += 160;
    (void)write_rtp(p, datagram);
    now_ns += 20'000'000;
    if (auto parsed = parse_rtp(datagram)) (void)jb.push(from_ns(now_ns), *parsed);
    auto frame = jb.pull(from_ns(now_ns + 7'000'000));
    benchmark::DoNotOptimize(frame.samples.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JitterBufferPushPullFrame);

}  // namespace

BENCHMARK_MAIN();
