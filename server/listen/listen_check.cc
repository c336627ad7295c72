#include "server/listen/listen_check.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace speckd::server {
namespace {

// The inode of the socket listening on `port` in /proc/net/tcp{,6}; 0 when
// none is listed.
uint64_t ListeningInode(uint16_t port) {
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::vector<absl::string_view> f =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      // sl local_address rem_address st ... uid timeout inode
      if (f.size() < 10 || f[3] != "0A") continue;  // 0A: LISTEN
      const size_t colon = f[1].rfind(':');
      uint32_t local_port = 0;
      if (colon == absl::string_view::npos ||
          !absl::SimpleHexAtoi(f[1].substr(colon + 1), &local_port) ||
          local_port != port) {
        continue;
      }
      uint64_t inode = 0;
      if (absl::SimpleAtoi(f[9], &inode) && inode != 0) return inode;
    }
  }
  return 0;
}

bool ProcessHasSocket(const std::string& pid, const std::string& target) {
  const std::string fd_dir = absl::StrCat("/proc/", pid, "/fd");
  DIR* dir = opendir(fd_dir.c_str());
  if (dir == nullptr) return false;  // not ours to see
  bool found = false;
  char link[128];
  while (dirent* entry = readdir(dir)) {
    const std::string path = absl::StrCat(fd_dir, "/", entry->d_name);
    const ssize_t n = readlink(path.c_str(), link, sizeof(link) - 1);
    if (n > 0 && std::string(link, static_cast<size_t>(n)) == target) {
      found = true;
      break;
    }
  }
  closedir(dir);
  return found;
}

std::string Describe(uint16_t port) {
  std::optional<PortOwner> owner = FindPortOwner(port);
  if (!owner.has_value()) {
    return absl::StrCat("another process listens there (ss -ltnp 'sport = :",
                        port, "' shows which)");
  }
  return absl::StrCat(owner->name, " (pid ", owner->pid,
                      ") already listens there");
}

}  // namespace

std::optional<PortOwner> FindPortOwner(uint16_t port) {
  const uint64_t inode = ListeningInode(port);
  if (inode == 0) return std::nullopt;
  const std::string target = absl::StrCat("socket:[", inode, "]");
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return std::nullopt;
  std::optional<PortOwner> owner;
  while (dirent* entry = readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid)) continue;
    if (!ProcessHasSocket(entry->d_name, target)) continue;
    std::ifstream comm(absl::StrCat("/proc/", pid, "/comm"));
    std::string name;
    std::getline(comm, name);
    owner = PortOwner{pid, name};
    break;
  }
  closedir(proc);
  return owner;
}

absl::Status CheckCanListen(absl::string_view host_port,
                            absl::string_view what) {
  const std::string where = absl::StrCat(host_port, " (", what, ")");
  const size_t colon = host_port.rfind(':');
  uint32_t port = 0;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(host_port.substr(colon + 1), &port) || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot listen on ", where,
                     ": must be HOST:PORT (e.g. 127.0.0.1:50051)"));
  }
  if (port == 0) return absl::OkStatus();  // the system picks a free one
  std::string host(host_port.substr(0, colon));
  host = std::string(absl::StripSuffix(absl::StripPrefix(host, "["), "]"));
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(),
                  std::to_string(port).c_str(), &hints, &found) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot listen on ", where, ": cannot resolve '", host, "'"));
  }
  absl::Status status = absl::OkStatus();
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  // As gRPC binds: a port in TIME_WAIT is free.
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (fd < 0 || bind(fd, found->ai_addr, found->ai_addrlen) != 0) {
    const int error = errno;
    const std::string prefix = absl::StrCat("cannot listen on ", where, ": ");
    if (error == EADDRINUSE) {
      status = absl::FailedPreconditionError(absl::StrCat(
          prefix, Describe(static_cast<uint16_t>(port)),
          " \xE2\x80\x94 is speckd already running? Stop it, or give another "
          "port"));
    } else if (error == EACCES) {
      status = absl::PermissionDeniedError(absl::StrCat(
          prefix, "ports below 1024 need privileges; use a port above 1024"));
    } else if (error == EADDRNOTAVAIL) {
      status = absl::InvalidArgumentError(
          absl::StrCat(prefix, host, " is not an address of this machine"));
    } else {
      status =
          absl::UnavailableError(absl::StrCat(prefix, std::strerror(error)));
    }
  }
  if (fd >= 0) close(fd);
  freeaddrinfo(found);
  return status;
}

bool IsLoopbackListen(absl::string_view host_port) {
  const size_t colon = host_port.rfind(':');
  absl::string_view host =
      colon == absl::string_view::npos ? host_port : host_port.substr(0, colon);
  host = absl::StripPrefix(absl::StripSuffix(host, "]"), "[");
  if (host == "localhost" || host == "::1") return true;
  in_addr v4;
  const std::string text(host);
  return inet_pton(AF_INET, text.c_str(), &v4) == 1 &&
         (ntohl(v4.s_addr) >> 24) == 127;
}

absl::Status CheckRemoteListen(absl::string_view host_port,
                               absl::string_view what, bool insecure_remote,
                               bool secured, absl::string_view how) {
  // Not HOST:PORT at all: CheckCanListen says so.
  if (host_port.find(':') == absl::string_view::npos) return absl::OkStatus();
  if (secured || insecure_remote || IsLoopbackListen(host_port)) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "refusing to listen on ", host_port, " (", what,
      "): that reaches the network, and without TLS and access tokens "
      "anyone who can connect could take the devices. ",
      how,
      " Or reach it through an SSH tunnel (ssh -L 50051:127.0.0.1:50051 "
      "-L 8080:127.0.0.1:8080 HOST), or, on a network you trust, pass "
      "--insecure_remote to serve it anyway"));
}

}  // namespace speckd::server
