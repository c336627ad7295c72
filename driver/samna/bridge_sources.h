// The bridge's Python sources, built into speckd (embed_sources.py), so that
// a daemon needs no install path to find them: BridgeProcess writes them
// into its working directory before starting the bridge.
#ifndef SPECKD_DRIVER_SAMNA_BRIDGE_SOURCES_H_
#define SPECKD_DRIVER_SAMNA_BRIDGE_SOURCES_H_

#include <vector>

#include "absl/strings/string_view.h"

namespace speckd::driver::samna {

struct BridgeSource {
  absl::string_view name;  // "speckd_samna_bridge.py", ...
  absl::string_view text;
};

// The script to run is the first.
const std::vector<BridgeSource>& BridgeSources();

}  // namespace speckd::driver::samna

#endif  // SPECKD_DRIVER_SAMNA_BRIDGE_SOURCES_H_
