// The resilience report rendered from the hand-written sample results in data/results/
// (three scenarios, five runs; see data/make_samples.py): sections, charts, verdicts, escaping,
// self-containment, determinism, and refusal of a results file of another schema version.
#include "harness/report/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "harness/report/report_svg.h"

namespace resproxy::report {
namespace {

namespace fs = std::filesystem;

const fs::path kData = RESPROXY_REPORT_DATA_DIR;
const fs::path kResults = kData / "results";

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A fresh directory for one test.
fs::path scratch(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) / ("resproxy-report-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

const RenderedReport& sample_report() {
  static const RenderedReport report = render_report(kResults);
  return report;
}

// The <section> of one scenario.
std::string section_of(const std::string& html, const std::string& id) {
  auto start = html.find("<section class=\"scenario");
  while (start != std::string::npos) {
    auto end = html.find("</section>", start);
    std::string section = html.substr(start, end - start);
    if (section.find("id=\"" + id + "\"") != std::string::npos) return section;
    start = html.find("<section class=\"scenario", end);
  }
  return {};
}

TEST(ResilienceReport, HasHeaderWithOverallVerdictAndContents) {
  const std::string& html = sample_report().html;
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<title>resproxy resilience report — FAIL</title>"), std::string::npos);
  EXPECT_NE(html.find("<header class=\"top fail\""), std::string::npos);
  EXPECT_NE(html.find("<div class=\"overall\">FAIL</div>"), std::string::npos);
  EXPECT_NE(html.find("28 of 32 expectations met"), std::string::npos);
  EXPECT_NE(html.find("<nav class=\"toc\">"), std::string::npos);
  // The contents link every scenario, ordered by name.
  auto flap = html.find("href=\"#s1-gateway-flap\"");
  auto outage = html.find("href=\"#s2-itsp-outage-busy-hour\"");
  auto baseline = html.find("href=\"#s3-no-fault-baseline\"");
  ASSERT_NE(flap, std::string::npos);
  ASSERT_NE(outage, std::string::npos);
  ASSERT_NE(baseline, std::string::npos);
  EXPECT_LT(flap, outage);
  EXPECT_LT(outage, baseline);
  EXPECT_NE(html.find("href=\"#s2-itsp-outage-busy-hour-ladder\""), std::string::npos);
}

TEST(ResilienceReport, HasEverySectionForEachScenario) {
  const std::string& html = sample_report().html;
  for (const char* id : {"s1-gateway-flap", "s2-itsp-outage-busy-hour", "s3-no-fault-baseline"}) {
    SCOPED_TRACE(id);
    std::string section = section_of(html, id);
    ASSERT_FALSE(section.empty());
    for (const char* part :
         {"-verdicts\">Expectations", "-timeline\">Fault timeline and ITSP state",
          "-series\">Registrations and calls in progress", "-outcomes\">Call outcomes by phase",
          "-pdd\">Post-dial delay", "-ladder\">SIP ladder", "-counters\">Counters"}) {
      EXPECT_NE(section.find(std::string(id) + part), std::string::npos) << part;
    }
    EXPECT_NE(section.find("<div class=\"cards\">"), std::string::npos);
    EXPECT_NE(section.find("detection time"), std::string::npos);
    EXPECT_NE(section.find("failback time"), std::string::npos);
  }
  // Several seeds: the spread, then the first seed in detail.
  std::string outage = section_of(html, "s2-itsp-outage-busy-hour");
  EXPECT_NE(outage.find("Across 3 seeds"), std::string::npos);
  EXPECT_NE(outage.find("<th class=\"num\">median</th>"), std::string::npos);
  EXPECT_NE(outage.find("Seed 1 in detail"), std::string::npos);
  EXPECT_NE(outage.find("1 / 3 seeds"), std::string::npos);  // the ≥ 90 % expectation
  // The baseline has no ladder, and says so.
  EXPECT_NE(section_of(html, "s3-no-fault-baseline").find("No ladder recorded"), std::string::npos);
}

TEST(ResilienceReport, DrawsChartsAsInlineSvg) {
  std::string outage = section_of(sample_report().html, "s2-itsp-outage-busy-hour");
  // Timeline, two line charts, outcome bars, PDD histogram, ladder.
  EXPECT_EQ(count(outage, "<svg class=\"chart "), 6u);
  for (const char* chart :
       {"chart timeline", "chart line-chart", "chart bars", "chart histogram", "chart ladder"}) {
    EXPECT_NE(outage.find(chart), std::string::npos) << chart;
  }
  EXPECT_EQ(count(outage, "<polyline class=\"series"), 2u);
  EXPECT_GE(count(outage, "class=\"segment state-"), 5u);  // Active, Probing, Inactive, …
  EXPECT_NE(outage.find("class=\"segment fault\""), std::string::npos);
  EXPECT_NE(outage.find("class=\"band-fault\""), std::string::npos);
  EXPECT_NE(outage.find("detected +1.7 s"), std::string::npos);
  EXPECT_NE(outage.find("failback +12 s"), std::string::npos);
  EXPECT_NE(outage.find("simulated time (min)"), std::string::npos);  // axis with unit
  EXPECT_NE(outage.find("post-dial delay: INVITE → first 18x (ms)"), std::string::npos);
  // Ladder: 4 lifelines, 16 arrows with their heads, labels and times.
  EXPECT_EQ(count(outage, "class=\"lifeline\""), 4u);
  EXPECT_EQ(count(outage, "<polygon class=\"arrow-head\""), 16u);
  EXPECT_NE(outage.find("INVITE sip:+493012345678@gateway.branch.lan"), std::string::npos);
  EXPECT_NE(outage.find(">1201.700</text>"), std::string::npos);
  std::string flap = section_of(sample_report().html, "s1-gateway-flap");
  EXPECT_NE(flap.find("<g class=\"message msg-error\">"), std::string::npos);  // the 503
}

TEST(ResilienceReport, ShowsVerdictsWithActualAndExpected) {
  std::string flap = section_of(sample_report().html, "s1-gateway-flap");
  EXPECT_NE(flap.find("3 of 5 expectations met — <strong>2 failed</strong>"), std::string::npos);
  EXPECT_EQ(count(flap, "<tr class=\"fail\"><td><span class=\"badge fail\">FAIL</span>"), 2u);
  // The failing row: text, metric, expected and actual, source line.
  auto row = flap.find("no false failovers of the ITSP");
  ASSERT_NE(row, std::string::npos);
  std::string tail = flap.substr(row, flap.find("</tr>", row) - row);
  EXPECT_NE(tail.find("<code>false_failovers</code>"), std::string::npos);
  EXPECT_NE(tail.find("= 0"), std::string::npos);
  EXPECT_NE(tail.find("<td class=\"num actual\">1</td>"), std::string::npos);
  EXPECT_NE(tail.find(">19</td>"), std::string::npos);
  EXPECT_NE(flap.find("≥ 95 %</td><td class=\"num actual\">85.7 %</td>"), std::string::npos);
  std::string baseline = section_of(sample_report().html, "s3-no-fault-baseline");
  EXPECT_NE(baseline.find("<h2><span class=\"badge pass\">PASS</span>"), std::string::npos);
  EXPECT_EQ(count(baseline, "badge fail"), 0u);
}

TEST(ResilienceReport, EscapesTextTakenFromResults) {
  const std::string& html = sample_report().html;
  // The gateway-flap title carries a script element, an ampersand and quotes.
  EXPECT_EQ(lower(html).find("<script"), std::string::npos);
  EXPECT_NE(html.find("Gateway flap &lt;script&gt;alert(&quot;pwn&quot;)&lt;/script&gt; &amp; "
                      "E1 &quot;alarms&quot;"),
            std::string::npos);
  EXPECT_NE(html.find("emergency calls answered &lt;b&gt;always&lt;/b&gt; &amp; everywhere"),
            std::string::npos);
  EXPECT_EQ(html.find("<b>always"), std::string::npos);
  EXPECT_NE(html.find("E1 LOS, red alarm &lt;20 s&gt;"), std::string::npos);
  EXPECT_EQ(html_escape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
}

TEST(ResilienceReport, IsSelfContained) {
  std::string html = lower(sample_report().html);
  for (const char* reference : {"http://", "https://", "src=", "<link", "@import", "url(",
                                "<script", "<iframe", "<object", "<img"}) {
    EXPECT_EQ(html.find(reference), std::string::npos) << reference;
  }
  EXPECT_NE(html.find("<style>"), std::string::npos);
}

TEST(ResilienceReport, IsDeterministic) {
  RenderedReport again = render_report(kResults);
  EXPECT_EQ(again.html, sample_report().html);
  EXPECT_EQ(again.markdown, sample_report().markdown);

  // The same files elsewhere, copied in reverse order: the same bytes.
  fs::path copy = scratch("deterministic") / "results";
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(kResults)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.rbegin(), files.rend());
  for (const auto& file : files) {
    fs::path target = copy / fs::relative(file, kResults);
    fs::create_directories(target.parent_path());
    fs::copy_file(file, target);
  }
  RenderedReport moved = render_report(copy);
  EXPECT_EQ(moved.html, sample_report().html);
  EXPECT_EQ(moved.markdown, sample_report().markdown);
}

TEST(ResilienceReport, RefusesAnotherSchemaVersionNamingTheFile) {
  fs::path bad = kData / "bad-schema" / "results.json";
  try {
    (void)load_results(bad);
    FAIL() << "a schema 2 file was accepted";
  } catch (const ReportError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find(bad.string()), std::string::npos) << message;
    EXPECT_NE(message.find("schema version 2"), std::string::npos) << message;
  }
  // One bad file among good ones: no report, exit 1, the file named.
  fs::path dir = scratch("schema");
  fs::create_directories(dir / "ok" / "seed-1");
  fs::copy_file(kResults / "no-fault-baseline" / "seed-1" / "results.json",
                dir / "ok" / "seed-1" / "results.json");
  fs::copy(kData / "bad-schema", dir / "bad-schema");
  std::string dir_arg = dir.string();
  std::vector<char*> argv = {const_cast<char*>("report"), dir_arg.data()};
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(run_report(static_cast<int>(argv.size()), argv.data()), 1);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find((dir / "bad-schema" / "results.json").string()), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir / "report.html"));
}

