// Exports of a small recording written here (inputs, output spikes, power):
// CSV text exactly, and the .npz read back by numpy itself (an independent
// reader of both the zip and the .npy layout).
#include "proto/recording/export.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/recording/record_writer.h"
#include "tests/util/subprocess.h"

namespace speckd::recording {
namespace {

namespace v1 = ::speckd::v1;

std::string Temp(const std::string& name) {
  return absl::StrCat(testing::TempDir(), "/", name);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

template <typename T>
std::string Le(std::initializer_list<T> values) {
  std::string out;
  for (T v : values) out.append(reinterpret_cast<const char*>(&v), sizeof(T));
  return out;
}

// Inputs (3 DVS events), output spikes (2), power (1 sample), and a notice.
std::string MakeRecording() {
  const std::string path = Temp("export.speckrec");
  std::remove(path.c_str());
  v1::RecordingHeader header;
  header.set_format_version(1);
  header.set_configured(true);
  header.set_epoch_start_unix_us(1700000000000000);
  header.mutable_configuration()->mutable_dvs_layer()->mutable_cut()->set_x(15);
  header.mutable_configuration()->mutable_dvs_layer()->mutable_cut()->set_y(15);
  const v1::RecordingStream kinds[] = {v1::INPUTS, v1::SPIKES, v1::POWER,
                                       v1::READOUT};
  for (int i = 0; i < 4; ++i) {
    v1::RecordedStream* s = header.add_streams();
    s->set_id(i + 1);
    s->set_kind(kinds[i]);
  }
  auto writer = RecordWriter::Create(path, header, {});
  EXPECT_TRUE(writer.ok()) << writer.status();
  v1::RecordedInputs inputs;
  inputs.mutable_dvs_events()->set_timestamp_us(
      Le<uint64_t>({5000, 5200, 5400}));
  inputs.mutable_dvs_events()->set_x(Le<uint8_t>({13, 15, 1}));
  inputs.mutable_dvs_events()->set_y(Le<uint8_t>({0, 6, 2}));
  inputs.mutable_dvs_events()->set_p(Le<uint8_t>({1, 1, 0}));
  EXPECT_TRUE((*writer)->Append(1, 3, {inputs.SerializeAsString()}).ok());
  v1::StreamMessage spikes;
  for (uint64_t t : {5000, 5200}) {
    spikes.mutable_spikes()->add_timestamp_us(t);
    spikes.mutable_spikes()->add_layer(0);
    spikes.mutable_spikes()->add_feature(t == 5000 ? 0 : 1);
    spikes.mutable_spikes()->add_x(0);
    spikes.mutable_spikes()->add_y(0);
  }
  EXPECT_TRUE((*writer)->Append(2, 2, {spikes.SerializeAsString()}).ok());
  v1::StreamMessage notice;
  notice.mutable_notice()->set_kind(v1::StreamNotice::STOP_WATCH_RESET);
  EXPECT_TRUE((*writer)->Append(2, 0, {notice.SerializeAsString()}).ok());
  v1::StreamMessage power;
  power.mutable_measurements()->add_timestamp_us(100000);
  power.mutable_measurements()->add_channel(v1::VDD_LOGIC);
  power.mutable_measurements()->add_value(0.25);
  EXPECT_TRUE((*writer)->Append(3, 1, {power.SerializeAsString()}).ok());
  v1::StreamMessage readout;
  v1::ReadoutValue* value = readout.mutable_readout()->add_values();
  value->set_timestamp_us(5500);
  value->set_value(7);
  v1::ReadoutPinValue* pin = readout.mutable_readout()->add_pins();
  pin->set_timestamp_us(5600);
  pin->set_index(2);
  EXPECT_TRUE((*writer)->Append(4, 2, {readout.SerializeAsString()}).ok());
  EXPECT_TRUE((*writer)->Finish({}).ok());
  return path;
}

TEST(ExportTest, CsvHasOneFilePerTableInTheSharedFormats) {
  const std::string out = Temp("run.csv");
  absl::StatusOr<ExportResult> r =
      ExportRecording(MakeRecording(), out, ExportFormat::kCsv);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rows["inputs"], 3u);
  EXPECT_EQ(r->rows["spikes"], 2u);
  EXPECT_EQ(r->rows["power"], 1u);
  EXPECT_EQ(ReadAll(Temp("run.inputs.csv")),
            "timestamp_us,x,y,p\n5000,13,0,1\n5200,15,6,1\n5400,1,2,0\n");
  EXPECT_EQ(ReadAll(Temp("run.spikes.csv")),
            "timestamp_us,layer,feature,x,y\n5000,0,0,0,0\n5200,0,1,0,0\n");
  EXPECT_EQ(ReadAll(Temp("run.power.csv")),
            "timestamp_us,channel,watts\n100000,2,0.25\n");
  EXPECT_EQ(ReadAll(Temp("run.readout.csv")), "timestamp_us,value\n5500,7\n");
  EXPECT_EQ(ReadAll(Temp("run.readout_pins.csv")),
            "timestamp_us,index\n5600,2\n");
}

TEST(ExportTest, NpzOpensInNumpyWithEveryColumn) {
  const std::string out = Temp("run.npz");
  absl::StatusOr<ExportResult> r =
      ExportRecording(MakeRecording(), out, ExportFormat::kNpz);
  ASSERT_TRUE(r.ok()) << r.status();
  const std::string script = absl::StrCat(
      "import numpy as np\n"
      "f = np.load('",
      out,
      "')\n"
      "print(sorted(f.files))\n"
      "print(f['inputs_t'].tolist(), f['inputs_x'].dtype, "
      "f['inputs_p'].tolist())\n"
      "print(f['spikes_feature'].tolist(), f['spikes_feature'].dtype)\n"
      "print(f['power_value'].tolist())\n");
  absl::StatusOr<testing::RunResult> python = testing::Subprocess::Run(
      "/usr/bin/python3", {"-c", script}, absl::Seconds(60));
  ASSERT_TRUE(python.ok()) << python.status();
  ASSERT_EQ(python->exit_code, 0) << python->stderr_text;
  EXPECT_EQ(python->stdout_text,
            "['inputs_p', 'inputs_t', 'inputs_x', 'inputs_y', 'power_channel', "
            "'power_t', 'power_value', 'readout_pins_index', 'readout_pins_t', "
            "'readout_t', 'readout_value', 'spikes_feature', 'spikes_layer', "
            "'spikes_t', 'spikes_x', 'spikes_y']\n"
            "[5000, 5200, 5400] uint8 [1, 1, 0]\n"
            "[0, 1] uint16\n"
            "[0.25]\n");
}

TEST(ExportTest, Hdf5OpensInH5pyWithGroupsDatasetsAndTheConfiguration) {
  const std::string out = Temp("run.h5");
  absl::StatusOr<ExportResult> r =
      ExportRecording(MakeRecording(), out, ExportFormat::kHdf5);
  ASSERT_TRUE(r.ok()) << r.status();
  const std::string script = absl::StrCat(
      "import h5py, json\n"
      "f = h5py.File('",
      out,
      "', 'r')\n"
      "print(sorted(f.keys()), sorted(f['spikes'].keys()))\n"
      "print(f['inputs/t'][:].tolist(), f['inputs/x'].dtype, "
      "f['inputs/t'].compression)\n"
      "print(f['spikes/feature'][:].tolist(), f['power/value'][:].tolist())\n"
      "print(json.loads(f.attrs['configuration'])['dvs_layer']['cut'])\n");
  absl::StatusOr<testing::RunResult> python = testing::Subprocess::Run(
      "/usr/bin/python3", {"-c", script}, absl::Seconds(60));
  ASSERT_TRUE(python.ok()) << python.status();
  ASSERT_EQ(python->exit_code, 0) << python->stderr_text;
  EXPECT_EQ(python->stdout_text,
            "['inputs', 'power', 'readout', 'readout_pins', 'spikes'] "
            "['feature', 'layer', 't', 'x', 'y']\n"
            "[5000, 5200, 5400] uint8 gzip\n"
            "[0, 1] [0.25]\n"
            "{'x': 15, 'y': 15}\n");
}

// Read back by a reader written here from the format's documentation (not
// FlatBuffers' library): the version line, the size-prefixed IOHeader and
// its infoNode, each packet's EVTS flatbuffer event by event, and the
// FileDataTable the header points to.
TEST(ExportTest, Aedat4ReadsBackEventForEventWithItsIndex) {
  const std::string out = Temp("run.aedat4");
  absl::StatusOr<ExportResult> r =
      ExportRecording(MakeRecording(), out, ExportFormat::kAedat4);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rows.count("spikes"), 0u);  // not an AEDAT 4 table here
  const std::string script = absl::StrCat(
      "import struct\n"
      "data = open('",
      out,
      "', 'rb').read()\n"
      "assert data[:14] == b'#!AER-DAT4.0\\r\\n'\n"
      "def table(buf, at):\n"
      "    vt = at - struct.unpack_from('<i', buf, at)[0]\n"
      "    vsize = struct.unpack_from('<H', buf, vt)[0]\n"
      "    def field(i):\n"
      "        return struct.unpack_from('<H', buf, vt + 4 + 2 * i)[0] if 4 + "
      "2 * i < vsize else 0\n"
      "    return field\n"
      "def root(buf, ident):\n"
      "    assert buf[8:12] == ident, buf[8:12]\n"
      "    return 4 + struct.unpack_from('<I', buf, 4)[0]\n"
      "size = struct.unpack_from('<I', data, 14)[0]\n"
      "head = data[14:18 + size]\n"
      "at = root(head, b'IOHE'); f = table(head, at)\n"
      "compression = struct.unpack_from('<i', head, at + f(0))[0]\n"
      "table_at = struct.unpack_from('<q', head, at + f(1))[0]\n"
      "s = at + f(2); s += struct.unpack_from('<I', head, s)[0]\n"
      "info = head[s + 4:s + 4 + struct.unpack_from('<I', head, "
      "s)[0]].decode()\n"
      "print(compression, '>EVTS</attr>' in info, '>128</attr>' in info)\n"
      "pos = 18 + size\n"
      "while pos < table_at:\n"
      "    stream, n = struct.unpack_from('<ii', data, pos)\n"
      "    buf = data[pos + 8:pos + 8 + n]; pos += 8 + n\n"
      "    at = root(buf, b'EVTS'); f = table(buf, at)\n"
      "    v = at + f(0); v += struct.unpack_from('<I', buf, v)[0]\n"
      "    count = struct.unpack_from('<I', buf, v)[0]\n"
      "    for i in range(count):\n"
      "        t, x, y, p = struct.unpack_from('<qhhB', buf, v + 4 + 16 * i)\n"
      "        print(stream, t, x, y, p)\n"
      "buf = data[table_at:]\n"
      "at = root(buf, b'FTAB'); f = table(buf, at)\n"
      "v = at + f(0); v += struct.unpack_from('<I', buf, v)[0]\n"
      "for i in range(struct.unpack_from('<I', buf, v)[0]):\n"
      "    e = v + 4 + 4 * i; e += struct.unpack_from('<I', buf, e)[0]\n"
      "    g = table(buf, e)\n"
      "    off = struct.unpack_from('<q', buf, e + g(0))[0]\n"
      "    sid, sz = struct.unpack_from('<ii', buf, e + g(1))\n"
      "    n, t0, t1 = [struct.unpack_from('<q', buf, e + g(k))[0] for k in "
      "(2, 3, 4)]\n"
      "    print('packet', sid, n, t0, t1, data[off + 8:off + 12])\n");
  absl::StatusOr<testing::RunResult> python = testing::Subprocess::Run(
      "/usr/bin/python3", {"-c", script}, absl::Seconds(60));
  ASSERT_TRUE(python.ok()) << python.status();
  ASSERT_EQ(python->exit_code, 0) << python->stderr_text;
  // Timestamps: the anchor (epoch_start_unix_us) plus the stop-watch µs.
  EXPECT_EQ(python->stdout_text,
            "0 True True\n"
            "0 1700000000005000 13 0 1\n"
            "0 1700000000005200 15 6 1\n"
            "0 1700000000005400 1 2 0\n"
            "packet 0 3 1700000000005000 1700000000005400 b'EVTS'\n");
}

}  // namespace
}  // namespace speckd::recording
