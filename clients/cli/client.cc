#include "clients/cli/client.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/client_interceptor.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "clients/cli/command.h"
#include "clients/cli/display.h"
#include "clients/cli/flags.h"

namespace speckd::cli {
namespace {

namespace v1 = ::speckd::v1;

// The health check must answer quickly: it only tells whether speckd runs.
constexpr absl::Duration kHealthTimeout = absl::Seconds(5);
constexpr char kHealthCheckMethod[] = "/grpc.health.v1.Health/Check";
// grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING.
constexpr int kServing = 1;

std::chrono::system_clock::time_point Deadline(absl::Duration timeout) {
  return absl::ToChronoTime(absl::Now() + timeout);
}

// The serving status in a HealthCheckResponse: field 1, a varint. Parsed by
// hand so that speckctl needs no copy of health.proto.
int ParseServingStatus(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return -1;
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (bytes.empty()) return 0;  // all defaults: UNKNOWN
  if (bytes.size() < 2 || bytes[0] != 0x08) return -1;
  return static_cast<unsigned char>(bytes[1]) & 0x7f;
}

// Calls grpc.health.v1.Health/Check for the whole server ("" service).
grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                         absl::Duration timeout, int* serving_status,
                         bool wait_for_ready = false) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(Deadline(timeout));
  context.set_wait_for_ready(wait_for_ready);
  grpc::CompletionQueue queue;
  // An empty HealthCheckRequest serializes to no bytes.
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
      stub.PrepareUnaryCall(&context, kHealthCheckMethod, request, &queue);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  queue.Next(&tag, &ok);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  if (status.ok()) *serving_status = ParseServingStatus(response);
  return status;
}

// --- interrupts -------------------------------------------------------------

ABSL_CONST_INIT Mutex interrupt_mu;
std::set<grpc::ClientContext*>* active_calls ABSL_GUARDED_BY(interrupt_mu) =
    nullptr;
bool interrupted ABSL_GUARDED_BY(interrupt_mu) = false;
CondVar* interrupt_cv = new CondVar();  // never destroyed

void WatchSignals(sigset_t signals) {
  int received = 0;
  while (sigwait(&signals, &received) == 0) {
    MutexLock lock(&interrupt_mu);
    // A second Ctrl-C means "now": 128 + SIGINT, as a shell reports it.
    if (interrupted) _exit(128 + received);
    interrupted = true;
    interrupt_cv->SignalAll();
    if (active_calls == nullptr) continue;
    for (grpc::ClientContext* context : *active_calls) context->TryCancel();
  }
}

}  // namespace

std::string ResolveServer(absl::string_view flag_value, bool flag_given,
                          const char* env_value) {
  if (flag_given) return std::string(flag_value);
  if (env_value != nullptr && *env_value != '\0') return env_value;
  return std::string(flag_value);
}

absl::Status CheckServerAddress(absl::string_view address,
                                absl::string_view source) {
  const std::string given = absl::StrCat(source, "=", address);
  if (address.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(given, ": needs HOST:PORT, e.g. 127.0.0.1:50051"));
  }
  // gRPC's own target forms pass as they are.
  for (absl::string_view grpc_scheme : {"unix:", "dns:", "ipv4:", "ipv6:"}) {
    if (absl::StartsWith(address, grpc_scheme)) return absl::OkStatus();
  }
  for (absl::string_view scheme : {"http://", "https://", "grpc://"}) {
    if (absl::StartsWith(address, scheme)) {
      return absl::InvalidArgumentError(
          absl::StrCat(given, ": write HOST:PORT without ", scheme, " (e.g. ",
                       address.substr(scheme.size()), ")"));
    }
  }
  // The port follows the last ':' (after the ']' of an IPv6 address).
  const size_t bracket = address.rfind(']');
  const size_t colon = address.rfind(':');
  const bool has_port =
      colon != absl::string_view::npos &&
      (bracket == absl::string_view::npos || colon > bracket) &&
      colon + 1 < address.size() &&
      (address[0] == '[' || address.find(':') == colon);
  if (!has_port) {
    const bool ipv6 = address.find(':') != absl::string_view::npos;
    return absl::InvalidArgumentError(absl::StrCat(
        given, ": no port given; speckd's gRPC port is 50051 by default (e.g. ",
        ipv6 && address[0] != '[' ? absl::StrCat("[", address, "]") : address,
        ":50051)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ResolveToken(absl::string_view flag_value,
                                         bool flag_given,
                                         const char* env_value) {
  std::string token = flag_given             ? std::string(flag_value)
                      : env_value != nullptr ? std::string(env_value)
                                             : std::string();
  const std::string source = flag_given ? "--token" : "$SPECKD_TOKEN";
  if (absl::StartsWith(token, "@")) {
    const std::string path = token.substr(1);
    std::ifstream in(path);
    if (!in || !std::getline(in, token)) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, "=@", path, ": cannot read the token from ", path));
    }
  }
  token = std::string(absl::StripAsciiWhitespace(token));
  if (token.find_first_of(" \t\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": a token has no spaces (speckctl token new prints one)"));
  }
  return token;
}