TEST(ResilienceReport, NamesFileAndKeyOfAMistypedValue) {
  const char* text = R"({"schema": 1, "scenario": "x", "seed": 1,
                         "calls": [{"id": 1, "placed_s": "soon"}]})";
  try {
    (void)parse_results(text, "somewhere/results.json");
    FAIL() << "accepted a string as placed_s";
  } catch (const ReportError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("somewhere/results.json"), std::string::npos) << message;
    EXPECT_NE(message.find("calls[0].placed_s"), std::string::npos) << message;
  }
  EXPECT_THROW((void)parse_results("{\"schema\": 1,", "broken.json"), ReportError);
  EXPECT_THROW((void)parse_results("{\"scenario\": \"x\", \"seed\": 1}", "old.json"), ReportError);
}

TEST(ResilienceReport, ReadsWhatTheHarnessAddsOrLeavesNull) {
  // No fault: empty "during" and "after" phases; a null route; an extra "failure" reason and an
  // unknown key, both tolerated.
  Results run = parse_results(
      R"json({"schema": 1, "scenario": "quiet", "title": "", "seed": 4, "duration_s": 60.0,
              "phases": {"before": [0.0, 60.0], "during": [60.0, 60.0], "after": [60.0, 60.0]},
              "calls": [{"id": 1, "call_id": "c1", "from": "2001", "to": "2002",
                         "kind": "internal", "placed_s": 5.0, "phase": "before",
                         "outcome": "failed", "status": null, "pdd_ms": null,
                         "setup_ms": null, "route": null, "ended_s": null,
                         "failure": "Timer B <expired>", "future_key": [1, 2]}],
              "metrics": {"calls_total": 1, "detection_time_s": null}})json",
      "quiet/results.json");
  EXPECT_EQ(run.calls.at(0).failure, "Timer B <expired>");
  EXPECT_FALSE(run.metric("detection_time_s").has_value());
  ScenarioRuns scenario;
  scenario.scenario = run.scenario;
  scenario.runs.push_back(run);
  std::string html = render_html({scenario}, {});
  EXPECT_NE(html.find("<td>Timer B &lt;expired&gt;</td>"), std::string::npos);
  EXPECT_EQ(html.find(">during (1:00"), std::string::npos);  // empty phases are not drawn
  EXPECT_NE(html.find("<div class=\"overall\">NO EXPECTATIONS</div>"), std::string::npos);
}

