// The recording file format on real files: what is written reads back
// record for record; a file cut off anywhere reads up to its last whole
// record; a flipped byte is found and its record's offset named; the size
// limit and a full disk end writing with a status and leave a valid file.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/recording/record_reader.h"
#include "proto/recording/record_writer.h"
#include "proto/recording/recording_summary.h"

namespace speckd::recording {
namespace {

namespace v1 = ::speckd::v1;
using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
  std::remove(path.c_str());
  return path;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

v1::RecordingHeader Header() {
  v1::RecordingHeader header;
  header.set_format_version(1);
  header.set_name("t");
  header.set_device_id("speck2edevkit-sim:0");
  v1::RecordedStream* inputs = header.add_streams();
  inputs->set_id(1);
  inputs->set_kind(v1::INPUTS);
  v1::RecordedStream* spikes = header.add_streams();
  spikes->set_id(2);
  spikes->set_kind(v1::SPIKES);
  return header;
}

// Writes `n` data records alternating between streams 1 and 2, record i
// holding i items and the text "message i"; ends cleanly if `finish`.
std::string WriteRecording(const std::string& name, int n, bool finish,
                           RecordWriterOptions options = {}) {
  const std::string path = TempPath(name);
  auto writer = RecordWriter::Create(path, Header(), options);
  EXPECT_TRUE(writer.ok()) << writer.status();
  for (int i = 0; i < n; ++i) {
    const std::string message = absl::StrCat("message ", i);
    EXPECT_TRUE((*writer)->Append(1 + i % 2, i, {message}).ok());
    if (i % 10 == 9) {
      EXPECT_TRUE((*writer)->Flush(i).ok());
    }
  }
  if (finish) {
    v1::RecordingEnd end;
    end.set_end_stop_watch_us(n);
    EXPECT_TRUE((*writer)->Finish(end).ok());
  }
  return path;
}

// The data records of `path`, as "stream:items:message".
std::vector<std::string> DataIn(const std::string& path,
                                RecordReader** keep = nullptr) {
  static std::unique_ptr<RecordReader> last;
  auto reader = RecordReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status();
  std::vector<std::string> out;
  if (!reader.ok()) return out;
  while (std::optional<Record> r = (*reader)->Next()) {
    if (r->type != RecordType::kData) continue;
    out.push_back(absl::StrCat(r->stream, ":", r->items, ":", r->body));
  }
  last = *std::move(reader);
  if (keep != nullptr) *keep = last.get();
  return out;
}

TEST(RecordFileTest, WhatIsWrittenReadsBackAndEndsCleanly) {
  const std::string path =
      WriteRecording("clean.speckrec", 100, true, {.index_every_bytes = 256});
  RecordReader* reader = nullptr;
  std::vector<std::string> data = DataIn(path, &reader);
  ASSERT_EQ(data.size(), 100u);
  EXPECT_EQ(data[0], "1:0:message 0");
  EXPECT_EQ(data[99], "2:99:message 99");
  EXPECT_TRUE(reader->ended_cleanly());
  EXPECT_TRUE(reader->problem().ok()) << reader->problem();
  EXPECT_EQ(reader->header().device_id(), "speck2edevkit-sim:0");
  EXPECT_EQ(reader->unread_bytes(), 0u);

  absl::StatusOr<v1::Recording> summary = SummarizeRecording(path);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->name(), "clean");
  EXPECT_TRUE(summary->ended_cleanly());
  ASSERT_EQ(summary->counts_size(), 2);
  EXPECT_EQ(summary->counts(0).records(), 50u);
  EXPECT_EQ(summary->counts(0).items(), 2450u);  // 0 + 2 + ... + 98
  EXPECT_EQ(summary->counts(1).items(), 2500u);  // 1 + 3 + ... + 99
  EXPECT_EQ(summary->end_stop_watch_us(), 100u);
  EXPECT_EQ(summary->problem(), "");
}

// kill -9 at any moment leaves some prefix of the bytes: every prefix reads
// as a prefix of the records, without a false problem.
TEST(RecordFileTest, AFileCutOffAnywhereReadsUpToItsLastWholeRecord) {
  const std::string original = WriteRecording("cut.speckrec", 30, false);
  const std::string whole = ReadAll(original);
  size_t first_data = 0;  // everything before it is the header
  {
    auto reader = RecordReader::Open(original);
    ASSERT_TRUE(reader.ok()) << reader.status();
    first_data = (*reader)->Next()->offset;
  }
  const std::string path = TempPath("cut_prefix.speckrec");
  size_t previous = 0;
  for (size_t size = first_data; size <= whole.size(); ++size) {
    WriteAll(path, whole.substr(0, size));
    RecordReader* reader = nullptr;
    std::vector<std::string> data = DataIn(path, &reader);
    ASSERT_GE(data.size(), previous) << size;
    for (size_t i = 0; i < data.size(); ++i) {
      ASSERT_EQ(data[i], absl::StrCat(1 + i % 2, ":", i, ":message ", i));
    }
    EXPECT_TRUE(reader->problem().ok()) << size << ": " << reader->problem();
    EXPECT_FALSE(reader->ended_cleanly());
    previous = data.size();
  }
  EXPECT_EQ(previous, 30u);
  absl::StatusOr<v1::Recording> summary = SummarizeRecording(path);
  ASSERT_TRUE(summary.ok());
  EXPECT_FALSE(summary->ended_cleanly());
  EXPECT_EQ(summary->counts(0).records() + summary->counts(1).records(), 30u);
}

TEST(RecordFileTest, AFlippedByteIsFoundAndItsRecordNamed) {
  const std::string path = WriteRecording("flip.speckrec", 20, true);
  std::string bytes = ReadAll(path);
  // Find the offset of data record 10 with a reader first.
  uint64_t offset = 0;
  {
    auto reader = RecordReader::Open(path);
    ASSERT_TRUE(reader.ok());
    int seen = 0;
    while (std::optional<Record> r = (*reader)->Next()) {
      if (r->type == RecordType::kData && seen++ == 10) offset = r->offset;
    }
  }
  ASSERT_GT(offset, 0u);
  bytes[offset + 12] ^= 0x01;  // inside its body
  WriteAll(path, bytes);
  RecordReader* reader = nullptr;
  EXPECT_EQ(DataIn(path, &reader).size(), 10u);
  EXPECT_EQ(reader->problem().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(reader->problem().message(),
              HasSubstr(absl::StrCat("record at byte ", offset,
                                     ": checksum mismatch")));
  EXPECT_FALSE(reader->ended_cleanly());
  absl::StatusOr<v1::Recording> summary = SummarizeRecording(path);
  ASSERT_TRUE(summary.ok());
  // The trailer still points at a good end record: it says so, and counts
  // come from there; the damage is found when reading.
  EXPECT_TRUE(summary->ended_cleanly());
}

TEST(RecordFileTest, NotARecordingIsSaidSo) {
  const std::string path = TempPath("not.speckrec");
  WriteAll(path, "timestamp_us,x,y,p\n1,2,3,1\n");
  absl::StatusOr<std::unique_ptr<RecordReader>> reader =
      RecordReader::Open(path);
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(reader.status().message(), HasSubstr("not a speckd recording"));
  EXPECT_EQ(RecordReader::Open(TempPath("missing.speckrec")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(RecordFileTest, TheSizeLimitRefusesMoreAndTheFileStaysValid) {
  const std::string path = TempPath("limit.speckrec");
  auto writer =
      RecordWriter::Create(path, Header(), {.max_bytes = (64 << 10) + 2000});
  ASSERT_TRUE(writer.ok());
  const std::string message(100, 'x');
  int appended = 0;
  absl::Status s;
  while ((s = (*writer)->Append(1, 1, {message})).ok()) ++appended;
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("size limit"));
  EXPECT_GT(appended, 5);
  ASSERT_TRUE((*writer)->Finish({}).ok());
  RecordReader* reader = nullptr;
  EXPECT_EQ(DataIn(path, &reader).size(), static_cast<size_t>(appended));
  EXPECT_TRUE(reader->ended_cleanly());
}

// A full disk, as the file-size limit makes one: the write fails with
// RESOURCE_EXHAUSTED, and the file still reads up to its last whole record.
TEST(RecordFileTest, AFullDiskEndsWritingAtAWholeRecord) {
  const std::string path = TempPath("full.speckrec");
  signal(SIGXFSZ, SIG_IGN);
  rlimit saved{};
  getrlimit(RLIMIT_FSIZE, &saved);
  auto writer = RecordWriter::Create(path, Header(), {});
  ASSERT_TRUE(writer.ok());
  rlimit small = saved;
  small.rlim_cur = 4000;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const std::string message(300, 'y');
  absl::Status s;
  for (int i = 0; i < 100 && s.ok(); ++i) {
    s = (*writer)->Append(1, 1, {message});
    if (s.ok()) s = (*writer)->Flush(0);
  }
  setrlimit(RLIMIT_FSIZE, &saved);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_THAT(s.message(), HasSubstr("no room on disk"));
  {
    RecordReader* reader = nullptr;
    std::vector<std::string> data = DataIn(path, &reader);
    EXPECT_GT(data.size(), 5u);
    EXPECT_TRUE(reader->problem().ok()) << reader->problem();
    EXPECT_EQ(reader->unread_bytes(), 0u);  // the partial record was cut off
  }
  // Room again (as the cut-off records free some): the end record still
  // goes in, saying why, with the counts of what the file holds.
  v1::RecordingEnd end;
  end.set_status_code(static_cast<int>(s.code()));
  EXPECT_EQ((*writer)->Finish(end).code(),
            absl::StatusCode::kResourceExhausted);
  RecordReader* reader = nullptr;
  std::vector<std::string> data = DataIn(path, &reader);
  EXPECT_TRUE(reader->ended_cleanly());
  absl::StatusOr<v1::Recording> summary = SummarizeRecording(path);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->end_status_code(),
            static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(summary->counts(0).records(), data.size());
}

}  // namespace
}  // namespace speckd::recording
