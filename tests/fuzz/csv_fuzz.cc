// The CSV event files speckctl reads (`write --file`, `simulate`), checked
// against the tutorial's configuration.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "clients/cli/event_csv.h"
#include "tests/util/tutorial_example.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const speckd::chip::SpeckConfig* config =
      new speckd::chip::SpeckConfig(
          speckd::testing::LoadTutorialExample().value().config);
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  (void)speckd::cli::ParseEventCsv("fuzz.csv", text, nullptr);
  (void)speckd::cli::ParseEventCsv("fuzz.csv", text, config);
  return 0;
}
