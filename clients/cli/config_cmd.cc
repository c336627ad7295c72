// `speckctl config validate|apply|get`: configuration files (the JSON form of
// speckd.v1.SpeckConfiguration with samna's names, docs/formats.md) against
// the daemon. Every problem is one line naming the file and the field path.
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "clients/cli/client.h"
#include "clients/cli/command.h"
#include "driver/chip/validate.h"
#include "proto/codec/config_codec.h"
#include "proto/codec/config_json.h"

namespace speckd::cli {
namespace {

namespace v1 = ::speckd::v1;

// Reads and parses FILE locally first: JSON errors name the file, and a bad
// file never reaches the daemon.
absl::StatusOr<v1::SpeckConfiguration> LoadConfiguration(
    const std::string& path) {
  absl::StatusOr<chip::SpeckConfig> config = codec::LoadConfigFile(path);
  if (!config.ok()) return config.status();
  v1::SpeckConfiguration proto;
  codec::ToProto(*config, &proto);
  return proto;
}

// The same text as chip::ConfigProblem::ToString: "path: message", with
// "warning: " / "not modelled: " in front of the non-errors.
std::string ProblemText(const v1::ConfigProblem& problem) {
  chip::ConfigProblem p;
  switch (problem.severity()) {
    case v1::ConfigProblem::NOT_MODELLED:
      p.severity = chip::ConfigProblem::Severity::kNotModelled;
      break;
    case v1::ConfigProblem::WARNING:
      p.severity = chip::ConfigProblem::Severity::kWarning;
      break;
    default:
      p.severity = chip::ConfigProblem::Severity::kError;
  }
  p.field_path = problem.field_path();
  p.message = problem.message();
  return p.ToString();
}

int CoresInUse(const v1::SpeckConfiguration& config) {
  int n = 0;
  for (const v1::CnnLayerConfig& core : config.cnn_layers()) {
    n += core.dimensions().output_shape().feature_count() > 0;
  }
  return n;
}

std::string Plural(int n, absl::string_view word) {
  return absl::StrCat(n, " ", word, n == 1 ? "" : "s");
}

int Validate(const std::string& path) {
  absl::StatusOr<v1::SpeckConfiguration> config = LoadConfiguration(path);
  if (!config.ok()) return Fail(config.status());
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectFromFlags();
  if (!client.ok()) return Fail(client.status());
  v1::ValidateConfigurationRequest request;
  request.set_device_id((*client)->device());
  *request.mutable_configuration() = *config;
  v1::ValidateConfigurationResponse response;
  absl::Status status = (*client)->Unary([&](grpc::ClientContext* context) {
    return (*client)->config().ValidateConfiguration(context, request,
                                                     &response);
  });
  if (!status.ok()) return Fail(status);

  int warnings = 0;
  for (const v1::ConfigProblem& p : response.problems()) {
    warnings += p.severity() != v1::ConfigProblem::ERROR;
    Note(absl::StrCat(path, ": ", ProblemText(p)));
  }
  const int code = response.valid() ? kExitOk : kExitUsage;
  switch ((*client)->options().format) {
    case Format::kJson:
      std::printf("%s\n", ProtoJson(response, /*multiline=*/true).c_str());
      break;
    case Format::kCsv: {
      Table table({{"severity", "SEVERITY"},
                   {"field_path", "FIELD"},
                   {"message", "MESSAGE"}});
      for (const v1::ConfigProblem& p : response.problems()) {
        table.AddRow({absl::AsciiStrToLower(
                          v1::ConfigProblem::Severity_Name(p.severity())),
                      p.field_path(), p.message()});
      }
      std::fputs(table.Render(Format::kCsv).c_str(), stdout);
      break;
    }
    case Format::kTable:
      if (response.valid()) {
        std::printf("%s: valid (%s in use, %s)\n", path.c_str(),
                    Plural(CoresInUse(*config), "core").c_str(),
                    Plural(warnings, "warning").c_str());
      }
      break;
  }
  return code;
}

// The server lists every problem of a rejected apply one per line under a
// heading ("2 problems in the configuration:\n  cnn_layers[0]...: ...").
int FailApply(const std::string& path, const grpc::Status& status) {
  std::vector<std::string> lines =
      absl::StrSplit(status.error_message(), '\n', absl::SkipWhitespace());
  if (lines.size() <= 1) {
    Note(absl::StrCat(path, ": ", status.error_message()));
  } else {
    for (size_t i = 1; i < lines.size(); ++i) {
      Note(absl::StrCat(path, ": ", absl::StripAsciiWhitespace(lines[i])));
    }
  }
  return kExitUsage;
}

int Apply(const std::string& path) {
  absl::StatusOr<v1::SpeckConfiguration> config = LoadConfiguration(path);
  if (!config.ok()) return Fail(config.status());
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectFromFlags();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<std::unique_ptr<Lease>> lease =
      Lease::Acquire(client->get(), /*keep_renewed=*/false);
  if (!lease.ok()) return Fail(lease.status());
  v1::ApplyConfigurationRequest request;
  request.set_device_id((*lease)->device_id());
  request.set_lease_id((*lease)->id());
  *request.mutable_configuration() = *config;
  v1::ApplyConfigurationResponse response;
  const grpc::Status status =
      (*client)->Call([&](grpc::ClientContext* context) {
        return (*client)->config().ApplyConfiguration(context, request,
                                                      &response);
      });
  const absl::Status released = (*lease)->Release();
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return FailApply(path, status);
  }
  if (!status.ok()) return Fail((*client)->Error(status));
  if (!released.ok())
    Note(absl::StrCat("releasing the lease: ", released.message()));
  for (const v1::ConfigProblem& p : response.problems()) {
    Note(absl::StrCat(path, ": ", ProblemText(p)));
  }
  if ((*client)->options().format == Format::kJson) {
    std::printf("%s\n", ProtoJson(response, /*multiline=*/true).c_str());
  } else {
    std::printf("%s: applied to %s (%s in use)\n", path.c_str(),
                (*lease)->device_id().c_str(),
                Plural(CoresInUse(*config), "core").c_str());
  }
  return kExitOk;
}

int Get() {
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectFromFlags();
  if (!client.ok()) return Fail(client.status());
  absl::StatusOr<v1::GetConfigurationResponse> response =
      (*client)->GetConfiguration();
  if (!response.ok()) return Fail(response.status());
  if (!response->applied()) {
    Note("no configuration has been applied: these are the chip's defaults");
  }
  // Always the configuration file format, whatever --output says: the
  // output is meant to be saved and applied again.
  std::printf("%s\n",
              codec::ConfigurationToJson(response->configuration()).c_str());
  return kExitOk;
}

int RunConfig(const std::vector<std::string>& args) {
  if (args.empty()) {
    return UsageError("config", "expects validate FILE, apply FILE or get");
  }
  const std::string& sub = args[0];
  if (sub == "get") {
    if (args.size() != 1) return UsageError("config", "get takes no file");
    return Get();
  }
  if (sub != "validate" && sub != "apply") {
    return UsageError("config", absl::StrCat("unknown subcommand '", sub,
                                             "'; use validate, apply or get"));
  }
  if (args.size() != 2) {
    return UsageError("config", absl::StrCat(sub, " expects one FILE"));
  }
  return sub == "validate" ? Validate(args[1]) : Apply(args[1]);
}

}  // namespace

