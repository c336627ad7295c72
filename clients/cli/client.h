// speckctl's side of the connection to speckd: where to connect (--server,
// $SPECKD_SERVER), a health check before the first real call (so a daemon
// that is not running is one clear line, not a gRPC error dump), stubs,
// unary deadlines (--timeout), the device's control lease, Ctrl-C, and the
// loop that reads a server stream.
//
//   absl::StatusOr<GlobalOptions> options = GlobalOptionsFromFlags();
//   auto client = Client::Connect(*options);
//   auto lease = Lease::Acquire(client->get(), /*keep_renewed=*/false);
//   absl::Status s = (*client)->Unary([&](grpc::ClientContext* c) {
//     return (*client)->config().ApplyConfiguration(c, request, &response);
//   });
#ifndef SPECKD_CLIENTS_CLI_CLIENT_H_
#define SPECKD_CLIENTS_CLI_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "clients/cli/output.h"
#include "driver/util/mutex.h"
#include "proto/speckd/v1/config_service.grpc.pb.h"
#include "proto/speckd/v1/device_service.grpc.pb.h"
#include "proto/speckd/v1/event_service.grpc.pb.h"
#include "proto/speckd/v1/graph_service.grpc.pb.h"
#include "proto/speckd/v1/recording_service.grpc.pb.h"
#include "proto/speckd/v1/server_service.grpc.pb.h"

namespace speckd::cli {

inline constexpr char kDefaultServer[] = "127.0.0.1:50051";
inline constexpr char kServerEnv[] = "SPECKD_SERVER";

struct GlobalOptions {
  std::string server = kDefaultServer;
  // Empty: the server's only/first device.
  std::string device;
  absl::Duration timeout = absl::Seconds(10);
  Format format = Format::kTable;
  // Sent as "authorization: Bearer <token>" with every call; empty: none.
  std::string token;
  // PEM contents (not paths): TLS when tls_ca is set; the client's own
  // certificate and key for mutual TLS.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
};

// The access token: --token when given, else $SPECKD_TOKEN; "@FILE" reads
// it from FILE's first line. INVALID_ARGUMENT naming the source if unusable.
absl::StatusOr<std::string> ResolveToken(absl::string_view flag_value,
                                         bool flag_given,
                                         const char* env_value);

// --server when given on the command line, else $SPECKD_SERVER when set and
// not empty, else the flag's default.
std::string ResolveServer(absl::string_view flag_value, bool flag_given,
                          const char* env_value);

// INVALID_ARGUMENT for an address speckctl cannot use, saying how to write
// it: a URL ("http://..."), no port. `source` names where it came from
// ("--server" or "$SPECKD_SERVER").
absl::Status CheckServerAddress(absl::string_view address,
                                absl::string_view source);

// The global flags; INVALID_ARGUMENT for a bad --server, --output or
// --timeout.
absl::StatusOr<GlobalOptions> GlobalOptionsFromFlags();

class Client;

// GlobalOptionsFromFlags(), then Client::Connect().
absl::StatusOr<std::unique_ptr<Client>> ConnectFromFlags();

// "invalid_argument", "failed_precondition", ...
std::string StatusCodeName(grpc::StatusCode code);

// The status speckctl reports for a failed call: speckd's message, code
// kept (shown only with --output=json, see Fail()).
absl::Status FromGrpc(const grpc::Status& status);

// "cannot reach speckd at ADDRESS: REASON — is it running? (start it with
// deploy/run.sh)", as UNAVAILABLE.
absl::Status CannotReach(absl::string_view address, absl::string_view reason);

// A short reason from gRPC's connection error text: "connection refused",
// "the connection was lost", "cannot resolve the host name", "no answer
// within 5s", or the text itself.
std::string ConnectionFailureReason(const grpc::Status& status,
                                    absl::Duration waited);

class Lease;

class Client {
 public:
  // Opens a channel and checks speckd's health (grpc.health.v1) with a short
  // deadline; UNAVAILABLE (CannotReach) when nobody answers.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(
      const GlobalOptions& options);

  const GlobalOptions& options() const { return options_; }
  const std::string& address() const { return options_.server; }
  // As given with --device (empty: the server picks its first device).
  const std::string& device() const { return options_.device; }

  speckd::v1::DeviceService::Stub& devices() { return *devices_; }
  speckd::v1::ConfigService::Stub& config() { return *config_; }
  speckd::v1::EventService::Stub& events() { return *events_; }
  speckd::v1::GraphService::Stub& graphs() { return *graphs_; }
  speckd::v1::RecordingService::Stub& recordings() { return *recordings_; }
  speckd::v1::ServerService::Stub& server() { return *server_; }

  // Runs one unary call with the --timeout deadline (Ctrl-C cancels it).
  grpc::Status Call(
      const std::function<grpc::Status(grpc::ClientContext*)>& call);
  // Call() for cleanup steps (releasing the lease, restoring the pacing)
  // that must still run after Ctrl-C: not cancelled by it.
  absl::Status Cleanup(
      const std::function<grpc::Status(grpc::ClientContext*)>& call);
  // Call(), its failure as Error().
  absl::Status Unary(
      const std::function<grpc::Status(grpc::ClientContext*)>& call) {
    return Error(Call(call));
  }

  // FromGrpc(), except that UNAVAILABLE without a live connection becomes
  // CannotReach (the daemon went away).
  absl::Status Error(const grpc::Status& status) const;

