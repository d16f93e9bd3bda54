#pragma once
// The emulated exchange's numbering plan: ranges of national numbers ("01632960000" to
// "01632960999", "999") and what the subscriber behind each number does when called — answers
// after a delay (fixed, or drawn uniformly from a range with the exchange's seeded Rng), is busy,
// never answers, or does not exist — and how long an answered call lasts before the subscriber
// hangs up. Pure data and a pure look-up; the Exchange (exchange.h) acts on the answer.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/base/rng.h"
#include "proxy/base/time.h"

namespace resproxy::exchange {

enum class SubscriberKind : std::uint8_t {
  Answers,      // rings, then answers after `answer_after`
  Busy,         // cause 17 (busy tone on an analogue line)
  NoAnswer,     // rings until the caller gives up or the exchange's no-answer timer (cause 19)
  Unallocated,  // cause 1 with an announcement (NU tone on an analogue line)
};
[[nodiscard]] std::string_view to_string(SubscriberKind kind);

// A duration drawn uniformly in [min, max] at millisecond resolution from the exchange's Rng;
// min == max is a fixed value and draws nothing (so adding a fixed range moves no other draw).
struct DurationRange {
  Duration min{};
  Duration max{};
  [[nodiscard]] Duration draw(Rng& rng) const;
  [[nodiscard]] static DurationRange fixed(Duration d) { return {d, d}; }
  friend bool operator==(const DurationRange&, const DurationRange&) = default;
};

struct SubscriberProfile {
  SubscriberKind kind = SubscriberKind::Answers;
  DurationRange answer_after = DurationRange::fixed(std::chrono::seconds{3});
  // Answered: the subscriber hangs up (cause 16) after this; nullopt: stays until the office
  // clears.
  std::optional<DurationRange> hold_time;
  friend bool operator==(const SubscriberProfile&, const SubscriberProfile&) = default;
};

// Numbers `first`..`last` (digits only, the same length; a single number: first == last).
struct NumberRange {
  std::string first;
  std::string last;
  SubscriberProfile profile;
  // An emergency number (999, 112): always answers (the profile's kind is ignored) and is not
  // refused by the congestion fault; docs/gateway.md "The emulated exchange".
  bool emergency = false;
  friend bool operator==(const NumberRange&, const NumberRange&) = default;
};

// Digits 0-9 only, not empty.
[[nodiscard]] bool is_digits(std::string_view number);
// `number` lies in `range`: the same length as its bounds and between them.
[[nodiscard]] bool in_range(std::string_view number, std::string_view first, std::string_view last);

struct Subscriber {
  SubscriberProfile profile;
  bool emergency = false;
};

class NumberingPlan {
 public:
  NumberingPlan() = default;
  explicit NumberingPlan(std::vector<NumberRange> ranges) : ranges_(std::move(ranges)) {}

  void add(NumberRange range) { ranges_.push_back(std::move(range)); }
  [[nodiscard]] const std::vector<NumberRange>& ranges() const { return ranges_; }

  // The subscriber behind `number`: the narrowest range containing it wins (a single number
  // overrides its block), the first listed among equals. nullopt: no range has it — the
  // exchange treats it as unallocated.
  [[nodiscard]] std::optional<Subscriber> find(std::string_view number) const;

 private:
  std::vector<NumberRange> ranges_;
};

// The fiction ranges of the demo: 01632 960000–960999 (Ofcom's drama range) answer after 2–5 s
// and stay until the office clears; 999 and 112 answer after 1 s.
[[nodiscard]] NumberingPlan demo_numbering_plan();

}  // namespace resproxy::exchange