namespace {

// The file a TLS flag (or its variable) names, read; "" when neither is set.
absl::StatusOr<std::string> ReadPemFlag(const std::string& flag,
                                        const char* env) {
  std::string path;
  std::string source = absl::StrCat("--", flag);
  if (FlagGiven(flag)) {
    path = flag == "tls_ca"     ? absl::GetFlag(FLAGS_tls_ca)
           : flag == "tls_cert" ? absl::GetFlag(FLAGS_tls_cert)
                                : absl::GetFlag(FLAGS_tls_key);
  } else if (const char* value = std::getenv(env); value != nullptr) {
    path = value;
    source = absl::StrCat("$", env);
  }
  if (path.empty()) return std::string();
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || text.str().find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, "=", path, ": not a readable PEM file"));
  }
  return text.str();
}

}  // namespace

absl::StatusOr<GlobalOptions> GlobalOptionsFromFlags() {
  GlobalOptions options;
  options.server = ResolveServer(absl::GetFlag(FLAGS_server),
                                 FlagGiven("server"), std::getenv(kServerEnv));
  const bool from_env = !FlagGiven("server") && std::getenv(kServerEnv) &&
                        *std::getenv(kServerEnv) != '\0';
  if (absl::Status s = CheckServerAddress(
          options.server, from_env ? "$SPECKD_SERVER" : "--server");
      !s.ok()) {
    return s;
  }
  options.device = absl::GetFlag(FLAGS_device);
  absl::StatusOr<std::string> token =
      ResolveToken(absl::GetFlag(FLAGS_token), FlagGiven("token"),
                   std::getenv("SPECKD_TOKEN"));
  if (!token.ok()) return token.status();
  options.token = *std::move(token);
  for (const auto& [flag, env, out] :
       {std::tuple<const char*, const char*, std::string*>{
            "tls_ca", "SPECKD_TLS_CA", &options.tls_ca},
        {"tls_cert", "SPECKD_TLS_CERT", &options.tls_cert},
        {"tls_key", "SPECKD_TLS_KEY", &options.tls_key}}) {
    absl::StatusOr<std::string> pem = ReadPemFlag(flag, env);
    if (!pem.ok()) return pem.status();
    *out = *std::move(pem);
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (!options.tls_cert.empty() && options.tls_ca.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert needs --tls_ca (the CA that signed speckd's certificate)");
  }
  options.timeout = absl::GetFlag(FLAGS_timeout);
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--timeout=", absl::FormatDuration(options.timeout),
                     ": must be positive"));
  }
  absl::StatusOr<Format> format = ParseFormat(absl::GetFlag(FLAGS_output));
  if (!format.ok()) return format.status();
  options.format = *format;
  return options;
}

absl::StatusOr<std::unique_ptr<Client>> ConnectFromFlags() {
  absl::StatusOr<GlobalOptions> options = GlobalOptionsFromFlags();
  if (!options.ok()) return options.status();
  return Client::Connect(*options);
}

std::string StatusCodeName(grpc::StatusCode code) {
  // gRPC's codes are absl's canonical codes, by number.
  const std::string name =
      absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  if (name.empty()) return absl::StrCat("code ", static_cast<int>(code));
  return absl::AsciiStrToLower(name);
}

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  // speckd's messages are sentences; an empty one still says something.
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message().empty()
                          ? absl::StrCat("speckd answered ",
                                         StatusCodeName(status.error_code()),
                                         " without a message")
                          : status.error_message());
}

absl::Status CannotReach(absl::string_view address, absl::string_view reason) {
  // Something answered, but not in gRPC: the hint is about the address.
  if (absl::StrContains(reason, "HTTP/1")) {
    return absl::UnavailableError(absl::StrCat(
        "cannot reach speckd at ", address, ": ", reason,
        " \xE2\x80\x94 that looks like speckd's web port (the dashboard); "
        "speckctl needs the gRPC port, 50051 by default"));
  }
  return absl::UnavailableError(absl::StrCat(
      "cannot reach speckd at ", address, ": ", reason,
      " \xE2\x80\x94 is it running? (start it with deploy/run.sh)"));
}

