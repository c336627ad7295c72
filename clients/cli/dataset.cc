#include "clients/cli/dataset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace speckd::cli {
namespace {

namespace fs = std::filesystem;

bool IsEventFile(const fs::path& p) {
  std::string ext = absl::AsciiStrToLower(p.extension().string());
  for (const char* known :
       {".csv", ".npy", ".npz", ".h5", ".hdf5", ".aedat4"}) {
    if (ext == known) return true;
  }
  return false;
}

absl::StatusOr<std::vector<Sample>> WalkDirectory(const fs::path& root) {
  std::vector<Sample> samples;
  std::error_code ec;
  fs::recursive_directory_iterator it(
      root, fs::directory_options::follow_directory_symlink, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string leaf = it->path().filename().string();
    if (absl::StartsWith(leaf, ".")) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || !IsEventFile(it->path())) continue;
    samples.push_back({it->path().string(),
                       it->path().lexically_relative(root).generic_string(),
                       std::nullopt});
  }
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat(root.string(), ": cannot list: ", ec.message()));
  }
  return samples;
}

absl::StatusOr<std::vector<Sample>> ReadList(const fs::path& list) {
  std::ifstream in(list);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(list.string(), ": cannot read"));
  }
  std::vector<Sample> samples;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string uncommented = line.substr(0, line.find('#'));
    absl::string_view entry = absl::StripAsciiWhitespace(uncommented);
    if (entry.empty()) continue;
    fs::path p(std::string{entry});
    samples.push_back({(p.is_absolute() ? p : list.parent_path() / p).string(),
                       std::string(entry), std::nullopt});
  }
  return samples;
}

// file -> label text, from a two-column CSV.
absl::StatusOr<std::map<std::string, std::string>> ReadLabelFile(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  std::map<std::string, std::string> labels;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    if (cells.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", n, ": expected two columns, file,label"));
    }
    for (std::string& c : cells) absl::StripAsciiWhitespace(&c);
    if (n == 1 && cells[0] == "file") continue;  // header
    if (!labels.emplace(cells[0], cells[1]).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", n, ": ", cells[0], " is listed twice"));
    }
  }
  return labels;
}

// Label text per sample (empty: unlabelled), from the file or folder names.
absl::StatusOr<std::vector<std::string>> LabelTexts(
    const DatasetSource& source, const std::vector<Sample>& samples) {
  std::vector<std::string> texts(samples.size());
  if (!source.label_file.empty()) {
    absl::StatusOr<std::map<std::string, std::string>> labels =
        ReadLabelFile(source.label_file);
    if (!labels.ok()) return labels.status();
    for (size_t i = 0; i < samples.size(); ++i) {
      auto it = labels->find(samples[i].name);
      if (it == labels->end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            source.label_file, ": no label for ", samples[i].name));
      }
      texts[i] = it->second;
    }
    return texts;
  }
  // Folder names, when any sample sits in a folder; one outside every
  // folder (a stray file at the top) stays unlabelled (ListDataset says so).
  bool any_folder = false;
  for (size_t i = 0; i < samples.size(); ++i) {
    const size_t slash = samples[i].name.find('/');
    if (slash == std::string::npos) continue;
    texts[i] = samples[i].name.substr(0, slash);
    any_folder = true;
  }
  if (!any_folder) return std::vector<std::string>();
  return texts;
}

absl::Status AssignLabels(const DatasetSource& source,
                          const std::vector<std::string>& texts,
                          Dataset* dataset) {
  if (texts.empty()) {
    dataset->classes = source.class_names;
    return absl::OkStatus();
  }
  bool numeric = true;
  std::set<std::string> names;
  for (const std::string& t : texts) {
    if (t.empty()) continue;  // unlabelled
    int v = 0;
    numeric = numeric && absl::SimpleAtoi(t, &v) && v >= 0;
    names.insert(t);
  }
  dataset->classes = source.class_names;
  if (!numeric && dataset->classes.empty()) {
    dataset->classes.assign(names.begin(), names.end());
    dataset->classes_sorted_by_name = true;
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    if (texts[i].empty()) {
      if (dataset->unlabelled == 0)
        dataset->first_unlabelled = dataset->samples[i].name;
      ++dataset->unlabelled;
      continue;
    }
    int index = 0;
    if (numeric) {
      (void)absl::SimpleAtoi(texts[i], &index);
    } else {
      auto it =
          std::find(dataset->classes.begin(), dataset->classes.end(), texts[i]);
      if (it == dataset->classes.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(dataset->samples[i].name, ": label '", texts[i],
                         "' is none of the classes (",
                         absl::StrJoin(dataset->classes, ", "), ")"));
      }
      index = static_cast<int>(it - dataset->classes.begin());
    }
    dataset->samples[i].label = index;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Dataset> ListDataset(const DatasetSource& source) {
  const fs::path root(source.path);
  std::error_code ec;
  if (!fs::exists(root, ec)) {
    return absl::NotFoundError(absl::StrCat(source.path, ": no such dataset"));
  }
  absl::StatusOr<std::vector<Sample>> samples =
      fs::is_directory(root, ec) ? WalkDirectory(root) : ReadList(root);
  if (!samples.ok()) return samples.status();
  if (samples->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source.path,
                     ": no event files in it (.csv, .npy, .npz, .h5, .hdf5, "
                     ".aedat4)"));
  }
  std::sort(samples->begin(), samples->end(),
            [](const Sample& a, const Sample& b) { return a.name < b.name; });
  Dataset dataset;
  dataset.samples = *std::move(samples);
  absl::StatusOr<std::vector<std::string>> texts =
      LabelTexts(source, dataset.samples);
  if (!texts.ok()) return texts.status();
  if (absl::Status s = AssignLabels(source, *texts, &dataset); !s.ok()) {
    return s;
  }
  return dataset;
}

std::vector<size_t> ShardIndices(size_t samples, size_t index, size_t count) {
  std::vector<size_t> out;
  for (size_t i = index; count > 0 && i < samples; i += count) {
    out.push_back(i);
  }
  return out;
}

}  // namespace speckd::cli