// Issue #12 (a): a run whose only unanswered calls were the right outcome reads as a success —
// they get a column of their own, the success figure leaves them out as the metric does, and
// the list of unanswered calls says why each was expected. A real failure still shows as one.
TEST(ResilienceReport, ShowsExpectedOutcomesApartFromFailures) {
  Results run = parse_results(
      R"json({"schema": 1, "scenario": "cut", "title": "", "seed": 1, "duration_s": 100.0,
              "phases": {"before": [0.0, 10.0], "during": [10.0, 90.0], "after": [90.0, 100.0]},
              "calls": [
                {"id": 1, "call_id": "c1", "from": "2001", "to": "2002", "kind": "internal",
                 "placed_s": 20.0, "phase": "during", "outcome": "answered", "status": 200,
                 "route": "local", "expected": null},
                {"id": 2, "call_id": "c2", "from": "gateway", "to": "2999", "kind": "pstn_unassigned",
                 "placed_s": 30.0, "phase": "during", "outcome": "failed", "status": 404,
                 "route": null, "expected": "unassigned_number"},
                {"id": 3, "call_id": "c3", "from": "02015551001", "to": "2001", "kind": "inbound",
                 "placed_s": 40.0, "phase": "during", "outcome": "failed", "status": 408,
                 "route": null, "expected": "inbound_path_cut"},
                {"id": 4, "call_id": "c4", "from": "2003", "to": "2004", "kind": "internal",
                 "placed_s": 50.0, "phase": "during", "outcome": "failed", "status": 500,
                 "route": "local"}]})json",
      "cut/results.json");
  ASSERT_EQ(run.calls.size(), 4u);
  EXPECT_EQ(run.calls[1].expected, "unassigned_number");
  EXPECT_EQ(run.calls[1].shown_outcome(), "expected");
  EXPECT_EQ(run.calls[3].shown_outcome(), "failed");
  ScenarioRuns scenario;
  scenario.scenario = run.scenario;
  scenario.runs.push_back(run);
  const std::string html = render_html({scenario}, {});
  EXPECT_NE(html.find("<span class=\"dot outcome-expected\"></span>expected</th>"), std::string::npos);
  // during: 4 placed, 1 answered, 2 expected, 1 failed → success 1 / (4 − 2) = 50 %, not 25 %.
  EXPECT_NE(html.find("<td class=\"num\">50 %</td>"), std::string::npos);
  EXPECT_EQ(html.find("<td class=\"num\">25 %</td>"), std::string::npos);
  // The inbound column counts the expected call apart, without marking the cell bad.
  EXPECT_NE(html.find("<td class=\"num\">0 / 1 answered (1 expected)</td>"), std::string::npos);
  EXPECT_NE(html.find("failed <small>(expected: inbound_path_cut)</small>"), std::string::npos);
  EXPECT_NE(html.find("failed <small>(expected: unassigned_number)</small>"), std::string::npos);
  // The real failure is still red.
  EXPECT_NE(html.find("<td class=\"bad\">failed</td>"), std::string::npos);
}

