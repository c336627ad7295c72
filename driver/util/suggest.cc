#include "driver/util/suggest.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace speckd {

int EditDistance(absl::string_view a, absl::string_view b) {
  const size_t n = a.size(), m = b.size();
  // Three rows of the optimal-string-alignment table.
  std::vector<int> before(m + 1), previous(m + 1), row(m + 1);
  for (size_t j = 0; j <= m; ++j) previous[j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    row[0] = static_cast<int>(i);
    for (size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] =
          std::min({previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        row[j] = std::min(row[j], before[j - 2] + 1);
      }
    }
    before.swap(previous);
    previous.swap(row);
  }
  return previous[m];
}

std::string Suggest(absl::string_view typed,
                    const std::vector<std::string>& candidates) {
  // One or two letters are too short to tell a typo from another word.
  if (typed.size() < 3) return "";
  const std::string lower = absl::AsciiStrToLower(typed);
  const int allowed = std::max<int>(1, static_cast<int>(typed.size()) / 3);
  std::string best;
  int best_distance = allowed + 1;
  for (const std::string& c : candidates) {
    const int d = EditDistance(lower, absl::AsciiStrToLower(c));
    if (d > 0 && d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

std::string DidYouMean(absl::string_view typed,
                       const std::vector<std::string>& candidates) {
  const std::string best = Suggest(typed, candidates);
  return best.empty() ? "" : absl::StrCat(" (did you mean ", best, "?)");
}

}  // namespace speckd
