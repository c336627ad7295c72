// A dataset for `speckctl simulate --dataset`: its samples (event files) in
// a stable order, their labels and the class names.
//
// The dataset is a directory, walked recursively for event files (.csv,
// .npy, .npz, .h5, .hdf5, .aedat4; hidden files and folders skipped), or a
// list file (.txt: one path per line, relative to the list's folder; '#'
// starts a comment). Samples are sorted by their path relative to the
// dataset, so every machine numbers them alike (what --shard relies on).
//
// Labels come from a CSV of `file,label` (the file as listed, relative to
// the dataset; a header line is optional), or else from folder names when
// every sample sits in a sub-folder (DIR/left/a.npy has label "left"). A
// label that is a number is the class index; names are looked up in
// `class_names` (--labels=top,bottom) or, without them, numbered in sorted
// order (as torchvision's ImageFolder does).
#ifndef SPECKD_CLIENTS_CLI_DATASET_H_
#define SPECKD_CLIENTS_CLI_DATASET_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace speckd::cli {

struct Sample {
  std::string path;  // to open
  std::string name;  // relative to the dataset, as results show it
  std::optional<int> label;
};

struct Dataset {
  std::vector<Sample> samples;
  // Class names by index; empty when labels are numbers without names.
  std::vector<std::string> classes;
  // The classes were numbered by sorting their names (no --labels): worth
  // telling the user, since feature k of the output layer must mean
  // class k.
  bool classes_sorted_by_name = false;
  // Samples left without a label when the others have folder labels (files
  // at the dataset's top level, outside every class folder): how many, and
  // the first by name.
  size_t unlabelled = 0;
  std::string first_unlabelled;
};

struct DatasetSource {
  std::string path;        // directory or list file
  std::string label_file;  // optional
  std::vector<std::string> class_names;
};

// INVALID_ARGUMENT naming the file (and line) for a bad list or label file,
// a label naming no known class, or a labelled dataset with an unlabelled
// sample; NOT_FOUND for a missing dataset; an empty dataset is an error too.
absl::StatusOr<Dataset> ListDataset(const DatasetSource& source);

// The samples of shard `index` of `count`: every count-th, from `index`
// (round robin, so shards get similar mixes of classes and sizes).
std::vector<size_t> ShardIndices(size_t samples, size_t index, size_t count);

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_DATASET_H_