TEST(ResilienceReport, ListsEachNodesCountersThatMovedWithTheirMeaning) {
  Results run = parse_results(
      R"json({"schema": 1, "scenario": "counted", "title": "", "seed": 1, "duration_s": 10.0,
              "phases": {"before": [0.0, 10.0], "during": [10.0, 10.0], "after": [10.0, 10.0]},
              "counters": {"resproxy": [
                {"name": "requests", "kind": "counter", "value": 1234, "help": "requests <received>"},
                {"name": "failovers", "kind": "counter", "value": 0, "help": "served locally"}]}})json",
      "counted/results.json");
  ASSERT_EQ(run.counters.size(), 1u);
  EXPECT_EQ(run.counters[0].first, "resproxy");
  ScenarioRuns scenario;
  scenario.scenario = run.scenario;
  scenario.runs.push_back(run);
  const std::string html = render_html({scenario}, {});
  EXPECT_NE(html.find("-counters\">Counters</h4>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td><code>requests</code></td><td>counter</td><td class=\"num\">1234</td>"
                      "<td>requests &lt;received&gt;</td></tr>"),
            std::string::npos);
  EXPECT_NE(html.find("At zero: failovers."), std::string::npos);
  EXPECT_THROW((void)parse_results(R"json({"schema": 1, "scenario": "x", "seed": 1, "counters": [1]})json",
                                   "x/results.json"),
               ReportError);
}

