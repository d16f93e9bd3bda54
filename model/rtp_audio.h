#pragma once
// RtpAudioApplication: a simulated phone's RTP endpoint in ns-3 — one UDP socket on the phone's
// media address (the port its SDP names), and one model::AudioProbe per call that says a tone in
// 20 ms packets and measures what it hears. Driven by the phone's MediaEvents
// (UaPhone::set_media_listener): Start opens a call's probe and begins sending to the peer the
// SDP named, for at most `talk_for` (the cost of audio in a simulation is some hundred events per
// call-second; a scenario says how much it buys); Stop ends the sending and keeps the record.
//
// Several calls of one phone at once (a multi-line agent, a transfer) share the socket; a
// datagram goes to the probe whose peer sent it, the newest call first. Datagrams for no call
// (the gateway's early media before our 2xx, a peer still sending after BYE) are counted as
// `unmatched`.
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ns3/application.h>
#include <ns3/event-id.h>
#include <ns3/ptr.h>
#include <ns3/socket.h>

#include "model/audio_probe.h"
#include "model/ua_phone.h"
#include "proxy/base/net.h"
#include "proxy/base/rng.h"
#include "proxy/base/time.h"

namespace resproxy::model {

// One call's audio, as the phone measured it.
struct AudioRecord {
  std::string call_id;
  Address peer;
  std::uint8_t payload_type = 0;
  TimePoint started_at{};
  std::optional<TimePoint> stopped_at;
  AudioStats stats;
};

class RtpAudioApplication : public ns3::Application {
 public:
  static ns3::TypeId GetTypeId();
  RtpAudioApplication();
  ~RtpAudioApplication() override;

  // Before the application starts. `rng` draws each call's SSRC, first sequence number and
  // timestamp (RFC 3550 §5.1) and must outlive the simulation.
  void Configure(Address local, Duration talk_for, Rng& rng);
  // The phone's MediaEvent (its media listener calls this).
  void OnMedia(const MediaEvent& event);

  // Every call's record, in start order (live ones with their stats so far).
  [[nodiscard]] std::vector<AudioRecord> Records() const;
  [[nodiscard]] std::uint64_t Unmatched() const { return m_unmatched; }

 protected:
  void DoDispose() override;

 private:
  struct Call {
    AudioRecord record;
    std::unique_ptr<AudioProbe> probe;
    ns3::EventId send_event;
    TimePoint talk_until{};
    bool live = false;
  };

  void StartApplication() override;
  void StopApplication() override;
  void Send(std::size_t index);
  void HandleRead(ns3::Ptr<ns3::Socket> socket);

  Address m_local;
  Duration m_talkFor{};
  Rng* m_rng = nullptr;
  ns3::Ptr<ns3::Socket> m_socket;
  std::vector<Call> m_calls;                    // start order
  std::map<std::string, std::size_t> m_byCall;  // call-id → the newest call of that id
  std::vector<std::size_t> m_live;              // calls still talking or listening, start order
  std::uint64_t m_unmatched = 0;
  std::array<std::uint8_t, 1500> m_buffer{};  // one receive buffer: datagrams are read one by one
  bool m_running = false;
};

}  // namespace resproxy::model
