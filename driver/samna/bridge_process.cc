#include "driver/samna/bridge_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "driver/samna/bridge_sources.h"

extern char** environ;

namespace speckd::driver::samna {
namespace {

constexpr uint32_t kProtocol = 1;
constexpr uint32_t kMaxFrame = 64u << 20;
constexpr size_t kLastLines = 20;
// What a bridge says before it exits for a reason it knows.
constexpr absl::string_view kOwnWords = "speckd-samna-bridge: ";
constexpr absl::string_view kBusyPayload = "speckd.bridge/board_busy";

absl::Status Errno(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool ReadAll(int fd, char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::read(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

absl::Status WriteSources(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Errno(absl::StrCat("cannot create ", dir));
  }
  for (const BridgeSource& source : BridgeSources()) {
    const std::string path = absl::StrCat(dir, "/", source.name);
    const std::string temp = path + ".tmp";
    std::ofstream out(temp, std::ios::trunc);
    out << source.text;
    out.close();
    if (!out || ::rename(temp.c_str(), path.c_str()) != 0) {
      return Errno(absl::StrCat("cannot write ", path));
    }
  }
  return absl::OkStatus();
}

std::string DescribeWait(int status) {
  if (WIFEXITED(status))
    return absl::StrCat("exited with status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return absl::StrCat("was killed by signal ", WTERMSIG(status), " (",
                        strsignal(WTERMSIG(status)), ")");
  }
  return "stopped";
}

}  // namespace

absl::Status ErrorStatus(const bridge::Error& error) {
  const int code = error.code() == 0
                       ? static_cast<int>(absl::StatusCode::kUnknown)
                       : error.code();
  absl::Status status(static_cast<absl::StatusCode>(code), error.message());
  if (error.board_busy()) status.SetPayload(kBusyPayload, absl::Cord("1"));
  return status;
}

bool IsBoardBusy(const absl::Status& status) {
  return status.GetPayload(kBusyPayload).has_value();
}

BridgeProcess::BridgeProcess(const BridgeOptions& options, Handler* handler)
    : options_(options), handler_(handler) {}

absl::StatusOr<std::unique_ptr<BridgeProcess>> BridgeProcess::Start(
    const BridgeOptions& options, Handler* handler) {
  std::unique_ptr<BridgeProcess> process(new BridgeProcess(options, handler));
  if (absl::Status s = process->Spawn(); !s.ok()) return s;
  bridge::Request hello;
  hello.mutable_hello()->set_protocol(kProtocol);
  absl::StatusOr<bridge::Reply> reply =
      process->Call(std::move(hello), options.start_timeout);
  if (reply.ok()) {
    process->hello_ = reply->hello();
    process->started_ = true;
    if (process->alive()) return process;
  }
  // The bridge's own words (no samna, ...) say more than a closed pipe.
  process->Kill("the samna bridge did not start");
  process->reader_done_.WaitForNotification();
  return absl::UnavailableError(process->ExitReason());
}

absl::Status BridgeProcess::Spawn() {
  if (::mkdir(options_.work_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Errno(absl::StrCat("cannot create ", options_.work_dir));
  }
  const std::string dir = options_.work_dir + "/samna-bridge";
  if (absl::Status s = WriteSources(dir); !s.ok()) return s;
  int sockets[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) {
    return Errno("socketpair");
  }
  int err[2];
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(sockets[0]);
    ::close(sockets[1]);
    return Errno("pipe");
  }
  // Everything the child needs is built before fork (only exec-safe calls
  // after it).
  const std::string script = absl::StrCat(dir, "/", BridgeSources()[0].name);
  std::vector<std::string> args = {options_.python, "-u", script, "--fd=3"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const char* work_dir = options_.work_dir.c_str();
  const pid_t pid = ::fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(err[1], 1);
    ::dup2(err[1], 2);
    ::dup2(sockets[1], 3);  // dup2 clears FD_CLOEXEC on the copy
    if (::chdir(work_dir) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), environ);
    const char message[] = "speckd-samna-bridge: cannot run the Python given\n";
    (void)!::write(2, message, sizeof(message) - 1);
    ::_exit(127);
  }
  ::close(sockets[1]);
  ::close(err[1]);
  pid_ = pid;
  socket_ = sockets[0];
  stderr_ = err[0];
  stderr_reader_ = std::thread([this] { StderrLoop(); });
  reader_ = std::thread([this] { ReadLoop(); });
  return absl::OkStatus();
}

BridgeProcess::~BridgeProcess() { Shutdown(); }

void BridgeProcess::Shutdown() {
  if (closing_.exchange(true)) return;
  if (socket_ >= 0) {
    ::shutdown(socket_, SHUT_WR);  // the bridge's EOF: it closes its boards
    if (!reader_done_.WaitForNotificationWithTimeout(absl::Seconds(5))) {
      Kill("speckd stopped the samna bridge");
    }
  }
  if (reader_.joinable()) reader_.join();
  if (stderr_reader_.joinable()) stderr_reader_.join();
  if (socket_ >= 0) ::close(socket_);
  if (stderr_ >= 0) ::close(stderr_);
  socket_ = stderr_ = -1;
}

absl::Status BridgeProcess::Send(const bridge::Request& request) {
  std::string frame(4, '\0');
  const uint32_t size = static_cast<uint32_t>(request.ByteSizeLong());
  std::memcpy(frame.data(), &size, 4);
  request.AppendToString(&frame);
  MutexLock lock(&send_mu_);
  if (!WriteAll(socket_, frame.data(), frame.size())) {
    return absl::UnavailableError("the samna bridge has gone");
  }
  return absl::OkStatus();
}

absl::Status BridgeProcess::GoneLocked() const {
  return absl::UnavailableError(absl::StrCat(
      kill_reason_.empty() ? "the samna bridge has gone" : kill_reason_,
      "; speckd restarts it, and re-applies each board's configuration when "
      "the board is back"));
}

absl::StatusOr<bridge::Reply> BridgeProcess::Call(bridge::Request request,
                                                  absl::Duration timeout) {
  Pending pending;
  {
    MutexLock lock(&mu_);
    if (dead_.load()) return GoneLocked();
    request.set_id(next_id_++);
    pending_[request.id()] = &pending;
  }
  // A failed send means the bridge is going: its reader hears the end and
  // fails this call with why (or the deadline does).
  (void)Send(request);
  const absl::Time deadline = absl::Now() + timeout;
  bool timed_out = false;
  {
    MutexLock lock(&mu_);
    while (!pending.done) {
      if (reply_cv_.WaitWithDeadline(&mu_, deadline) && !pending.done) {
        timed_out = true;
        break;
      }
    }
    pending_.erase(request.id());
  }
  if (timed_out) {
    const google::protobuf::FieldDescriptor* call =
        request.GetReflection()->GetOneofFieldDescriptor(
            request, request.GetDescriptor()->FindOneofByName("call"));
    const std::string what =
        absl::StrCat("the samna bridge did not answer ",
                     call != nullptr ? call->name() : "a call", " within ",
                     absl::FormatDuration(timeout));
    Kill(what);
    return absl::DeadlineExceededError(what);
  }
  if (!pending.status.ok()) return pending.status;
  if (pending.reply.has_error()) return ErrorStatus(pending.reply.error());
  return std::move(pending.reply);
}

void BridgeProcess::Kill(const std::string& why) {
  {
    MutexLock lock(&mu_);
    if (kill_reason_.empty()) kill_reason_ = why;
  }
  if (pid_ > 0 && !dead_.load()) ::kill(pid_, SIGKILL);
}

void BridgeProcess::ReadLoop() {
  std::string frame;
  while (true) {
    uint32_t size = 0;
    if (!ReadAll(socket_, reinterpret_cast<char*>(&size), 4)) break;
    if (size > kMaxFrame) {
      Kill(absl::StrCat("the samna bridge sent a ", size, "-byte frame"));
      break;
    }
    frame.resize(size);
    if (!ReadAll(socket_, frame.data(), size)) break;
    bridge::BridgeMessage message;
    if (!message.ParseFromString(frame)) {
      Kill("the samna bridge sent a message speckd cannot parse");
      break;
    }
    Dispatch(std::move(message));
  }
  Died();
  reader_done_.Notify();
}

void BridgeProcess::Dispatch(bridge::BridgeMessage message) {
  switch (message.kind_case()) {
    case bridge::BridgeMessage::kReply: {
      MutexLock lock(&mu_);
      auto it = pending_.find(message.reply().id());
      if (it != pending_.end()) {
        it->second->reply = std::move(*message.mutable_reply());
        it->second->done = true;
        reply_cv_.SignalAll();
      }
      break;
    }
    case bridge::BridgeMessage::kOutputs:
      if (handler_ != nullptr) {
        handler_->OnOutputs(std::move(*message.mutable_outputs()));
      }
      break;
    case bridge::BridgeMessage::kBoardsChanged:
      if (handler_ != nullptr) {
        handler_->OnBoardsChanged(message.boards_changed().boards());
      }
      break;
    case bridge::BridgeMessage::KIND_NOT_SET:
      break;
  }
}

void BridgeProcess::Died() {
  // The socket closed: the bridge is exiting (or was killed). Reap it; one
  // that closed its end but lingers is killed after a moment.
  int status = 0;
  const absl::Time give_up = absl::Now() + absl::Seconds(2);
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (absl::Now() > give_up) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(5));  // reaping, not waiting for data
  }
  {
    MutexLock lock(&mu_);
    const absl::Time deadline = absl::Now() + absl::Seconds(1);
    while (!stderr_closed_) {
      if (stderr_cv_.WaitWithDeadline(&mu_, deadline)) break;
    }
    dead_ = true;
    if (kill_reason_.empty()) {
      kill_reason_ = absl::StrCat("the samna bridge (pid ", pid_, ") ",
                                  DescribeWait(status));
    }
    for (auto& [id, pending] : pending_) {
      pending->done = true;
      pending->status = GoneLocked();
    }
    reply_cv_.SignalAll();
  }
  if (handler_ != nullptr && started_.load() && !closing_.load()) {
    handler_->OnExit(ExitReason());
  }
}

std::string BridgeProcess::ExitReason() {
  MutexLock lock(&mu_);
  // The bridge's own last words, when it said why.
  for (auto it = last_lines_.rbegin(); it != last_lines_.rend(); ++it) {
    if (absl::StartsWith(*it, kOwnWords)) {
      return absl::StrCat(kill_reason_, ": ", it->substr(kOwnWords.size()));
    }
  }
  if (!last_lines_.empty() &&
      !absl::StrContains(kill_reason_, "did not answer")) {
    return absl::StrCat(kill_reason_, "; its last words: ", last_lines_.back());
  }
  return kill_reason_;
}

void BridgeProcess::StderrLoop() {
  std::string pending;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(stderr_, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, static_cast<size_t>(n));
    size_t end;
    while ((end = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, end);
      pending.erase(0, end + 1);
      if (options_.log) options_.log(line);
      MutexLock lock(&mu_);
      last_lines_.push_back(std::move(line));
      if (last_lines_.size() > kLastLines) last_lines_.pop_front();
    }
  }
  MutexLock lock(&mu_);
  if (!pending.empty()) last_lines_.push_back(pending);
  stderr_closed_ = true;
  stderr_cv_.SignalAll();
}

}  // namespace speckd::driver::samna