  absl::StatusOr<speckd::v1::Device> GetDevice();
  absl::StatusOr<speckd::v1::GetConfigurationResponse> GetConfiguration();
  // Starts or stops (`enable`) and/or resets the lease's device's stop watch.
  absl::StatusOr<speckd::v1::StopWatch> SetStopWatch(const Lease& lease,
                                                     std::optional<bool> enable,
                                                     bool reset);
  // Drops the inputs the lease's device has not played yet. A cleanup step:
  // it runs after Ctrl-C too.
  absl::StatusOr<speckd::v1::CancelInputsResponse> CancelInputs(
      const Lease& lease);
  // The device once it has played everything written so far;
  // DEADLINE_EXCEEDED after `timeout` (Ctrl-C cancels the wait).
  absl::StatusOr<speckd::v1::Device> WaitIdle(const std::string& device_id,
                                              absl::Duration timeout);
  // Waits (checking health every second) until speckd serves again at the
  // address; CANCELLED on Ctrl-C.
  absl::Status WaitUntilServing();

 private:
  explicit Client(GlobalOptions options) : options_(std::move(options)) {}

  GlobalOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<speckd::v1::DeviceService::Stub> devices_;
  std::unique_ptr<speckd::v1::ConfigService::Stub> config_;
  std::unique_ptr<speckd::v1::EventService::Stub> events_;
  std::unique_ptr<speckd::v1::GraphService::Stub> graphs_;
  std::unique_ptr<speckd::v1::RecordingService::Stub> recordings_;
  std::unique_ptr<speckd::v1::ServerService::Stub> server_;
};

// How speckctl names itself to other clients in the lease:
// "speckctl write (pid 4242 on lab1)".
std::string LeaseHolder();
// The command named in LeaseHolder() (main sets it).
void SetLeaseCommand(absl::string_view command);

// The device's control lease, held until Release() or destruction. With
// keep_renewed, a thread renews it every ttl/3 (long writes, the demo).
class Lease {
 public:
  static absl::StatusOr<std::unique_ptr<Lease>> Acquire(
      Client* client, bool keep_renewed,
      absl::Duration ttl = absl::Seconds(10));
  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  const std::string& id() const { return lease_.lease_id(); }
  // The device the server resolved (also for an empty --device).
  const std::string& device_id() const { return lease_.device_id(); }
  absl::Status Release();

 private:
  Lease(Client* client, speckd::v1::Lease lease, absl::Duration ttl)
      : client_(client), lease_(std::move(lease)), ttl_(ttl) {}
  void RenewLoop();
  void StopRenewing();

  Client* client_;
  speckd::v1::Lease lease_;
  absl::Duration ttl_;
  bool released_ = false;
  Mutex mu_;
  CondVar stop_cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread renewer_;
};

// Routes SIGINT/SIGTERM to a watcher thread that cancels registered calls.
// Call first thing in main(), before any other thread exists. A second
// Ctrl-C exits at once.
void InstallInterruptHandler();
bool Interrupted();
// Blocks until Ctrl-C (or SIGTERM).
void WaitForInterrupt();
// The same for at most `timeout`; whether it came.
bool WaitForInterruptFor(absl::Duration timeout);

// While alive, Ctrl-C cancels `context`'s call.
class CancelOnInterrupt {
 public:
  explicit CancelOnInterrupt(grpc::ClientContext* context);
  ~CancelOnInterrupt();
  CancelOnInterrupt(const CancelOnInterrupt&) = delete;
  CancelOnInterrupt& operator=(const CancelOnInterrupt&) = delete;

 private:
  grpc::ClientContext* context_;
};

// Gives a stream context the deadline of --duration (zero: none).
void SetStreamDuration(grpc::ClientContext* context, absl::Duration duration);
// The same for an end fixed once (InfiniteFuture: none), so that a stream
// that reconnects still ends on time.
void SetStreamEnd(grpc::ClientContext* context, absl::Time end);

// Runs `watch` (one subscription, given how often it reconnected so far)
// and, when speckd goes away (UNAVAILABLE) before Ctrl-C, says so, waits for
// it to serve again, says after how long, and runs it again. Counts the
// reconnects in `*reconnects`.
absl::Status Reconnecting(
    Client& client, const std::function<absl::Status(int reconnects)>& watch,
    int* reconnects);

// Reads a server stream to its end. Waits for the response headers first:
// speckd sends them once the subscription is attached, so `on_attached`
// runs when nothing written from then on can be missed. Then calls
// `on_message` per message until it returns false. Ctrl-C, `on_message`
// returning false and the --duration deadline (SetStreamDuration) end the
// stream normally (OK).
template <typename Message>
absl::Status ReadStream(const Client& client, grpc::ClientContext* context,
                        grpc::ClientReader<Message>* reader,
                        const std::function<void()>& on_attached,
                        const std::function<bool(const Message&)>& on_message) {
  CancelOnInterrupt cancel(context);
  reader->WaitForInitialMetadata();
  if (on_attached) on_attached();
  Message message;
  bool stopped = false;
  while (reader->Read(&message)) {
    if (!on_message(message)) {
      stopped = true;
      context->TryCancel();
      break;
    }
  }
  const grpc::Status status = reader->Finish();
  if (status.ok() || stopped || Interrupted()) return absl::OkStatus();
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
      context->deadline() != std::chrono::system_clock::time_point::max()) {
    return absl::OkStatus();
  }
  return client.Error(status);
}

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_CLIENT_H_
