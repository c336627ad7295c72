#include "tests/util/http_get.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace speckd::testing {

absl::StatusOr<HttpReply> HttpGet(int port, const std::string& path,
                                  const std::string& host,
                                  absl::Duration timeout,
                                  const std::vector<std::string>& headers) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("cannot connect to ", port));
  }
  std::string request =
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ",
                   host.empty() ? absl::StrCat("127.0.0.1:", port) : host,
                   "\r\nConnection: close\r\n");
  for (const std::string& header : headers)
    absl::StrAppend(&request, header, "\r\n");
  request += "\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::UnavailableError("send failed");
  }
  std::string raw;
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    pollfd p{fd, POLLIN, 0};
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) != 1) {
      close(fd);
      return absl::DeadlineExceededError("no complete reply");
    }
    char buffer[65536];
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    raw.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return ParseHttpReply(raw);
}

absl::StatusOr<HttpReply> ParseHttpReply(const std::string& raw) {
  const size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return absl::DataLossError("no headers");
  HttpReply reply;
  std::vector<std::string> lines = absl::StrSplit(raw.substr(0, end), "\r\n");
  std::vector<std::string> status = absl::StrSplit(lines[0], ' ');
  if (status.size() < 2 || !absl::SimpleAtoi(status[1], &reply.code)) {
    return absl::DataLossError(absl::StrCat("bad status line ", lines[0]));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    reply.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  reply.body = raw.substr(end + 4);
  // evhttp answers HTTP/1.1 clients in chunks; undo them.
  if (reply.headers["transfer-encoding"] == "chunked") {
    std::string body;
    size_t pos = 0;
    while (pos < reply.body.size()) {
      const size_t eol = reply.body.find("\r\n", pos);
      if (eol == std::string::npos) break;
      size_t size = 0;
      if (!absl::SimpleHexAtoi(reply.body.substr(pos, eol - pos), &size) ||
          size == 0) {
        break;
      }
      body += reply.body.substr(eol + 2, size);
      pos = eol + 2 + size + 2;
    }
    reply.body = body;
  }
  return reply;
}

}  // namespace speckd::testing
