// speckd: owns Speck2e devkits (simulated by default) and serves them over
// gRPC. See README.md.
#include <libusb-1.0/libusb.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "driver/chip/accumulate.h"
#include "driver/samna/samna_bus.h"
#include "driver/sim/sim_bus.h"
#include "driver/usb/usb_bus.h"
#include "proto/speckd/v1/device_service.grpc.pb.h"
#include "server/api/server_service.h"
#include "server/auth/token_file.h"
#include "server/devices/config_store.h"
#include "server/devices/device_manager.h"
#include "server/listen/descriptors.h"
#include "server/listen/listen_check.h"
#include "server/log/log.h"
#include "server/recording/recording_api.h"
#include "server/samna/samna_start.h"
#include "server/service/repeating_warning.h"
#include "server/service/service_notifier.h"
#include "server/speckd_server.h"
#include "server/tls/tls_files.h"
#include "server/web/web_server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "HOST:PORT for gRPC. Loopback by default; 0.0.0.0:50051 serves "
          "the lab network (with --tls_cert/--tls_key and --auth_tokens, "
          "or --insecure_remote). Port 0 picks a free port.");
ABSL_FLAG(std::string, web_listen, "127.0.0.1:8080",
          "HOST:PORT for the dashboard and grpc-web (HTTP/1.1); empty turns "
          "it off. Loopback by default.");
ABSL_FLAG(bool, insecure_remote, false,
          "Serve --listen / --web_listen addresses beyond loopback without "
          "TLS and access tokens (anyone who can connect can drive the "
          "devices); warned at start and every hour.");
ABSL_FLAG(std::vector<std::string>, web_allowed_origins, {},
          "Web pages (scheme://host:port, comma-separated) that may call "
          "speckd besides the dashboard speckd serves itself, e.g. "
          "http://localhost:5173 for the dashboard's dev server.");
ABSL_FLAG(std::vector<std::string>, web_allowed_hosts, {},
          "Host names the web port answers to besides loopback names, IP "
          "addresses and this machine's name (a guard against DNS "
          "rebinding), e.g. speck.lab.example.org.");
ABSL_FLAG(absl::Duration, grpc_handshake_timeout, absl::Seconds(10),
          "A gRPC connection that has not started HTTP/2 this long after "
          "connecting is closed.");
ABSL_FLAG(absl::Duration, grpc_max_connection_idle, absl::Minutes(10),
          "A gRPC connection with no call this long is closed (GOAWAY; "
          "clients reconnect when they next call).");
ABSL_FLAG(uint64_t, max_connections, 4096,
          "Most TCP connections open at once on both ports together (at "
          "most three quarters of the open-file limit); past it a new "
          "connection is closed as soon as accepted. 0: no cap.");
ABSL_FLAG(uint64_t, max_connections_per_client, 128,
          "Most TCP connections one client address may hold on both ports "
          "together (a browser needs about 6, a Python client 1). 0: no "
          "cap.");
ABSL_FLAG(absl::Duration, web_request_timeout, absl::Seconds(10),
          "How long a web client may take to send a request, or stay idle "
          "between requests, before the connection is closed (grpc-web "
          "streams in progress are exempt).");
ABSL_FLAG(std::string, web_root, "",
          "Directory of the built dashboard (clients/web/dist); deploy/run.sh "
          "builds it and sets this.");
ABSL_FLAG(int, sim_devices, 1,
          "How many simulated devkits to register (speck2edevkit-sim:0, "
          "...).");
ABSL_FLAG(bool, sim_faults, false,
          "Let clients unplug and replug simulated devkits (SimulateFault, "
          "speckctl sim unplug/replug) to test how they recover.");
ABSL_FLAG(std::string, sim_pacing, "real_time",
          "Pacing of the simulated devkits: real_time (inputs are released "
          "when the stop watch reaches their timestamps, like a devkit) or "
          "as_fast_as_possible. Clients can change it with SetPacing.");
ABSL_FLAG(std::string, usb, "auto",
          "auto: find boards on USB and follow hotplug (a machine without "
          "USB just has none); off: simulated devkits only.");
ABSL_FLAG(std::string, usb_ids, "",
          "More USB ids to treat as boards, VVVV:PPPP=KIND separated by "
          "commas (KIND: speck2edevkit, fx3-boot, synsense), e.g. "
          "337d:0001=speck2edevkit once lsusb shows your devkit's id.");
