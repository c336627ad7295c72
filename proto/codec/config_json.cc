#include "proto/codec/config_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "driver/util/suggest.h"
#include "proto/codec/json_syntax.h"

namespace speckd::codec {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Value;

const FieldDescriptor* FindField(const Descriptor& type,
                                 const std::string& name) {
  if (const FieldDescriptor* f = type.FindFieldByName(name)) return f;
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->json_name() == name) return type.field(i);
  }
  return nullptr;
}

// Every key of `value` that `type` has no field for, with its path, and the
// field meant when it looks like a typo; nested messages and lists too.
void FindUnknownFields(const Value& value, const Descriptor& type,
                       const std::string& path,
                       std::vector<JsonProblem>* problems) {
  if (!value.has_struct_value()) return;  // the parser says what is wrong
  std::vector<std::string> names;
  for (int i = 0; i < type.field_count(); ++i) {
    names.push_back(type.field(i)->name());
  }
  for (const auto& [key, child] : value.struct_value().fields()) {
    const std::string child_path = path.empty() ? key : path + "." + key;
    const FieldDescriptor* field = FindField(type, key);
    if (field == nullptr) {
      problems->push_back(
          {child_path, absl::StrCat("unknown field", DidYouMean(key, names))});
      continue;
    }
    if (field->type() != FieldDescriptor::TYPE_MESSAGE) continue;
    if (!field->is_repeated()) {
      FindUnknownFields(child, *field->message_type(), child_path, problems);
      continue;
    }
    if (!child.has_list_value()) continue;
    for (int i = 0; i < child.list_value().values_size(); ++i) {
      FindUnknownFields(child.list_value().values(i), *field->message_type(),
                        absl::StrCat(child_path, "[", i, "]"), problems);
    }
  }
}

}  // namespace

std::string JsonProblem::ToString() const {
  return path.empty() ? message : absl::StrCat(path, ": ", message);
}

namespace {

// Every problem of `json`; fills `config` when there is none.
std::vector<JsonProblem> Parse(absl::string_view json,
                               speckd::v1::SpeckConfiguration* config) {
  std::vector<JsonProblem> problems;
  // Syntax first, strictly and with a line and column (json_syntax.h).
  if (absl::Status syntax = CheckJsonSyntax(json); !syntax.ok()) {
    problems.push_back({"", std::string(syntax.message())});
    return problems;
  }
  const google::protobuf::StringPiece text(json.data(), json.size());
  Value value;
  if (google::protobuf::util::JsonStringToMessage(text, &value).ok()) {
    FindUnknownFields(value, *speckd::v1::SpeckConfiguration::descriptor(), "",
                      &problems);
    std::sort(problems.begin(), problems.end(),
              [](const JsonProblem& a, const JsonProblem& b) {
                return a.path < b.path;
              });
    if (!problems.empty()) return problems;
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status =
      google::protobuf::util::JsonStringToMessage(text, config, options);
  if (!status.ok()) {
    problems.push_back(
        {"", absl::StrCat("not a valid configuration: ",
                          std::string(status.message().data(),
                                      status.message().size()))});
  }
  return problems;
}

}  // namespace

std::vector<JsonProblem> ConfigurationJsonProblems(absl::string_view json) {
  speckd::v1::SpeckConfiguration unused;
  return Parse(json, &unused);
}

absl::StatusOr<speckd::v1::SpeckConfiguration> ParseConfigurationJson(
    absl::string_view json) {
  speckd::v1::SpeckConfiguration config;
  const std::vector<JsonProblem> problems = Parse(json, &config);
  if (!problems.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(
        problems, "\n", [](std::string* out, const JsonProblem& p) {
          out->append(p.ToString());
        }));
  }
  return config;
}

std::string ConfigurationToJson(const speckd::v1::SpeckConfiguration& config) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string out;
  // Printing a valid message cannot fail.
  (void)google::protobuf::util::MessageToJsonString(config, &out, options);
  return out;
}

}  // namespace speckd::codec