std::string ConnectionFailureReason(const grpc::Status& status,
                                    absl::Duration waited) {
  const std::string text = absl::AsciiStrToLower(status.error_message());
  if (absl::StrContains(text, "connection refused")) {
    return "connection refused";
  }
  if (absl::StrContains(text, "socket closed") ||
      absl::StrContains(text, "connection reset")) {
    return "the connection was lost";
  }
  if (absl::StrContains(text, "http1.x") || absl::StrContains(text, "http/1")) {
    return "the server there speaks HTTP/1, not gRPC";
  }
  if (absl::StrContains(text, "dns resolution failed") ||
      absl::StrContains(text, "name or service not known")) {
    return "cannot resolve the host name";
  }
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::StrCat("no answer within ", absl::FormatDuration(waited));
  }
  return status.error_message().empty() ? StatusCodeName(status.error_code())
                                        : status.error_message();
}

namespace {

// Adds the access token to every call on the channel.
class TokenInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit TokenInterceptor(const std::string* header) : header_(header) {}
  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::
                PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({"authorization", *header_});
    }
    methods->Proceed();
  }

 private:
  const std::string* const header_;
};

class TokenInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit TokenInterceptorFactory(const std::string& token)
      : header_(absl::StrCat("Bearer ", token)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new TokenInterceptor(&header_);
  }

 private:
  const std::string header_;
};

std::shared_ptr<grpc::Channel> NewChannel(const GlobalOptions& options,
                                          const grpc::ChannelArguments& args) {
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::InsecureChannelCredentials();
  if (!options.tls_ca.empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.tls_ca;
    ssl.pem_cert_chain = options.tls_cert;
    ssl.pem_private_key = options.tls_key;
    credentials = grpc::SslCredentials(ssl);
  }
  if (options.token.empty()) {
    return grpc::CreateCustomChannel(options.server, credentials, args);
  }
  std::vector<
      std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(
      std::make_unique<TokenInterceptorFactory>(options.token));
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      options.server, credentials, args, std::move(interceptors));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(
    const GlobalOptions& options) {
  std::unique_ptr<Client> client(new Client(options));
  grpc::ChannelArguments args;
  // Spike batches of a busy device can be large.
  args.SetMaxReceiveMessageSize(64 << 20);
  // A watch waiting for a restarted daemon finds it within a second: gRPC
  // waits 20 s between attempts by default, up to two minutes.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  client->channel_ = NewChannel(options, args);
  const absl::Duration wait = std::min(options.timeout, kHealthTimeout);
  int serving = -1;
  grpc::Status health = CheckHealth(client->channel_, wait, &serving);
  if (health.error_code() == grpc::StatusCode::UNAVAILABLE ||
      health.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return CannotReach(options.server, ConnectionFailureReason(health, wait));
  }
  if (!health.ok()) {
    return absl::UnavailableError(
        absl::StrCat(options.server, " does not answer speckd's health check (",
                     FromGrpc(health).message(), "); is it speckd?"));
  }
  if (serving != kServing) {
    return absl::UnavailableError(absl::StrCat(
        "speckd at ", options.server, " is not serving (health status ",
        serving, "); it may be shutting down"));
  }
  client->devices_ = v1::DeviceService::NewStub(client->channel_);
  client->config_ = v1::ConfigService::NewStub(client->channel_);
  client->events_ = v1::EventService::NewStub(client->channel_);
  client->graphs_ = v1::GraphService::NewStub(client->channel_);
  client->recordings_ = v1::RecordingService::NewStub(client->channel_);
  client->server_ = v1::ServerService::NewStub(client->channel_);
  return client;
}

grpc::Status Client::Call(
    const std::function<grpc::Status(grpc::ClientContext*)>& call) {
  grpc::ClientContext context;
  context.set_deadline(Deadline(options_.timeout));
  CancelOnInterrupt cancel(&context);
  return call(&context);
}

absl::Status Client::Cleanup(
    const std::function<grpc::Status(grpc::ClientContext*)>& call) {
  grpc::ClientContext context;
  context.set_deadline(Deadline(options_.timeout));
  return Error(call(&context));
}