const Command kConfigCommand = {
    "config", "validate, apply or get the chip configuration",
    "usage: speckctl config validate FILE\n"
    "       speckctl config apply FILE\n"
    "       speckctl config get > FILE\n"
    "\n"
    "FILE is a SpeckConfiguration in JSON with samna's field names\n"
    "(docs/formats.md). It is read and parsed here first, so JSON errors\n"
    "name the file.\n"
    "\n"
    "validate: speckd checks FILE against the chip's limits without touching\n"
    "  the device. Every problem is one line 'FILE: field.path: message'\n"
    "  (prefixed 'warning: ' or 'not modelled: ' for those that are\n"
    "  accepted). Exit 2 if any is an error; otherwise prints\n"
    "  'FILE: valid (...)'. --output=json|csv print the problems as data.\n"
    "apply: takes the device's lease, applies FILE, releases the lease.\n"
    "  A rejected configuration lists every problem, as validate does\n"
    "  (exit 2); the device is then unchanged.\n"
    "get: prints the configuration in effect, every default filled in, in\n"
    "  the same file format (always JSON), ready for apply or simulate.\n"
    "\n"
    "examples:\n"
    "  speckctl config validate examples/tutorial/config.json\n"
    "  speckctl config apply $PWD/examples/tutorial/config.json\n"
    "  speckctl config get > /tmp/applied.json\n",
    RunConfig};

}  // namespace speckd::cli
