// AEDAT 4.0 files (speckctl write / simulate FILE.aedat4): the header and
// its infoNode, every packet verified before it is read, LZ4 packets
// decompressed within bounds.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "proto/recording/aedat4_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string* path = new std::string(
      "/tmp/speckd-aedat4-fuzz-" + std::to_string(getpid()) + ".aedat4");
  std::FILE* f = std::fopen(path->c_str(), "wb");
  if (f == nullptr) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  auto reader = speckd::recording::Aedat4Reader::Open(*path);
  if (!reader.ok()) return 0;
  size_t events = 0;
  while (auto packet = (*reader)->Next()) events += packet->events.size();
  (void)(*reader)->problem();
  return events == static_cast<size_t>(-1);
}