ABSL_FLAG(std::string, usb_ids_file, "",
          "A file of such rules, one per line, '#' comments.");
ABSL_FLAG(std::string, samna_python, "",
          "Drive devkits through SynSense's samna: the Python samna is "
          "installed for (e.g. /opt/samna/bin/python3), or auto to look for "
          "one. Off by default; turns the USB backend off (samna must be the "
          "boards' only opener). docs/hardware.md.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(2),
          "How long in-flight calls may take to finish on SIGTERM/SIGINT.");
ABSL_FLAG(absl::Duration, device_watchdog, absl::Seconds(10),
          "A device whose driver leaves a ping unanswered this long is taken "
          "for wedged: it goes LOST and its driver is restarted (0 = off).");
ABSL_FLAG(std::string, data_dir, "",
          "Where recordings are kept (in recordings/); default "
          "$STATE_DIRECTORY, else $XDG_STATE_HOME/speckd, else "
          "~/.local/state/speckd.");
ABSL_FLAG(uint64_t, max_recording_bytes, uint64_t{16} << 30,
          "A recording ends (cleanly, with RESOURCE_EXHAUSTED) at this size.");
ABSL_FLAG(uint64_t, recordings_quota_bytes, uint64_t{64} << 30,
          "All recordings together may take this much; one that would go "
          "past it ends, and no new one starts.");
ABSL_FLAG(std::string, auth_tokens, "",
          "Access tokens (lines NAME ROLE sha256:HASH; `speckctl token new` "
          "makes one): every call then needs a token of a role that may make "
          "it (docs/daemon.md, \"Access\"). Re-read on SIGHUP.");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain: both ports serve TLS (with --tls_key; the "
          "dashboard then is https). Re-read when the file changes.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA: clients may present certificates it signed (mutual TLS); "
          "a token file line NAME ROLE cert:CERTNAME gives one a role.");
ABSL_FLAG(std::string, persist_configs, "auto",
          "Keep each board's last applied configuration in the data "
          "directory's configs/ and apply it again when speckd starts: on, "
          "off, or auto (on for the systemd service, where $STATE_DIRECTORY "
          "is set; hand-run daemons start clean).");
ABSL_FLAG(bool, verbose, false, "Also log debug lines.");

// --help lists speckd's own flags (absl's default matches only files named
// after the binary, and finds none).
bool IsSpeckdFlagFile(absl::string_view file) {
  return absl::StrContains(file, "server/") ||
         absl::StrContains(file, "driver/");
}

// Boards on USB, unless --usb=off. Bad id rules are the user's to fix (an
// error); a machine where libusb cannot start runs without USB (a warning).
absl::Status StartUsb(speckd::server::DeviceManager* devices,
                      std::unique_ptr<speckd::driver::usb::UsbBus>* bus) {
  const std::string mode = absl::GetFlag(FLAGS_usb);
  if (mode == "off") return absl::OkStatus();
  if (mode != "auto") {
    return absl::InvalidArgumentError(
        absl::StrCat("--usb=", mode, ": use auto or off"));
  }
  speckd::driver::usb::UsbBusOptions options;
  if (absl::Status s =
          options.ids.Add(absl::GetFlag(FLAGS_usb_ids), "--usb_ids");
      !s.ok()) {
    return s;
  }
  if (const std::string file = absl::GetFlag(FLAGS_usb_ids_file);
      !file.empty()) {
    if (absl::Status s = options.ids.AddFile(file); !s.ok()) return s;
  }
  absl::StatusOr<std::unique_ptr<speckd::driver::usb::UsbBus>> started =
      speckd::driver::usb::UsbBus::Start(std::move(options), devices);
  if (!started.ok()) {
    speckd::log::Warning("usb_unavailable",
                         {{"error", started.status().message()}});
    return absl::OkStatus();
  }
  *bus = *std::move(started);
  speckd::log::Info("usb", {{"hotplug", (*bus)->hotplug()}});
  if (!(*bus)->hotplug()) {
    speckd::log::Warning(
        "usb_no_hotplug",
        {{"effect", "boards plugged in later are seen after a restart"}});
  }
  return absl::OkStatus();
}