TEST(ResilienceReport, FlagsCallsThatConnectedWithoutAudioAndCountsThemByPhase) {
  Results run = parse_results(
      R"json({"schema": 1, "scenario": "heard", "title": "", "seed": 1, "duration_s": 100.0,
              "phases": {"before": [0.0, 30.0], "during": [30.0, 90.0], "after": [90.0, 100.0]},
              "metrics": {"audio_mos_median.before": 4.374, "audio_mos_min.before": 4.374,
                          "calls_poor_audio.before": 0, "audio_loss_ratio.before": 0.0,
                          "audio_jitter_ms.p95.before": 0.0, "audio_one_way_delay_ms.p95.before": 20.686,
                          "audio_mos_median.during": 3.214, "audio_mos_min.during": 3.214,
                          "calls_poor_audio.during": 1, "audio_loss_ratio.during": 0.05,
                          "audio_jitter_ms.p95.during": 13.2, "audio_one_way_delay_ms.p95.during": 120},
              "audio": {"talk_s": 15, "min_side_s": 1, "poor_mos": 3.597, "calls": [
                {"call_id": "ok-1", "start_s": 10, "phase": "before", "verdict": "two_way", "sides": [
                  {"ua": "phone-2001", "negotiated": true, "start_s": 10, "stop_s": 20, "sent": 500,
                   "received": 500, "voice": 500, "expected": 500, "lost": 0, "jitter_ms": 0,
                   "first_voice_ms": 42}]},
                {"call_id": "mute<1>", "start_s": 40, "phase": "during", "verdict": "one_way", "sides": [
                  {"ua": "phone-2002", "negotiated": true, "start_s": 40, "stop_s": 60, "sent": 1000,
                   "received": 1000, "voice": 0, "expected": 1000, "lost": 0, "jitter_ms": 0,
                   "first_voice_ms": null}]},
                {"call_id": "dead-1", "start_s": 50, "phase": "during", "verdict": "none", "sides": [
                  {"ua": "phone-2003", "negotiated": false, "start_s": 50, "stop_s": 60, "sent": 0,
                   "received": 0, "voice": 0, "expected": 0, "lost": 0, "jitter_ms": 0,
                   "first_voice_ms": null}]},
                {"call_id": "crackle-1", "start_s": 70, "phase": "during", "verdict": "two_way", "mos": 3.214,
                 "sides": [
                  {"ua": "phone-2004", "negotiated": true, "start_s": 70, "stop_s": 85, "sent": 750,
                   "received": 700, "voice": 700, "expected": 750, "lost": 50, "jitter_ms": 12.5,
                   "first_voice_ms": 240, "one_way_delay_ms": 120, "mos": 3.214}]}],
                "gateway": {"rtp_rx": 4065, "bridges_opened": 7}}})json",
      "heard/results.json");
  ASSERT_TRUE(run.audio.has_value());
  ASSERT_EQ(run.audio->calls.size(), 4u);
  EXPECT_EQ(run.audio->poor_mos, 3.597);
  EXPECT_EQ(run.audio->calls[3].mos, 3.214);
  EXPECT_EQ(run.audio->calls[3].sides[0].one_way_delay_ms, 120);
  EXPECT_FALSE(run.audio->calls[0].mos) << "absent: none";
  ScenarioRuns scenario;
  scenario.scenario = run.scenario;
  scenario.runs.push_back(run);
  const std::string html = render_html({scenario}, {});
  EXPECT_NE(html.find("-audio\">Audio</h4>"), std::string::npos);
  // before: 1 judged, both ways, and how it sounded: MOS median and min, poor calls, loss,
  // jitter p95, one-way delay p95 (the phase's metrics).
  EXPECT_NE(html.find("<tr><td>before</td><td class=\"num\">1</td><td class=\"num\">1</td>"
                      "<td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">0</td>"
                      "<td class=\"num\">4.37</td><td class=\"num\">4.37</td><td class=\"num\">0</td>"
                      "<td class=\"num\">0 %</td><td class=\"num\">0 ms</td><td class=\"num\">21 ms</td></tr>"),
            std::string::npos)
      << html.substr(html.find("<tr><td>before</td>"), 600);
  // during: 3 judged, one each one-way and silent, both marked bad; the two-way one rated poorly,
  // so its MOS cells and the poor count are marked too. No figures after: dashes.
  EXPECT_NE(html.find("<tr><td>during</td><td class=\"num\">3</td><td class=\"num\">1</td>"
                      "<td class=\"num bad\">1</td><td class=\"num bad\">1</td><td class=\"num\">0</td>"
                      "<td class=\"num bad\">3.21</td><td class=\"num bad\">3.21</td><td class=\"num bad\">1</td>"
                      "<td class=\"num\">5 %</td><td class=\"num\">13 ms</td><td class=\"num\">120 ms</td></tr>"),
            std::string::npos)
      << html.substr(html.find("<tr><td>during</td>"), 600);
  EXPECT_NE(html.find("<th class=\"num\">MOS median</th><th class=\"num\">MOS min</th><th class=\"num\">poor</th>"
                      "<th class=\"num\">loss</th><th class=\"num\">jitter p95</th>"
                      "<th class=\"num\">one-way delay p95</th>"),
            std::string::npos);
  EXPECT_NE(html.find("under 3.6 (R 70: many users dissatisfied) it is poor"), std::string::npos);
  EXPECT_NE(html.find("Calls that connected without audio both ways or with poor audio"), std::string::npos);
  // The poor call is listed with its MOS and what its side heard.
  EXPECT_NE(html.find("<code>crackle-1</code>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"bad\">poor: MOS 3.21</td>"), std::string::npos);
  EXPECT_NE(html.find("phone-2004: 750 sent, 700 heard, 700 with voice · MOS 3.21, 6.7 % lost, jitter 12.5 ms, "
                      "120 ms one way"),
            std::string::npos);
  EXPECT_NE(html.find("<code>mute&lt;1&gt;</code>"), std::string::npos) << "escaped";
  EXPECT_NE(html.find("phone-2002: 1000 sent, 1000 heard, 0 with voice"), std::string::npos);
  EXPECT_NE(html.find("phone-2003: no audio in the SDP"), std::string::npos);
  EXPECT_EQ(html.find("<code>ok-1</code>"), std::string::npos) << "a call with audio both ways is not listed";
  EXPECT_THROW((void)parse_results(R"json({"schema": 1, "scenario": "x", "seed": 1, "audio": {"calls": {}}})json",
                                   "x/results.json"),
               ReportError);
}

