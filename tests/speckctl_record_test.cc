// speckctl's recordings as a user makes them, against a real speckd: start,
// run the demo, stop, replay, list, download, export to every format (and
// read the exports back), delete.
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/speckctl_fixture.h"
#include "tests/util/subprocess.h"

namespace speckd::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

// A recording as a user makes one: start, run the demo, stop, list,
// download, delete.
TEST_F(SpeckctlTest, RecordKeepsADemoRunAndHandsItOver) {
  RunResult start = Speck({"record", "start", "--name=demo1"});
  ASSERT_EQ(start.exit_code, 0) << start.stderr_text;
  EXPECT_THAT(start.stdout_text, HasSubstr("demo1"));
  EXPECT_THAT(start.stdout_text, HasSubstr("recording"));
  RunResult demo = Speck({"demo", "spike-count"});
  ASSERT_EQ(demo.exit_code, 0) << demo.stderr_text;
  RunResult stop = Speck({"record", "stop", "demo1"});
  ASSERT_EQ(stop.exit_code, 0) << stop.stderr_text;
  EXPECT_THAT(stop.stdout_text, HasSubstr("stopped"));
  EXPECT_THAT(stop.stdout_text, HasSubstr("inputs 25001"));
  RunResult replay = Speck({"record", "replay", "demo1"});
  ASSERT_EQ(replay.exit_code, 0) << replay.stderr_text;
  EXPECT_THAT(replay.stdout_text,
              HasSubstr("replayed 25001 events of demo1 into "
                        "speck2edevkit-sim:0"));
  RunResult list = Speck({"record", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.stderr_text;
  EXPECT_THAT(list.stdout_text, HasSubstr("demo1"));
  EXPECT_THAT(list.stdout_text,
              ContainsRegex("[0-9.]+ (KiB|MiB) of [0-9.]+ (MiB|GiB|TiB) used"));
  const std::string file = TempDir() + "/demo1.speckrec";
  RunResult download = Speck({"record", "download", "demo1", file});
  ASSERT_EQ(download.exit_code, 0) << download.stderr_text;
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  EXPECT_GT(static_cast<int64_t>(in.tellg()), 25001 * 8);
  RunResult npz =
      Speck({"record", "export", "demo1", TempDir() + "/demo1.npz"});
  ASSERT_EQ(npz.exit_code, 0) << npz.stderr_text;
  EXPECT_THAT(npz.stdout_text, HasSubstr("inputs: 25001 rows"));
  EXPECT_THAT(npz.stdout_text, HasSubstr("spikes: 50002 rows"));
  RunResult csv =
      Speck({"record", "export", "demo1", TempDir() + "/demo1.csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.stderr_text;
  EXPECT_THAT(csv.stdout_text, HasSubstr("demo1.inputs.csv"));
  std::ifstream exported(TempDir() + "/demo1.inputs.csv");
  std::string header;
  std::getline(exported, header);
  EXPECT_EQ(header, "timestamp_us,x,y,p");
  // HDF5, read back with plain h5py: the tutorial's inputs and spikes.
  RunResult h5 = Speck({"record", "export", "demo1", TempDir() + "/demo1.h5"});
  ASSERT_EQ(h5.exit_code, 0) << h5.stderr_text;
  absl::StatusOr<RunResult> h5py =
      Subprocess::Run("/usr/bin/python3",
                      {"-c",
                       "import h5py, numpy as np, sys\n"
                       "f = h5py.File(sys.argv[1], 'r')\n"
                       "core = f['spikes/layer'][:] == 0\n"
                       "print(len(f['inputs/t']), "
                       "np.bincount(f['spikes/feature'][:][core]).tolist())\n",
                       TempDir() + "/demo1.h5"},
                      absl::Seconds(60));
  ASSERT_TRUE(h5py.ok()) << h5py.status();
  ASSERT_EQ(h5py->exit_code, 0) << h5py->stderr_text;
  EXPECT_EQ(h5py->stdout_text, "25001 [12475, 12526]\n");
  RunResult odd = Speck({"record", "export", "demo1", TempDir() + "/x.mat"});
  EXPECT_EQ(odd.exit_code, 2);
  EXPECT_THAT(odd.stderr_text, HasSubstr("use csv, npz, hdf5 or aedat4"));
  RunResult aedat =
      Speck({"record", "export", "demo1", TempDir() + "/demo1.aedat4"});
  ASSERT_EQ(aedat.exit_code, 0) << aedat.stderr_text;
  EXPECT_THAT(aedat.stdout_text, HasSubstr("inputs: 25001 rows"));
  // ... and read back as an event file: the chip model offline on it.
  RunResult offline = Speck({"simulate", "--config=" + TutorialConfig(),
                             "--events=" + TempDir() + "/demo1.aedat4",
                             TempDir() + "/out.csv"});
  ASSERT_EQ(offline.exit_code, 0) << offline.stderr_text;
  EXPECT_THAT(offline.stderr_text, HasSubstr("simulated 25001 input events"));
  RunResult rm = Speck({"record", "rm", "demo1"});
  ASSERT_EQ(rm.exit_code, 0) << rm.stderr_text;
  RunResult gone = Speck({"record", "info", "demo1"});
  EXPECT_EQ(gone.exit_code, 2);
  EXPECT_THAT(gone.stderr_text, HasSubstr("no recording named 'demo1'"));
  RunResult bad = Speck({"record", "start", "--streams=video"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.stderr_text, HasSubstr("--streams: 'video'"));
}

}  // namespace
}  // namespace speckd::testing
