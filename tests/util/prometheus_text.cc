#include "tests/util/prometheus_text.h"

#include <cmath>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace speckd::testing {
namespace {

bool IsMetricName(absl::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = absl::ascii_isalpha(c) || c == '_' || c == ':' ||
                    (i > 0 && absl::ascii_isdigit(c));
    if (!ok) return false;
  }
  return true;
}

bool IsLabelName(absl::string_view s) {
  if (s.empty() || absl::StartsWith(s, "__")) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (!(absl::ascii_isalpha(c) || c == '_' ||
          (i > 0 && absl::ascii_isdigit(c)))) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<double> ParseValue(absl::string_view s) {
  if (s == "+Inf") return INFINITY;
  if (s == "-Inf") return -INFINITY;
  if (s == "NaN") return NAN;
  double v = 0;
  if (!absl::SimpleAtod(s, &v) || absl::StrContains(s, "inf") ||
      absl::StrContains(s, "nan")) {
    return absl::InvalidArgumentError(absl::StrCat("bad value '", s, "'"));
  }
  return v;
}

// name{labels} value [timestamp]
absl::StatusOr<PromSample> ParseSample(absl::string_view line) {
  PromSample sample;
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  sample.name = std::string(line.substr(0, i));
  if (!IsMetricName(sample.name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad metric name '", sample.name, "'"));
  }
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      const size_t eq = line.find('=', i);
      if (eq == absl::string_view::npos) {
        return absl::InvalidArgumentError("label without '='");
      }
      const std::string label(line.substr(i, eq - i));
      if (!IsLabelName(label)) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad label name '", label, "'"));
      }
      if (eq + 1 >= line.size() || line[eq + 1] != '"') {
        return absl::InvalidArgumentError("label value not quoted");
      }
      std::string value;
      size_t j = eq + 2;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] != '\\') {
          value += line[j];
          continue;
        }
        if (++j >= line.size()) break;
        if (line[j] == 'n') {
          value += '\n';
        } else if (line[j] == '\\' || line[j] == '"') {
          value += line[j];
        } else {
          return absl::InvalidArgumentError("bad escape in a label value");
        }
      }
      if (j >= line.size()) {
        return absl::InvalidArgumentError("unterminated label value");
      }
      if (!sample.labels.emplace(label, value).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("label '", label, "' twice"));
      }
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return absl::InvalidArgumentError("no '}'");
    ++i;
  }
  if (i >= line.size() || line[i] != ' ') {
    return absl::InvalidArgumentError("no value");
  }
  std::vector<absl::string_view> rest = absl::StrSplit(line.substr(i + 1), ' ');
  if (rest.empty() || rest.size() > 2) {
    return absl::InvalidArgumentError("expected a value (and a timestamp)");
  }
  absl::StatusOr<double> value = ParseValue(rest[0]);
  if (!value.ok()) return value.status();
  sample.value = *value;
  return sample;
}

// The family a sample belongs to: its name, or without a histogram suffix.
std::string FamilyOf(const std::string& name,
                     const std::map<std::string, PromFamily>& families) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    if (absl::EndsWith(name, suffix)) {
      const std::string base(absl::StripSuffix(name, suffix));
      auto it = families.find(base);
      if (it != families.end() && it->second.type == "histogram") return base;
    }
  }
  return name;
}

std::string SeriesKey(const PromSample& s) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : s.labels) parts.push_back(k + "=" + v);
  return s.name + "{" + absl::StrJoin(parts, ",") + "}";
}