TEST(ResilienceReport, SummaryHasOneLinePerRunAndTheFailingExpectations) {
  const std::string& md = sample_report().markdown;
  EXPECT_EQ(md.rfind("# resproxy resilience report: FAIL\n", 0), 0u);
  EXPECT_NE(md.find("| **FAIL** | gateway-flap | 7 | 3/5 | 33 | 90.6 % | 85.7 % |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| PASS | itsp-outage-busy-hour | 1 | 8/8 | 53 | 97.9 % | 100 % | 100 % | "
                    "1.7 s | 12 s | 984 ms |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| **FAIL** | itsp-outage-busy-hour | 2 |"), std::string::npos);
  EXPECT_NE(md.find("| PASS | no-fault-baseline | 1 |"), std::string::npos);
  EXPECT_NE(md.find("\n## Failing expectations\n"), std::string::npos);
  EXPECT_EQ(count(md, "\n- "), 4u);
  EXPECT_NE(md.find("- itsp-outage-busy-hour seed 3 (line 43): call success ratio during the "
                    "outage >= 90 % — expected `call_success_ratio.during` ≥ 90 %, actual 81.8 %"),
            std::string::npos)
      << md;
}

TEST(ResilienceReport, SummaryEscapesMarkdownAndHtml) {
  Results run = parse_results(
      R"json({"schema": 1, "scenario": "a|b", "seed": 1, "expectations": [
           {"text": "<img src=x> *bold* [link](x)", "metric": "m", "op": ">=", "value": 1,
            "actual": 0, "passed": false, "line": 3}]})json",
      "r.json");
  ScenarioRuns scenario;
  scenario.scenario = run.scenario;
  scenario.runs.push_back(run);
  std::string md = render_summary_markdown({scenario}, {});
  EXPECT_NE(md.find("| a\\|b |"), std::string::npos) << md;
  EXPECT_NE(md.find("\\<img src=x> \\*bold\\* \\[link\\](x)"), std::string::npos) << md;
  EXPECT_EQ(md.find("<img src=x> *"), std::string::npos) << md;
}

