// The AEDAT 4.0 reader on files written here: speckd's own export
// (uncompressed), the same file with every packet LZ4-compressed as DV
// records them, and damaged or foreign files.
#include "proto/recording/aedat4_reader.h"

#include <lz4frame.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/recording/aedat4/ioheader_generated.h"
#include "proto/recording/export.h"
#include "proto/recording/record_writer.h"
#include "tests/util/subprocess.h"

namespace speckd::recording {
namespace {

namespace v1 = ::speckd::v1;
using ::testing::HasSubstr;

std::string Temp(const std::string& name) {
  return absl::StrCat(testing::TempDir(), "/", name);
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

uint32_t Fixed32(const std::string& s, size_t at) {
  uint32_t v;
  std::memcpy(&v, s.data() + at, 4);
  return v;
}

// 1000 DVS inputs in two records, exported as AEDAT 4.0.
std::string Exported() {
  const std::string rec = Temp("aedat.speckrec");
  std::remove(rec.c_str());
  v1::RecordingHeader header;
  header.set_epoch_start_unix_us(1700000000000000);
  v1::RecordedStream* s = header.add_streams();
  s->set_id(1);
  s->set_kind(v1::INPUTS);
  auto writer = RecordWriter::Create(rec, header, {});
  EXPECT_TRUE(writer.ok()) << writer.status();
  for (int part = 0; part < 2; ++part) {
    v1::RecordedInputs in;
    v1::DvsEventColumns* d = in.mutable_dvs_events();
    for (int i = 0; i < 500; ++i) {
      const uint64_t t = 1000 * (part * 500 + i);
      d->mutable_timestamp_us()->append(reinterpret_cast<const char*>(&t), 8);
      d->mutable_x()->push_back(static_cast<char>(i % 128));
      d->mutable_y()->push_back(static_cast<char>((i * 7) % 128));
      d->mutable_p()->push_back(static_cast<char>(i % 2));
    }
    EXPECT_TRUE((*writer)->Append(1, 500, {in.SerializeAsString()}).ok());
  }
  EXPECT_TRUE((*writer)->Finish({}).ok());
  const std::string out = Temp("events.aedat4");
  EXPECT_TRUE(ExportRecording(rec, out, ExportFormat::kAedat4).ok());
  return out;
}

std::vector<Aedat4Event> ReadEvents(const std::string& path,
                                    Aedat4Reader** keep = nullptr) {
  static std::unique_ptr<Aedat4Reader> last;
  auto reader = Aedat4Reader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status();
  std::vector<Aedat4Event> out;
  if (!reader.ok()) return out;
  while (std::optional<Aedat4Packet> p = (*reader)->Next()) {
    out.insert(out.end(), p->events.begin(), p->events.end());
  }
  last = *std::move(reader);
  if (keep != nullptr) *keep = last.get();
  return out;
}

void ExpectTheInputs(const std::vector<Aedat4Event>& events) {
  ASSERT_EQ(events.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(events[i].timestamp_us, 1700000000000000 + 1000 * i) << i;
    ASSERT_EQ(events[i].x, (i % 500) % 128) << i;
    ASSERT_EQ(events[i].y, ((i % 500) * 7) % 128) << i;
    ASSERT_EQ(events[i].on, (i % 500) % 2 == 1) << i;
  }
}

TEST(Aedat4ReaderTest, ReadsSpeckdsExportWithItsStreams) {
  Aedat4Reader* reader = nullptr;
  ExpectTheInputs(ReadEvents(Exported(), &reader));
  EXPECT_TRUE(reader->problem().ok()) << reader->problem();
  ASSERT_EQ(reader->streams().size(), 2u);
  EXPECT_EQ(reader->streams()[0].name, "inputs");
  EXPECT_EQ(reader->streams()[0].type, "EVTS");
  EXPECT_EQ(reader->streams()[0].size_x, 128);
}

// The exported file re-encoded as DV records: the header says LZ4 and every
// packet is an LZ4 frame.
TEST(Aedat4ReaderTest, ReadsLz4CompressedPackets) {
  const std::string plain = ReadAll(Exported());
  const uint32_t header_size = Fixed32(plain, 14);
  const auto* h = speckd::aedat4::GetSizePrefixedIOHeader(plain.data() + 14);
  flatbuffers::FlatBufferBuilder b;
  speckd::aedat4::FinishSizePrefixedIOHeaderBuffer(
      b,
      speckd::aedat4::CreateIOHeaderDirect(
          b, speckd::aedat4::CompressionType_LZ4, -1, h->info_node()->c_str()));
  std::string lz4 = plain.substr(0, 14);
  lz4.append(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
  const int64_t table = h->data_table_position();
  for (size_t at = 18 + header_size; static_cast<int64_t>(at) < table;) {
    const uint32_t size = Fixed32(plain, at + 4);
    std::string frame(LZ4F_compressFrameBound(size, nullptr), '\0');
    frame.resize(LZ4F_compressFrame(frame.data(), frame.size(),
                                    plain.data() + at + 8, size, nullptr));
    const uint32_t compressed = static_cast<uint32_t>(frame.size());
    lz4.append(plain, at, 4);
    lz4.append(reinterpret_cast<const char*>(&compressed), 4);
    lz4 += frame;
    at += 8 + size;
  }
  const std::string path = Temp("events-lz4.aedat4");
  WriteAll(path, lz4);
  Aedat4Reader* reader = nullptr;
  ExpectTheInputs(ReadEvents(path, &reader));
  EXPECT_TRUE(reader->problem().ok()) << reader->problem();
}

TEST(Aedat4ReaderTest, AFileCutOffReadsItsWholePacketsAndOthersAreRefused) {
  const std::string plain = ReadAll(Exported());
  const std::string cut = Temp("cut.aedat4");
  WriteAll(cut, plain.substr(0, plain.size() - 6000));
  Aedat4Reader* reader = nullptr;
  const std::vector<Aedat4Event> events = ReadEvents(cut, &reader);
  EXPECT_EQ(events.size(), 500u);  // the first packet only
  const std::string csv = Temp("not.aedat4");
  WriteAll(csv, "timestamp_us,x,y,p\n1,2,3,1\n");
  absl::StatusOr<std::unique_ptr<Aedat4Reader>> refused =
      Aedat4Reader::Open(csv);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("not an AEDAT 4.0 file"));
}

}  // namespace
}  // namespace speckd::recording
