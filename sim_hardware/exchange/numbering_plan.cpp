#include "sim_hardware/exchange/numbering_plan.h"

#include <limits>

namespace resproxy::exchange {

std::string_view to_string(SubscriberKind kind) {
  switch (kind) {
    case SubscriberKind::Answers: return "answers";
    case SubscriberKind::Busy: return "busy";
    case SubscriberKind::NoAnswer: return "no_answer";
    case SubscriberKind::Unallocated: return "unallocated";
  }
  return "unknown";
}

Duration DurationRange::draw(Rng& rng) const {
  if (max <= min) return min;
  const auto span_ms = std::chrono::duration_cast<std::chrono::milliseconds>(max - min).count();
  if (span_ms <= 0) return min;
  return min + std::chrono::milliseconds(
                   static_cast<std::int64_t>(rng.uniform(static_cast<std::uint64_t>(span_ms) + 1)));
}

bool is_digits(std::string_view number) {
  if (number.empty()) return false;
  for (const char c : number) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool in_range(std::string_view number, std::string_view first, std::string_view last) {
  // Equal-length digit strings compare as the numbers they spell.
  return number.size() == first.size() && number.size() == last.size() && is_digits(number) &&
         first <= number && number <= last;
}

namespace {

// How many numbers a range holds, saturating (only compared).
std::uint64_t width(const NumberRange& r) {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  for (std::size_t i = 0; i < r.first.size() && i < r.last.size(); ++i) {
    if (a > std::numeric_limits<std::uint64_t>::max() / 10 - 10) {
      return std::numeric_limits<std::uint64_t>::max();
    }
    a = a * 10 + static_cast<std::uint64_t>(r.first[i] - '0');
    b = b * 10 + static_cast<std::uint64_t>(r.last[i] - '0');
  }
  return b >= a ? b - a : 0;
}

}  // namespace

std::optional<Subscriber> NumberingPlan::find(std::string_view number) const {
  const NumberRange* best = nullptr;
  for (const NumberRange& r : ranges_) {
    if (!in_range(number, r.first, r.last)) continue;
    if (!best || width(r) < width(*best)) best = &r;
  }
  if (!best) return std::nullopt;
  Subscriber s{.profile = best->profile, .emergency = best->emergency};
  if (s.emergency) s.profile.kind = SubscriberKind::Answers;
  return s;
}

NumberingPlan demo_numbering_plan() {
  using std::chrono::seconds;
  NumberingPlan plan;
  plan.add({.first = "01632960000",
            .last = "01632960999",
            .profile = {.kind = SubscriberKind::Answers,
                        .answer_after = {seconds{2}, seconds{5}},
                        .hold_time = std::nullopt}});
  for (const char* emergency : {"999", "112"}) {
    plan.add({.first = emergency,
              .last = emergency,
              .profile = {.kind = SubscriberKind::Answers,
                          .answer_after = DurationRange::fixed(seconds{1}),
                          .hold_time = std::nullopt},
              .emergency = true});
  }
  return plan;
}

}  // namespace resproxy::exchange
