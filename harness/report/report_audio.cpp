// The report's audio section (runs with an audio: block): did the calls that connected carry
// speech, per phase, and which ones did not.
#include <map>
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

std::string side_text(const AudioSide& s) {
  if (!s.negotiated) return esc(s.ua) + ": no audio in the SDP";
  return esc(s.ua) + ": " + format_number(s.sent, 0) + " sent, " + format_number(s.received, 0) +
         " heard, " + format_number(s.voice, 0) + " with voice";
}

}  // namespace

void audio_section(std::string& out, const Results& run) {
  if (!run.audio) return;
  const Audio& audio = *run.audio;
  out += "<p class=\"note\">Every phone and far end said a tone in 20 ms G.711 RTP for up to " +
         esc(format_number(audio.talk_s, 0)) +
         " s per call and listened; the PSTN gateway's lines echo, so a phone in a PSTN call hears "
         "its own voice only when the audio went both ways. A call is judged from its sides that "
         "lasted at least a second.</p>";
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
  out += "<table class=\"compact\"><thead><tr><th>phase</th><th class=\"num\">calls judged</th>"
         "<th class=\"num\">both ways</th><th class=\"num\">one way</th><th class=\"num\">no audio</th>"
         "<th class=\"num\">too short</th></tr></thead><tbody>";
  for (const auto& phase : known_phases()) {
    const auto it = rows.find(phase);
    if (it == rows.end()) continue;
    const Row& r = it->second;
    out += "<tr><td>" + esc(phase) + "</td><td class=\"num\">" + std::to_string(r.judged) +
           "</td><td class=\"num\">" + std::to_string(r.two_way) + "</td><td class=\"num" +
           (r.one_way > 0 ? " bad" : "") + "\">" + std::to_string(r.one_way) + "</td><td class=\"num" +
           (r.none > 0 ? " bad" : "") + "\">" + std::to_string(r.none) + "</td><td class=\"num\">" +
           std::to_string(r.short_) + "</td></tr>";
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
  if (!figures.empty()) out += "<p class=\"meta\">" + figures + "</p>";

  std::string flagged;
  for (const auto& c : audio.calls) {
    if (c.verdict != "one_way" && c.verdict != "none") continue;
    std::string sides;
    for (const auto& s : c.sides) sides += (sides.empty() ? "" : "<br>") + side_text(s);
    flagged += "<tr><td><code>" + esc(c.call_id) + "</code></td><td class=\"num\">" +
               esc(format_clock(c.start_s, true)) + "</td><td>" + esc(c.phase) + "</td><td class=\"bad\">" +
               esc(verdict_text(c.verdict)) + "</td><td>" + sides + "</td></tr>";
  }
  if (flagged.empty()) {
    out += "<p class=\"note\">No call connected without audio.</p>";
  } else {
    out += "<details open><summary>Calls that connected without audio both ways</summary>"
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
