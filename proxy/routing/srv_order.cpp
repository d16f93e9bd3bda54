#include "proxy/routing/srv_order.h"

#include <algorithm>

namespace resproxy::routing {

bool is_no_service_target(std::string_view target) { return target.empty() || target == "."; }

bool says_service_unavailable(std::span<const SrvRecord> records) {
  return !records.empty() && std::all_of(records.begin(), records.end(), [](const SrvRecord& r) {
    return is_no_service_target(r.target);
  });
}

std::vector<SrvRecord> order_srv_records(std::span<const SrvRecord> records, Rng& rng) {
  std::vector<SrvRecord> usable;
  usable.reserve(records.size());
  for (const auto& r : records) {
    if (!is_no_service_target(r.target)) usable.push_back(r);
  }
  // Stable: records of one priority keep their DNS order before the weighted draw.
  std::stable_sort(usable.begin(), usable.end(), [](const SrvRecord& a, const SrvRecord& b) {
    return a.priority < b.priority;
  });

  std::vector<SrvRecord> out;
  out.reserve(usable.size());
  auto group_begin = usable.begin();
  while (group_begin != usable.end()) {
    const auto group_end =
        std::find_if(group_begin, usable.end(),
                     [p = group_begin->priority](const SrvRecord& r) { return r.priority != p; });
    // RFC 2782: "arrange all SRV RRs (that have not been ordered yet) in any order, except that
    // all those with weight 0 are placed at the beginning of the list".
    std::vector<SrvRecord> left(group_begin, group_end);
    std::stable_partition(left.begin(), left.end(),
                          [](const SrvRecord& r) { return r.weight == 0; });
    while (left.size() > 1) {
      std::uint64_t sum = 0;
      for (const auto& r : left) sum += r.weight;
      // "choose a uniform random number between 0 and the sum computed (inclusive), and select
      // the RR whose running sum value is the first in the selected order which is greater than
      // or equal to the random number selected".
      const std::uint64_t draw = rng.uniform(sum + 1);
      std::uint64_t running = 0;
      std::size_t pick = left.size() - 1;
      for (std::size_t i = 0; i < left.size(); ++i) {
        running += left[i].weight;
        if (running >= draw) {
          pick = i;
          break;
        }
      }
      out.push_back(std::move(left[pick]));
      left.erase(left.begin() + static_cast<std::ptrdiff_t>(pick));
    }
    if (!left.empty()) out.push_back(std::move(left.front()));
    group_begin = group_end;
  }
  return out;
}

}  // namespace resproxy::routing
