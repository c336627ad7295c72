// Calls with raw message bytes, as a buggy or hostile client might make them:
// for tests of what speckd answers to requests that do not parse.
//
//   RawResult r = RawUnary(channel, "/speckd.v1.DeviceService/GetDevice",
//                          "\x0a\xff\xff\xff\xff\x0f");
//   RawResult s = RawClientStream(channel,
//                                 "/speckd.v1.EventService/WriteEvents",
//                                 {good, good, garbage, good});
#ifndef SPECKD_TESTS_GRPC_RAW_CALLS_H_
#define SPECKD_TESTS_GRPC_RAW_CALLS_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace speckd::testing {

struct RawResult {
  grpc::Status status;
  std::string response;
  // The server's trailing metadata.
  std::multimap<std::string, std::string> trailers;
};

RawResult RawUnary(const std::shared_ptr<grpc::Channel>& channel,
                   const std::string& method, const std::string& request,
                   absl::Duration timeout = absl::Seconds(10));

// A client-streaming call: writes every message (until the server ends the
// call), half-closes, and waits for the answer.
RawResult RawClientStream(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& method,
                          const std::vector<std::string>& messages,
                          absl::Duration timeout = absl::Seconds(10));

}  // namespace speckd::testing

#endif  // SPECKD_TESTS_GRPC_RAW_CALLS_H_
