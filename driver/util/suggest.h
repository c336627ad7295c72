// "Did you mean …?" for names a person typed: the closest candidate by edit
// distance, when it is close enough to be a typo.
//
//   Suggest("treshold_high", {"threshold_high", "threshold_low"})
//       == "threshold_high"
#ifndef SPECKD_DRIVER_UTIL_SUGGEST_H_
#define SPECKD_DRIVER_UTIL_SUGGEST_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace speckd {

// Levenshtein distance (insertions, deletions, substitutions; a swap of two
// neighbours counts one).
int EditDistance(absl::string_view a, absl::string_view b);

// The candidate closest to `typed` (3 letters or more), if at most a third
// of its letters (and at least one) differ; empty when nothing is that close.
std::string Suggest(absl::string_view typed,
                    const std::vector<std::string>& candidates);

// " (did you mean X?)" or "".
std::string DidYouMean(absl::string_view typed,
                       const std::vector<std::string>& candidates);

}  // namespace speckd

#endif  // SPECKD_DRIVER_UTIL_SUGGEST_H_
