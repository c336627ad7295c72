#include "tests/util/tutorial_example.h"

#include "clients/cli/event_csv.h"
#include "proto/codec/config_codec.h"
#include "proto/codec/events_codec.h"
#include "tests/util/subprocess.h"

namespace speckd::testing {

absl::StatusOr<TutorialExample> LoadTutorialExample() {
  TutorialExample example;
  absl::StatusOr<chip::SpeckConfig> config =
      codec::LoadConfigFile(RunfilePath("examples/tutorial/config.json"));
  if (!config.ok()) return config.status();
  example.config = *std::move(config);
  absl::StatusOr<cli::EventFile> file = cli::ReadEventCsv(
      RunfilePath("examples/tutorial/events.csv"), &example.config);
  if (!file.ok()) return file.status();
  absl::StatusOr<std::vector<chip::InputEvent>> inputs =
      codec::InputsFromProto(file->events, example.config);
  if (!inputs.ok()) return inputs.status();
  example.inputs = *std::move(inputs);
  return example;
}

}  // namespace speckd::testing
