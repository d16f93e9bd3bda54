#pragma once
// The `audio:` block of a scenario in ns-3: every UA (office phones, the PSTN beyond the ITSP,
// the remote callers) gets an RTP endpoint (model/rtp_audio.h) on a media port of its own on its
// host, fed by its MediaEvents; the office gateway bridges its line calls to RTP
// (model/media_bridges.h, lines that echo). After the run, collect() turns what each UA heard
// into RunData::audio_legs — with a leg that says "no audio could flow" for every answered call
// whose SDP gave none, and none for a call a UA answered but whose caller never acknowledged it
// (it never connected) — and the gateway's bridge counters into RunData::gateway_media.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ns3/node.h>
#include <ns3/ptr.h>

#include "harness/run_data.h"
#include "model/rtp_audio.h"
#include "model/sip_node_application.h"
#include "model/ua_phone.h"
#include "proxy/base/rng.h"
#include "proxy/base/time.h"

namespace resproxy::harness::runner {

class AudioRig {
 public:
  static constexpr std::uint16_t kFirstMediaPort = 40000;  // then +2 per UA on the same host

  // `rng` draws the UAs' RTP streams (SSRC, first sequence number and timestamp); it must outlive
  // the simulation.
  AudioRig(Duration talk_for, ns3::Time stop, Rng& rng) : talk_for_(talk_for), stop_(stop), rng_(rng) {}

  // The media port the next UA on `node` takes (call before building its UaPhoneConfig).
  std::uint16_t next_port(const ns3::Ptr<ns3::Node>& node);
  // `ua`'s RTP endpoint on `node` at `ip`:`port` (the port next_port gave), named `name`.
  void attach(model::UaPhone& ua, const std::string& name, ns3::Ptr<ns3::Node> node, const std::string& ip,
              std::uint16_t port);
  // The gateway's bridges on `app` (before it starts), bound to `ip`.
  void bridge_gateway(model::SipNodeApplication& app, const std::string& ip);

  void collect(RunData& out) const;

 private:
  struct Attached {
    model::UaPhone* ua = nullptr;
    std::string name;
    ns3::Ptr<model::RtpAudioApplication> app;
  };
  Duration talk_for_;
  ns3::Time stop_;
  Rng& rng_;
  std::map<std::uint32_t, std::uint16_t> next_port_;  // node id → port
  std::vector<Attached> attached_;
  model::SipNodeApplication* gateway_ = nullptr;
};

}  // namespace resproxy::harness::runner