TEST(ResilienceReport, RunReportWritesPageAndSummary) {
  fs::path dir = scratch("run") / "out";
  std::string results = kResults.string();
  std::string out = (dir / "page.html").string();
  std::vector<char*> argv = {const_cast<char*>("report"), results.data(),
                             const_cast<char*>("--out"), out.data()};
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_report(static_cast<int>(argv.size()), argv.data()), 0);
  std::string printed = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(printed.find("resproxy resilience report: FAIL"), std::string::npos) << printed;
  EXPECT_EQ(read(dir / "page.html"), sample_report().html);
  EXPECT_EQ(read(dir / "summary.md"), sample_report().markdown);

  std::vector<char*> no_dir = {const_cast<char*>("report")};
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(run_report(1, no_dir.data()), 2);
  (void)::testing::internal::GetCapturedStderr();
}

TEST(ResilienceReport, FormatsMetricsByTheirUnit) {
  EXPECT_EQ(format_metric("call_success_ratio.during", 0.8333), "83.3 %");
  EXPECT_EQ(format_metric("local_call_success_ratio.during", 0.9993), "99.93 %");
  EXPECT_EQ(format_metric("call_success_ratio", 1.0), "100 %");
  EXPECT_EQ(format_metric("detection_time_s", 1.7), "1.7 s");
  EXPECT_EQ(format_metric("pdd_ms.p95", 984.4), "984 ms");
  EXPECT_EQ(format_metric("registrations_failed", 0), "0");  // not a "ratio"
  EXPECT_EQ(format_metric("max_calls_in_progress", 12), "12");
  EXPECT_EQ(format_op(">="), "≥");
  EXPECT_EQ(format_clock(1201.75, true), "20:01.8");
  EXPECT_EQ(format_clock(3600), "1:00:00");
  EXPECT_EQ(format_fixed(-0.0001, 2), "0.00");
  EXPECT_EQ(truncate_text("INVITE sip:é@x", 9), "INVITE s…");
}

TEST(ResilienceReport, LadderGivesUnknownNodesALifelineAndCutsLongCalls) {
  LadderDiagram ladder;
  ladder.nodes = {"phone", "resproxy"};
  for (int i = 0; i < 100; ++i) {
    ladder.messages.push_back({i * 0.01, "resproxy", i % 2 == 0 ? "stranger" : "phone",
                               i % 2 == 0 ? "OPTIONS sip:x" : "486 Busy Here"});
  }
  std::string svg = render_ladder(ladder);
  EXPECT_EQ(count(svg, "class=\"lifeline\""), 3u);
  EXPECT_EQ(count(svg, "<polygon class=\"arrow-head\""), 80u);
  EXPECT_NE(svg.find("… 20 more messages not drawn"), std::string::npos);
  EXPECT_NE(svg.find("msg-error"), std::string::npos);
}

// Issue #12: "how many lines do I need" — with the real gateway, the spread table sets the
// measured blocking next to Erlang B and Engset for the offered traffic, seed by seed, whether or
// not an expectation names them.
TEST(ResilienceReport, SetsMeasuredPstnBlockingNextToErlangBAndEngset) {
  ScenarioRuns scenario;
  for (const auto& [seed, measured] : {std::pair{1, "0.041935"}, std::pair{2, "0.032934"}}) {
    Results run = parse_results(
        std::string(R"json({"schema": 1, "scenario": "busy", "title": "", "seed": )json") +
            std::to_string(seed) +
            R"json(, "duration_s": 60.0,
              "phases": {"before": [0.0, 10.0], "during": [10.0, 50.0], "after": [50.0, 60.0]},
              "calls": [],
              "metrics": {"pstn_offered_erlang": 25.322, "pstn_erlang_b_blocking": 0.056953,
                          "pstn_engset_blocking": 0.049233, "pstn_measured_blocking": )json" +
            measured + "}}",
        "busy/results.json");
    scenario.scenario = run.scenario;
    scenario.runs.push_back(run);
  }
  const std::string html = render_html({scenario}, {});
  const auto erlang_b = html.find("<td>PSTN blocking, Erlang B <code>");
  const auto engset = html.find("<td>PSTN blocking, Engset");
  const auto measured = html.find("<td>PSTN blocking, measured <code>");
  ASSERT_NE(erlang_b, std::string::npos);
  ASSERT_NE(engset, std::string::npos);
  ASSERT_NE(measured, std::string::npos);
  EXPECT_LT(erlang_b, engset);
  EXPECT_LT(engset, measured);
  EXPECT_NE(html.find("<td>PSTN traffic offered (Erlang) <code>"), std::string::npos);
}

}  // namespace
}  // namespace resproxy::report
