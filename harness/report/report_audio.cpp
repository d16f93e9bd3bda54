// The report's audio section (runs with an audio: block): did the calls that connected carry
// speech, how did it sound (the E-model's MOS, loss, jitter, delay), per phase, and which calls
// had no audio both ways or poor audio.
#include <map>
#include <optional>
#include <string>

#include "harness/report/report_html_parts.h"

namespace resproxy::report::html {

namespace {

std::string verdict_text(const std::string& verdict) {
  if (verdict == "two_way") return "both ways";
  if (verdict == "one_way") return "one way";
  if (verdict == "none") return "no audio";
  if (verdict == "too_short") return "too short to tell";
  return verdict;
}

std::string mos_text(double mos) { return format_number(mos, 2); }

std::string side_text(const AudioSide& s) {
  if (!s.negotiated) return esc(s.ua) + ": no audio in the SDP";
  std::string text = esc(s.ua) + ": " + format_number(s.sent, 0) + " sent, " + format_number(s.received, 0) +
                     " heard, " + format_number(s.voice, 0) + " with voice";
  if (s.mos) {
    text += " · MOS " + mos_text(*s.mos) + ", " + format_number(s.expected > 0 ? 100 * s.lost / s.expected : 0, 1) +
            " % lost, jitter " + format_number(s.jitter_ms, 1) + " ms";
  }
  if (s.one_way_delay_ms) text += ", " + format_number(*s.one_way_delay_ms, 0) + " ms one way";
  return text;
}

bool poor(const AudioCall& c, const Audio& audio) {
  return c.mos && audio.poor_mos && *c.mos < *audio.poor_mos;
}

}  // namespace

void audio_section(std::string& out, const Results& run) {
  if (!run.audio) return;
  const Audio& audio = *run.audio;
  out += "<p class=\"note\">Every phone and far end said a tone in 20 ms G.711 RTP for up to " +
         esc(format_number(audio.talk_s, 0)) +
         " s per call and listened; the PSTN gateway's lines echo, so a phone in a PSTN call hears "
         "its own voice only when the audio went both ways. A call is judged from its sides that "
         "lasted at least a second. MOS is the ITU-T G.107 E-model's estimate (G.711 with packet-loss "
         "concealment) from each side's loss, jitter and one-way delay; a call rates as its worse side" +
         (audio.poor_mos ? ", and under " + mos_text(*audio.poor_mos) + " (R 70: many users dissatisfied) it is poor"
                         : std::string()) +
         ".</p>";
  struct Row {
    int judged = 0, two_way = 0, one_way = 0, none = 0, short_ = 0;
  };
  std::map<std::string, Row> rows;
  for (const auto& c : audio.calls) {
    Row& r = rows[c.phase];
    if (c.verdict == "too_short") {
      ++r.short_;
      continue;
    }
    ++r.judged;
    r.two_way += c.verdict == "two_way" ? 1 : 0;
    r.one_way += c.verdict == "one_way" ? 1 : 0;
    r.none += c.verdict == "none" ? 1 : 0;
  }
  // The phase's quality, from its metrics: a cell per figure, "–" when the phase has none.
  const auto quality_cell = [&](const std::string& metric, bool bad_when_poor) {
    const auto v = run.metric(metric);
    if (!v) return std::string("<td class=\"num\">–</td>");
    const bool bad = bad_when_poor && audio.poor_mos && *v < *audio.poor_mos;
    const std::string text = metric.starts_with("audio_mos") ? mos_text(*v) : format_metric(metric, *v);
    return "<td class=\"num" + std::string(bad ? " bad" : "") + "\">" + esc(text) + "</td>";
  };
  out += "<table class=\"compact\"><thead><tr><th>phase</th><th class=\"num\">calls judged</th>"
         "<th class=\"num\">both ways</th><th class=\"num\">one way</th><th class=\"num\">no audio</th>"
         "<th class=\"num\">too short</th><th class=\"num\">MOS median</th><th class=\"num\">MOS min</th>"
         "<th class=\"num\">poor</th><th class=\"num\">loss</th><th class=\"num\">jitter p95</th>"
         "<th class=\"num\">one-way delay p95</th></tr></thead><tbody>";
  for (const auto& phase : known_phases()) {
    const auto it = rows.find(phase);
    if (it == rows.end()) continue;
    const Row& r = it->second;
    const std::string dot = "." + phase;
    const auto poor_calls = run.metric("calls_poor_audio" + dot);
    out += "<tr><td>" + esc(phase) + "</td><td class=\"num\">" + std::to_string(r.judged) +
           "</td><td class=\"num\">" + std::to_string(r.two_way) + "</td><td class=\"num" +
           (r.one_way > 0 ? " bad" : "") + "\">" + std::to_string(r.one_way) + "</td><td class=\"num" +
           (r.none > 0 ? " bad" : "") + "\">" + std::to_string(r.none) + "</td><td class=\"num\">" +
           std::to_string(r.short_) + "</td>" + quality_cell("audio_mos_median" + dot, true) +
           quality_cell("audio_mos_min" + dot, true) + "<td class=\"num" +
           (poor_calls && *poor_calls > 0 ? " bad" : "") + "\">" +
           (poor_calls ? format_number(*poor_calls, 0) : std::string("–")) + "</td>" +
           quality_cell("audio_loss_ratio" + dot, false) + quality_cell("audio_jitter_ms.p95" + dot, false) +
           quality_cell("audio_one_way_delay_ms.p95" + dot, false) + "</tr>";
  }
  out += "</tbody></table>";
  std::string figures;
  const auto figure = [&](const char* metric, const char* label) {
    if (auto v = run.metric(metric)) {
      figures += (figures.empty() ? "" : " · ") + std::string(label) + " " + esc(format_metric(metric, *v));
    }
  };
  figure("audio_first_voice_ms.p50", "first voice heard after (p50)");
  figure("audio_first_voice_ms.p95", "p95");
  figure("audio_loss_ratio", "packet loss");
  figure("audio_jitter_ms.max", "jitter max");
  figure("audio_one_way_delay_ms.p95", "one-way delay p95");
  if (!figures.empty()) out += "<p class=\"meta\">" + figures + "</p>";

  std::string flagged;
  for (const auto& c : audio.calls) {
    const bool silent = c.verdict == "one_way" || c.verdict == "none";
    if (!silent && !poor(c, audio)) continue;
    std::string sides;
    for (const auto& s : c.sides) sides += (sides.empty() ? "" : "<br>") + side_text(s);
    const std::string what = silent ? verdict_text(c.verdict) : "poor: MOS " + mos_text(*c.mos);
    flagged += "<tr><td><code>" + esc(c.call_id) + "</code></td><td class=\"num\">" +
               esc(format_clock(c.start_s, true)) + "</td><td>" + esc(c.phase) + "</td><td class=\"bad\">" +
               esc(what) + "</td><td>" + sides + "</td></tr>";
  }
  if (flagged.empty()) {
    out += "<p class=\"note\">No call connected without audio, nor with poor audio.</p>";
  } else {
    out += "<details open><summary>Calls that connected without audio both ways or with poor audio</summary>"
           "<table class=\"compact\"><thead><tr><th>call</th><th class=\"num\">start</th><th>phase</th>"
           "<th>audio</th><th>sides</th></tr></thead><tbody>" + flagged + "</tbody></table></details>";
  }
  if (!audio.gateway.empty()) {
    std::string cells;
    for (const auto& [name, value] : audio.gateway) {
      cells += "<tr><td><code>" + esc(name) + "</code></td><td class=\"num\">" + format_number(value, 0) + "</td></tr>";
    }
    out += "<details><summary>The PSTN gateway's media bridges</summary><table class=\"compact\">"
           "<thead><tr><th>counter</th><th class=\"num\">value</th></tr></thead><tbody>" + cells +
           "</tbody></table></details>";
  }
}

}  // namespace resproxy::report::html