// One line per device at start, for the person at the terminal: what speckd
// found and, for a board it cannot use, what to do (the same text as
// `speckctl devices`).
void PrintDevices(const speckd::server::DeviceManager& devices) {
  for (const speckd::server::DeviceSnapshot& d : devices.List()) {
    const speckd::driver::DeviceDescriptor& id = d.descriptor;
    std::string where = "simulated";
    if (id.backend == speckd::driver::Backend::kUsb) {
      where = absl::StrFormat("usb %d-%s, %04x:%04x", id.usb_bus_number,
                              id.usb_port_path, id.usb_vendor_id,
                              id.usb_product_id);
    } else if (id.backend == speckd::driver::Backend::kSamna) {
      where = absl::StrFormat("samna, usb bus %d address %d", id.usb_bus_number,
                              id.usb_device_address);
    }
    std::printf("speckd device %s (%s): %s%s%s\n", id.id.c_str(), where.c_str(),
                speckd::server::DeviceStateName(d.state),
                d.state_detail.empty() ? "" : ": ", d.state_detail.c_str());
  }
}

// The service watchdog's probe: a gRPC call through the daemon's own server
// threads and the web port's event loop each answer within 2 s.
absl::Status ProbeDaemon(const std::shared_ptr<grpc::Channel>& channel,
                         speckd::server::web::WebServer* web) {
  constexpr absl::Duration kDeadline = absl::Seconds(2);
  // GetServerInfo needs no token (access control may be on).
  auto stub = speckd::v1::ServerService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kDeadline));
  speckd::v1::ServerInfo info;
  grpc::Status answered =
      stub->GetServerInfo(&context, speckd::v1::GetServerInfoRequest(), &info);
  if (!answered.ok()) {
    return absl::UnavailableError(
        absl::StrCat("gRPC: GetServerInfo: ", answered.error_message()));
  }
  return web != nullptr ? web->Ping(kDeadline) : absl::OkStatus();
}

// SIGHUP: the token file again; a file that no longer parses keeps the
// tokens in force (and says why).
void ReloadTokens(speckd::server::SpeckdServer* server) {
  const std::string file = absl::GetFlag(FLAGS_auth_tokens);
  if (file.empty()) {
    speckd::log::Info("sighup", {{"effect", "nothing to reload"}});
    return;
  }
  absl::StatusOr<speckd::server::auth::TokenTable> loaded =
      speckd::server::auth::TokenTable::Load(file);
  if (!loaded.ok()) {
    speckd::log::Error("auth_reload_failed",
                       {{"error", loaded.status().message()},
                        {"effect", "the tokens loaded before stay in force"}});
    return;
  }
  const size_t entries = loaded->size();
  absl::Status reloaded = server->ReloadTokens(
      std::make_shared<const speckd::server::auth::TokenTable>(
          *std::move(loaded)));
  speckd::log::Info("auth_reloaded",
                    {{"tokens", file},
                     {"entries", entries},
                     {"error", reloaded.ok() ? "" : reloaded.message()}});
}

// BuildInfo(), the libusb this daemon runs on and the instruction set of
// the simulated devkit's chip model (sse2, avx2, avx512).
speckd::v1::ServerInfo DaemonInfo() {
  speckd::v1::ServerInfo info = speckd::server::api::BuildInfo();
  const libusb_version* usb = libusb_get_version();
  (*info.mutable_components())["libusb"] =
      absl::StrCat(usb->major, ".", usb->minor, ".", usb->micro);
  (*info.mutable_components())["chip_model"] =
      speckd::chip::IsaName(speckd::chip::ChosenIsa());
  return info;
}

// The dashboard's address as a browser opens it: a listener on every
// address (0.0.0.0, [::]) is reached by this machine's name (which the web
// port's Host check answers).
std::string BrowsableAddress(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return address;
  const std::string host = address.substr(0, colon);
  if (host != "0.0.0.0" && host != "[::]" && host != "::" && !host.empty()) {
    return address;
  }
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') {
    return address;
  }
  return absl::StrCat(name, address.substr(colon));
}

// --max_connections and --max_connections_per_client, applied by the
// accept guard to both ports. The total stays under the open-file limit so
// that a crowd meets the cap (a clean refusal) before descriptors run out.
void SetConnectionCaps(uint64_t open_files_limit) {
  speckd::server::ConnectionLimits limits;
  limits.per_client = absl::GetFlag(FLAGS_max_connections_per_client);
  limits.total = absl::GetFlag(FLAGS_max_connections);
  if (limits.total != 0 && open_files_limit != 0) {
    limits.total = std::min<uint64_t>(limits.total, open_files_limit / 4 * 3);
  }
  speckd::server::SetConnectionLimits(limits);
  speckd::log::Info("connection_caps", {{"total", limits.total},
                                        {"per_client", limits.per_client}});
}