absl::Status Client::Error(const grpc::Status& status) const {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
      channel_->GetState(/*try_to_connect=*/false) != GRPC_CHANNEL_READY) {
    return CannotReach(options_.server,
                       ConnectionFailureReason(status, options_.timeout));
  }
  return FromGrpc(status);
}

absl::StatusOr<v1::Device> Client::GetDevice() {
  v1::GetDeviceRequest request;
  request.set_device_id(device());
  v1::Device device;
  absl::Status status = Unary([&](grpc::ClientContext* context) {
    return devices().GetDevice(context, request, &device);
  });
  if (!status.ok()) return status;
  return device;
}

absl::StatusOr<v1::StopWatch> Client::SetStopWatch(const Lease& lease,
                                                   std::optional<bool> enable,
                                                   bool reset) {
  v1::SetStopWatchRequest request;
  request.set_device_id(lease.device_id());
  request.set_lease_id(lease.id());
  if (enable.has_value()) request.set_enable(*enable);
  request.set_reset(reset);
  v1::StopWatch watch;
  absl::Status status = Unary([&](grpc::ClientContext* context) {
    return devices().SetStopWatch(context, request, &watch);
  });
  if (!status.ok()) return status;
  return watch;
}

absl::StatusOr<v1::CancelInputsResponse> Client::CancelInputs(
    const Lease& lease) {
  v1::CancelInputsRequest request;
  request.set_device_id(lease.device_id());
  request.set_lease_id(lease.id());
  v1::CancelInputsResponse response;
  absl::Status status = Cleanup([&](grpc::ClientContext* context) {
    return devices().CancelInputs(context, request, &response);
  });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::Device> Client::WaitIdle(const std::string& device_id,
                                            absl::Duration timeout) {
  v1::WaitIdleRequest request;
  request.set_device_id(device_id);
  request.set_timeout_ms(static_cast<uint32_t>(
      std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout))));
  v1::Device device;
  grpc::ClientContext context;
  CancelOnInterrupt cancel(&context);
  context.set_deadline(Deadline(timeout + options_.timeout));
  absl::Status status = Error(devices().WaitIdle(&context, request, &device));
  if (!status.ok()) return status;
  return device;
}

absl::StatusOr<v1::GetConfigurationResponse> Client::GetConfiguration() {
  v1::GetConfigurationRequest request;
  request.set_device_id(device());
  v1::GetConfigurationResponse response;
  absl::Status status = Unary([&](grpc::ClientContext* context) {
    return config().GetConfiguration(context, request, &response);
  });
  if (!status.ok()) return status;
  return response;
}

namespace {
std::string* lease_command = new std::string;  // never destroyed
}  // namespace

void SetLeaseCommand(absl::string_view command) {
  *lease_command = std::string(command);
}

std::string LeaseHolder() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat("speckctl", lease_command->empty() ? "" : " ",
                      *lease_command, " (pid ", static_cast<int64_t>(getpid()),
                      " on ", host[0] ? host : "localhost", ")");
}

absl::StatusOr<std::unique_ptr<Lease>> Lease::Acquire(Client* client,
                                                      bool keep_renewed,
                                                      absl::Duration ttl) {
  v1::AcquireLeaseRequest request;
  request.set_device_id(client->device());
  request.set_holder(LeaseHolder());
  request.set_ttl_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(ttl)));
  v1::Lease lease;
  absl::Status status = client->Unary([&](grpc::ClientContext* context) {
    return client->devices().AcquireLease(context, request, &lease);
  });
  if (!status.ok()) return status;
  std::unique_ptr<Lease> held(new Lease(client, std::move(lease), ttl));
  if (keep_renewed) {
    held->renewer_ = std::thread([raw = held.get()] { raw->RenewLoop(); });
  }
  return held;
}

Lease::~Lease() {
  if (!released_) (void)Release();
  StopRenewing();
}

void Lease::RenewLoop() {
  v1::RenewLeaseRequest request;
  request.set_device_id(lease_.device_id());
  request.set_lease_id(lease_.lease_id());
  MutexLock lock(&mu_);
  // The first renewal at once: from then on, others are told the lease is
  // in use and renewed, not that it expires in a few seconds.
  bool first = true;
  while (true) {
    // Wakes early when asked to stop.
    const absl::Time next = first ? absl::Now() : absl::Now() + ttl_ / 3;
    first = false;
    while (!stopping_ && !stop_cv_.WaitWithDeadline(&mu_, next)) {
    }
    if (stopping_) return;
    mu_.Unlock();
    v1::Lease renewed;
    // Not cut short by Ctrl-C: the command still needs the lease to clean up.
    absl::Status status = client_->Cleanup([&](grpc::ClientContext* context) {
      return client_->devices().RenewLease(context, request, &renewed);
    });
    mu_.Lock();
    // The calls that need the lease report a lost lease themselves; here it
    // is only worth a note.
    if (!status.ok() && !stopping_) {
      Note(absl::StrCat("renewing the lease failed: ", status.message()));
    }
  }
}