absl::Status CheckHistogram(const PromFamily& f) {
  // Per label set without "le": buckets in order, cumulative, +Inf last and
  // equal to _count.
  std::map<std::string, std::vector<std::pair<double, double>>> buckets;
  std::map<std::string, double> counts;
  std::set<std::string> sums;
  for (const PromSample& s : f.samples) {
    std::map<std::string, std::string> rest = s.labels;
    const auto le = rest.find("le");
    std::string le_text;
    if (le != rest.end()) {
      le_text = le->second;
      rest.erase(le);
    }
    PromSample key{"", rest, 0};
    const std::string id = SeriesKey(key);
    if (absl::EndsWith(s.name, "_bucket")) {
      absl::StatusOr<double> bound = ParseValue(le_text);
      if (!bound.ok()) return absl::InvalidArgumentError("bucket without le");
      buckets[id].emplace_back(*bound, s.value);
    } else if (absl::EndsWith(s.name, "_count")) {
      counts[id] = s.value;
    } else if (absl::EndsWith(s.name, "_sum")) {
      sums.insert(id);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(s.name, " in histogram ", f.name));
    }
  }
  for (const auto& [id, list] : buckets) {
    for (size_t i = 1; i < list.size(); ++i) {
      if (list[i].first <= list[i - 1].first ||
          list[i].second < list[i - 1].second) {
        return absl::InvalidArgumentError(
            absl::StrCat(f.name, id, ": buckets not ordered and cumulative"));
      }
    }
    if (list.empty() || !std::isinf(list.back().first)) {
      return absl::InvalidArgumentError(
          absl::StrCat(f.name, id, ": no +Inf bucket"));
    }
    if (counts.count(id) == 0 || counts[id] != list.back().second ||
        sums.count(id) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(f.name, id, ": _count or _sum missing or wrong"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::map<std::string, PromFamily>> ParsePrometheusText(
    absl::string_view text) {
  std::map<std::string, PromFamily> families;
  std::set<std::string> series;
  std::set<std::string> finished;  // families whose samples have ended
  std::string current;
  int n = 0;
  auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("line ", n, ": ", what));
  };
  if (!text.empty() && !absl::EndsWith(text, "\n")) {
    return absl::InvalidArgumentError("the last line has no line feed");
  }
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++n;
    if (line.empty()) continue;
    if (absl::StartsWith(line, "# HELP ") ||
        absl::StartsWith(line, "# TYPE ")) {
      std::vector<std::string> parts =
          absl::StrSplit(line.substr(7), absl::MaxSplits(' ', 1));
      if (parts.size() != 2 || !IsMetricName(parts[0])) {
        return bad("bad HELP or TYPE line");
      }
      PromFamily& f = families[parts[0]];
      f.name = parts[0];
      if (!f.samples.empty()) return bad("HELP or TYPE after samples");
      if (absl::StartsWith(line, "# TYPE ")) {
        static const std::set<std::string> kTypes = {
            "counter", "gauge", "histogram", "summary", "untyped"};
        if (!f.type.empty()) return bad("TYPE given twice");
        if (kTypes.count(parts[1]) == 0) return bad("unknown TYPE");
        f.type = parts[1];
      } else {
        if (!f.help.empty()) return bad("HELP given twice");
        f.help = parts[1];
      }
      continue;
    }
    if (absl::StartsWith(line, "#")) continue;  // a comment
    absl::StatusOr<PromSample> sample = ParseSample(line);
    if (!sample.ok()) return bad(sample.status().message());
    const std::string family = FamilyOf(sample->name, families);
    auto it = families.find(family);
    if (it == families.end() || it->second.type.empty()) {
      return bad(absl::StrCat(sample->name, " has no TYPE before it"));
    }
    if (family != current) {
      if (finished.count(family) > 0) {
        return bad(absl::StrCat(family, "'s samples are not together"));
      }
      if (!current.empty()) finished.insert(current);
      current = family;
    }
    if (it->second.type == "counter" && !(sample->value >= 0)) {
      return bad("a counter below zero");
    }
    if (!series.insert(SeriesKey(*sample)).second) {
      return bad(absl::StrCat("series ", SeriesKey(*sample), " twice"));
    }
    it->second.samples.push_back(*std::move(sample));
  }
  for (const auto& [name, f] : families) {
    if (f.type == "histogram") {
      if (absl::Status s = CheckHistogram(f); !s.ok()) return s;
    }
  }
  return families;
}

absl::StatusOr<double> PromValue(
    const std::map<std::string, PromFamily>& families, const std::string& name,
    const std::map<std::string, std::string>& labels) {
  for (const auto& [family_name, f] : families) {
    for (const PromSample& s : f.samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
  }
  return absl::NotFoundError(absl::StrCat("no sample ", name));
}

}  // namespace speckd::testing
