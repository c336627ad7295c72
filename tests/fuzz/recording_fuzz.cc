// Recording files (what speckd reads back when listing, serving and
// replaying recordings, and what clients read after a download): the
// reader's record checks, the summary's trailer shortcut, and every body
// parsed as the message it claims to be.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "proto/recording/record_reader.h"
#include "proto/recording/recording_summary.h"
#include "proto/speckd/v1/events.pb.h"
#include "proto/speckd/v1/recording.pb.h"

namespace {

// The reader works on files: one per process, rewritten for each input.
const std::string& Path() {
  static const std::string* path = new std::string(
      "/tmp/speckd-recording-fuzz-" + std::to_string(getpid()) + ".speckrec");
  return *path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace recording = speckd::recording;
  namespace v1 = speckd::v1;
  std::FILE* f = std::fopen(Path().c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  (void)recording::SummarizeRecording(Path());
  auto reader = recording::RecordReader::Open(Path());
  if (!reader.ok()) return 0;
  while (std::optional<recording::Record> r = (*reader)->Next()) {
    if (r->type == recording::RecordType::kData) {
      v1::StreamMessage message;
      (void)message.ParseFromString(r->body);
      v1::RecordedInputs inputs;
      (void)inputs.ParseFromString(r->body);
    } else if (r->type == recording::RecordType::kIndex) {
      v1::RecordingIndex index;
      (void)index.ParseFromString(r->body);
    }
  }
  (void)(*reader)->problem();
  return 0;
}