void Lease::StopRenewing() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    stop_cv_.SignalAll();
  }
  if (renewer_.joinable()) renewer_.join();
}

absl::Status Lease::Release() {
  StopRenewing();
  if (released_) return absl::OkStatus();
  released_ = true;
  v1::ReleaseLeaseRequest request;
  request.set_device_id(lease_.device_id());
  request.set_lease_id(lease_.lease_id());
  v1::ReleaseLeaseResponse response;
  // Also after Ctrl-C: a lease left held blocks the next user for its ttl.
  return client_->Cleanup([&](grpc::ClientContext* context) {
    return client_->devices().ReleaseLease(context, request, &response);
  });
}

void InstallInterruptHandler() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  // Blocked here, before any thread starts, so every thread inherits the
  // mask and only the watcher receives them.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread(WatchSignals, signals).detach();
}

bool Interrupted() {
  MutexLock lock(&interrupt_mu);
  return interrupted;
}

void WaitForInterrupt() {
  MutexLock lock(&interrupt_mu);
  while (!interrupted) interrupt_cv->Wait(&interrupt_mu);
}

bool WaitForInterruptFor(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  MutexLock lock(&interrupt_mu);
  while (!interrupted) {
    if (interrupt_cv->WaitWithDeadline(&interrupt_mu, deadline)) break;
  }
  return interrupted;
}

CancelOnInterrupt::CancelOnInterrupt(grpc::ClientContext* context)
    : context_(context) {
  MutexLock lock(&interrupt_mu);
  if (active_calls == nullptr)
    active_calls = new std::set<grpc::ClientContext*>;
  active_calls->insert(context);
  if (interrupted) context->TryCancel();
}

CancelOnInterrupt::~CancelOnInterrupt() {
  MutexLock lock(&interrupt_mu);
  active_calls->erase(context_);
}

void SetStreamDuration(grpc::ClientContext* context, absl::Duration duration) {
  if (duration > absl::ZeroDuration())
    context->set_deadline(Deadline(duration));
}

void SetStreamEnd(grpc::ClientContext* context, absl::Time end) {
  if (end != absl::InfiniteFuture())
    context->set_deadline(absl::ToChronoTime(end));
}

absl::Status Client::WaitUntilServing() {
  while (!Interrupted()) {
    int serving = -1;
    const grpc::Status health = CheckHealth(channel_, absl::Seconds(1),
                                            &serving, /*wait_for_ready=*/true);
    if (health.ok() && serving == kServing) return absl::OkStatus();
    // Not back yet: refused, shutting down (its new calls are cancelled),
    // up but not serving yet, or no answer within the second.
    const grpc::StatusCode code = health.error_code();
    if (!health.ok() && code != grpc::StatusCode::UNAVAILABLE &&
        code != grpc::StatusCode::CANCELLED &&
        code != grpc::StatusCode::DEADLINE_EXCEEDED) {
      return FromGrpc(health);
    }
    // Between attempts, without spinning; Ctrl-C ends the wait at once.
    WaitForInterruptFor(absl::Milliseconds(200));
  }
  return absl::CancelledError("interrupted");
}

absl::Status Reconnecting(
    Client& client, const std::function<absl::Status(int reconnects)>& watch,
    int* reconnects) {
  while (true) {
    const absl::Status status = watch(*reconnects);
    if (Interrupted()) return absl::OkStatus();
    if (status.ok() || !absl::IsUnavailable(status)) return status;
    const absl::Time lost = absl::Now();
    // The reason came as a notice (shutting down) or is the connection's.
    Note(absl::StrCat("lost speckd at ", client.address(),
                      "; waiting for it to come back (Ctrl-C to stop)"));
    const absl::Status back = client.WaitUntilServing();
    if (!back.ok()) return Interrupted() ? absl::OkStatus() : back;
    ++*reconnects;
    Note(absl::StrCat("reconnected after ", HumanDuration(absl::Now() - lost),
                      "; what the device did in between was not seen"));
  }
}

}  // namespace speckd::cli
