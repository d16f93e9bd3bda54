#include "sim_hardware/fxo/line_signal.h"

#include <string>

namespace resproxy::fxo {

std::string_view to_string(Tone tone) {
  switch (tone) {
    case Tone::Silence: return "silence";
    case Tone::DialTone: return "dial_tone";
    case Tone::Ringback: return "ringback";
    case Tone::Busy: return "busy";
    case Tone::Congestion: return "congestion";
    case Tone::NumberUnobtainable: return "number_unobtainable";
    case Tone::Speech: return "speech";
    case Tone::ToneAlert: return "tone_alert";
    case Tone::Fsk: return "fsk";
  }
  return "unknown";
}

namespace {
struct Describe {
  std::string operator()(const LoopState& s) const { return s.closed ? "loop closed" : "loop open"; }
  std::string operator()(const CallerIdLoad& s) const {
    return s.applied ? "caller-id load applied" : "caller-id load removed";
  }
  std::string operator()(const BatteryState& s) const {
    return s.present ? "battery present" : "battery absent";
  }
  std::string operator()(const RingingVoltage& s) const { return s.on ? "ringing on" : "ringing off"; }
  std::string operator()(const LinePolarity& s) const {
    return s.reversed ? "polarity reversed" : "polarity normal";
  }
  std::string operator()(const LineTone& s) const { return "tone " + std::string(to_string(s.tone)); }
  std::string operator()(const CallerIdData& s) const {
    return "caller-id data " + std::to_string(s.octets.size()) + " octets";
  }
  std::string operator()(const DtmfTone& s) const {
    return std::string("dtmf ") + s.digit + (s.on ? " on" : " off");
  }
};
}  // namespace

std::string describe(const LineSignal& signal) { return std::visit(Describe{}, signal); }

}  // namespace resproxy::fxo