int main(int argc, char** argv) {
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = IsSpeckdFlagFile;
  usage.contains_helpshort_flags = IsSpeckdFlagFile;
  usage.version_string = [] {
    return speckd::server::api::VersionLine(DaemonInfo()) + "\n";
  };
  absl::SetFlagsUsageConfig(usage);
  absl::SetProgramUsageMessage(
      "owns Speck2e devkits (a simulated one by default) and serves "
      "them over gRPC,\nwith the dashboard and grpc-web on --web_listen.\n"
      "  speckd --listen=127.0.0.1:50051 --web_listen=127.0.0.1:8080\n"
      "docs/daemon.md says how it behaves; deploy/run.sh builds and starts "
      "it.");
  absl::ParseCommandLine(argc, argv);
  // Debian builds Abseil with Mutex deadlock detection on, which tracks every
  // lock acquisition in a graph: a cost on the data path. Tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (absl::GetFlag(FLAGS_verbose)) {
    speckd::log::SetMinLevel(speckd::log::Level::kDebug);
  }

  // Before any socket exists: the most descriptors this process may have,
  // and a guard that keeps both ports alive if they run out anyway.
  const uint64_t open_files_limit = speckd::server::RaiseOpenFileLimit();
  speckd::log::Info("descriptors", {{"open_files_limit", open_files_limit}});
  if (absl::Status guard = speckd::server::InstallAcceptGuard(); !guard.ok()) {
    speckd::log::Warning("accept_guard", {{"error", guard.message()}});
  }
  SetConnectionCaps(open_files_limit);

  // Block the shutdown signals before any thread starts so that only the
  // sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::shared_ptr<const speckd::server::auth::TokenTable> tokens;
  if (const std::string file = absl::GetFlag(FLAGS_auth_tokens);
      !file.empty()) {
    absl::StatusOr<speckd::server::auth::TokenTable> loaded =
        speckd::server::auth::TokenTable::Load(file);
    if (!loaded.ok()) {
      std::fprintf(stderr, "speckd: --auth_tokens: %s\n",
                   std::string(loaded.status().message()).c_str());
      return 2;
    }
    tokens = std::make_shared<const speckd::server::auth::TokenTable>(
        *std::move(loaded));
    speckd::log::Info("auth", {{"tokens", file}, {"entries", tokens->size()}});
  }

  const speckd::server::tls::TlsFiles tls{absl::GetFlag(FLAGS_tls_cert),
                                          absl::GetFlag(FLAGS_tls_key),
                                          absl::GetFlag(FLAGS_tls_client_ca)};
  if (absl::Status checked = speckd::server::tls::CheckTlsFiles(tls);
      !checked.ok()) {
    std::fprintf(stderr, "speckd: %s\n",
                 std::string(checked.message()).c_str());
    return 2;
  }

  // Before anything starts: a second speckd on the same ports is the
  // commonest mistake, and gRPC's own error for it is a dump. The network
  // beyond loopback needs TLS and tokens (both ports take the same files).
  const bool secured = tls.enabled() && tokens != nullptr;
  constexpr const char* kHow =
      "Give it --tls_cert, --tls_key and --auth_tokens (docs/daemon.md, "
      "\"On a lab network\").";
  for (const auto& [address, what] :
       {std::pair<std::string, const char*>{absl::GetFlag(FLAGS_listen),
                                            "gRPC"},
        {absl::GetFlag(FLAGS_web_listen), "web"}}) {
    if (address.empty()) continue;
    if (absl::Status remote = speckd::server::CheckRemoteListen(
            address, what, absl::GetFlag(FLAGS_insecure_remote), secured, kHow);
        !remote.ok()) {
      std::fprintf(stderr, "speckd: %s\n",
                   std::string(remote.message()).c_str());
      return 2;
    }
    if (absl::Status free = speckd::server::CheckCanListen(address, what);
        !free.ok()) {
      std::fprintf(stderr, "speckd: %s\n", std::string(free.message()).c_str());
      return 1;
    }
  }

  const std::string pacing = absl::GetFlag(FLAGS_sim_pacing);
  if (pacing != "real_time" && pacing != "as_fast_as_possible") {
    std::fprintf(stderr,
                 "speckd: --sim_pacing=%s: use real_time or "
                 "as_fast_as_possible\n",
                 pacing.c_str());
    return 2;
  }
  speckd::server::ManagedDeviceOptions device_options;
  const std::string persist = absl::GetFlag(FLAGS_persist_configs);
  if (persist != "auto" && persist != "on" && persist != "off") {
    std::fprintf(stderr, "speckd: --persist_configs=%s: use auto, on or off\n",
                 persist.c_str());
    return 2;
  }
  const char* state_directory = std::getenv("STATE_DIRECTORY");
  if (persist == "on" || (persist == "auto" && state_directory != nullptr &&
                          *state_directory != '\0')) {
    const std::string data_dir = absl::GetFlag(FLAGS_data_dir).empty()
                                     ? speckd::server::DefaultDataDir()
                                     : absl::GetFlag(FLAGS_data_dir);
    device_options.configs =
        std::make_shared<const speckd::server::ConfigStore>(data_dir +
                                                            "/configs");
    speckd::log::Info("persist_configs",
                      {{"dir", device_options.configs->dir()}});
  }
  device_options.watchdog =
      std::max(absl::GetFlag(FLAGS_device_watchdog), absl::ZeroDuration());
  speckd::server::DeviceManager devices(speckd::driver::RealClock(),
                                        device_options);
  speckd::driver::sim::SimBusOptions sim;
  sim.count = absl::GetFlag(FLAGS_sim_devices);
  sim.device.pacing = pacing == "real_time"
                          ? speckd::driver::Pacing::kRealTime
                          : speckd::driver::Pacing::kAsFastAsPossible;
  speckd::driver::sim::SimBus sim_bus(sim);
  if (absl::GetFlag(FLAGS_sim_faults)) devices.SetBoardFaults("sim:", &sim_bus);
  sim_bus.Start(&devices);
  speckd::log::Info("sim_devices",
                    {{"count", sim.count},
                     {"pacing", pacing},
                     {"faults", absl::GetFlag(FLAGS_sim_faults)}});

  std::unique_ptr<speckd::driver::samna::SamnaBus> samna_bus;
  std::unique_ptr<speckd::driver::usb::UsbBus> usb_bus;
  if (const std::string python = absl::GetFlag(FLAGS_samna_python);
      !python.empty()) {
    const std::string data_dir = absl::GetFlag(FLAGS_data_dir).empty()
                                     ? speckd::server::DefaultDataDir()
                                     : absl::GetFlag(FLAGS_data_dir);
    auto started = speckd::server::StartSamna(python, data_dir, &devices);
    if (!started.ok()) {
      std::fprintf(stderr, "speckd: %s\n",
                   std::string(started.status().message()).c_str());
      return 2;
    }
    samna_bus = *std::move(started);
    speckd::log::Info("usb", {{"off", "samna drives the boards"}});
  } else if (absl::Status usb = StartUsb(&devices, &usb_bus); !usb.ok()) {
    std::fprintf(stderr, "speckd: %s\n", std::string(usb.message()).c_str());
    return 2;
  }

  if (const std::string isa = speckd::chip::ChosenIsaProblem(); !isa.empty()) {
    speckd::log::Warning("chip_model_isa", {{"error", isa}});
  }
  speckd::server::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.recordings.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.recordings.max_recording_bytes =
      absl::GetFlag(FLAGS_max_recording_bytes);
  options.recordings.quota_bytes = absl::GetFlag(FLAGS_recordings_quota_bytes);
  options.handshake_timeout = absl::GetFlag(FLAGS_grpc_handshake_timeout);
  options.max_connection_idle = absl::GetFlag(FLAGS_grpc_max_connection_idle);
  options.info = DaemonInfo();
  options.tokens = tokens;
  if (tls.enabled()) {
    options.credentials = speckd::server::tls::GrpcServerCredentials(tls);
    speckd::log::Info("tls", {{"cert", tls.cert},
                              {"client_ca", tls.client_ca},
                              {"reload", "when the files change"}});
  }
  if (sim.count > 0) options.info.add_backends("SIMULATED");
  if (usb_bus != nullptr) options.info.add_backends("USB");
  if (samna_bus != nullptr) options.info.add_backends("SAMNA");
  options.info.mutable_limits()->set_open_files_limit(open_files_limit);
  options.info.mutable_limits()->set_max_web_body_bytes(
      speckd::server::web::kMaxBodyBytes);
  auto server = speckd::server::SpeckdServer::Start(options, &devices);
  if (!server.ok()) {
    std::fprintf(stderr, "speckd: %s\n",
                 std::string(server.status().message()).c_str());
    return 1;
  }
  // The line a user (or a test) reads to learn where to connect.
  std::printf("speckd listening on %s (gRPC)\n", (*server)->address().c_str());
  std::unique_ptr<speckd::server::web::WebServer> web;
  if (!absl::GetFlag(FLAGS_web_listen).empty()) {
    speckd::server::web::WebServerOptions web_options;
    web_options.listen = absl::GetFlag(FLAGS_web_listen);
    web_options.web_root = absl::GetFlag(FLAGS_web_root);
    web_options.policy.allowed_origins =
        absl::GetFlag(FLAGS_web_allowed_origins);
    web_options.policy.allowed_hosts = absl::GetFlag(FLAGS_web_allowed_hosts);
    web_options.request_timeout = absl::GetFlag(FLAGS_web_request_timeout);
    web_options.tls = tls;
    web_options.metrics = [&server] { return (*server)->MetricsText(); };
    if (tokens != nullptr) {
      web_options.authorize_metrics = [&server](const std::string& header) {
        return (*server)->Authorize(
            "/metrics", speckd::server::auth::Role::kViewer, header);
      };
    }
    auto started = speckd::server::web::WebServer::Start(
        web_options, (*server)->InProcessChannel());
    if (!started.ok()) {
      std::fprintf(stderr, "speckd: %s\n",
                   std::string(started.status().message()).c_str());
      return 1;
    }
    web = *std::move(started);
    // Without --web_root the page only says how to serve the dashboard.
    std::printf(
        "speckd dashboard at %s://%s/ (grpc-web on the same port%s)\n",
        web->scheme(), BrowsableAddress(web->address()).c_str(),
        web_options.web_root.empty()
            ? "; no dashboard files: --web_root=clients/web/dist serves a "
              "built checkout's"
            : "");
    speckd::log::Info("web_listening", {{"address", web->address()},
                                        {"web_root", web_options.web_root}});
  }
  PrintDevices(devices);
  std::fflush(stdout);
  // After `web`, so destroyed first: its probe uses the web port.
  std::shared_ptr<grpc::Channel> probe_channel = (*server)->InProcessChannel();
  speckd::server::ServiceNotifier notifier(
      [&] { return ProbeDaemon(probe_channel, web.get()); });
  notifier.Ready(absl::StrCat("serving ", devices.List().size(),
                              " device(s); gRPC on ", (*server)->address(),
                              web != nullptr ? ", dashboard on " : "",
                              web != nullptr ? web->address() : ""));

  // Said at start and every hour while it lasts, so it is in every log.
  std::unique_ptr<speckd::server::RepeatingWarning> remote_warning;
  if (absl::GetFlag(FLAGS_insecure_remote) &&
      (!speckd::server::IsLoopbackListen(absl::GetFlag(FLAGS_listen)) ||
       (!absl::GetFlag(FLAGS_web_listen).empty() &&
        !speckd::server::IsLoopbackListen(absl::GetFlag(FLAGS_web_listen))))) {
    remote_warning = std::make_unique<speckd::server::RepeatingWarning>(
        "insecure_remote",
        "serving the network without TLS or authentication: anyone who can "
        "connect can drive the devices",
        absl::Hours(1));
  }

  int received = 0;
  while (sigwait(&signals, &received) == 0 && received == SIGHUP) {
    ReloadTokens(server->get());
  }
  speckd::log::Info("shutdown",
                    {{"signal", received == SIGINT ? "SIGINT" : "SIGTERM"}});
  notifier.Stopping();
  // Both at once: the daemon ends every stream with a SHUTTING_DOWN notice
  // and UNAVAILABLE, and browser streams (on the in-process channel) pass
  // that on before the web server lets go of them.
  const absl::Duration grace = absl::GetFlag(FLAGS_shutdown_grace);
  std::thread grpc_shutdown([&server, grace] { (*server)->Shutdown(grace); });
  if (web != nullptr) web->Shutdown(grace);
  grpc_shutdown.join();
  return 0;
}
