// How the daemon starts its samna backend (speckd --samna_python): which
// Python (a path, or "auto": the first of the usual places and PATH that
// imports samna), where the bridge works (the data directory's samna/, so
// samna.log lands there), and the bridge's stderr into speckd's log.
#ifndef SPECKD_SERVER_SAMNA_SAMNA_START_H_
#define SPECKD_SERVER_SAMNA_SAMNA_START_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "driver/board.h"
#include "driver/samna/samna_bus.h"

namespace speckd::server {

// Where --samna_python=auto looks, in order, before PATH's python3.
std::vector<std::string> SamnaPythonCandidates();

// The first of `candidates` that imports samna and protobuf (the bridge
// needs both), else the first that imports samna, each tried within
// `timeout`; NOT_FOUND naming what was tried.
absl::StatusOr<std::string> FindSamnaPython(
    const std::vector<std::string>& candidates, absl::Duration timeout);

// Starts the backend for --samna_python=`python` ("auto" searched as
// above; when nothing imports samna, the bridge is started with the first
// python3 found, so that the device list says what is missing).
// INVALID_ARGUMENT for a path that is not an executable.
absl::StatusOr<std::unique_ptr<driver::samna::SamnaBus>> StartSamna(
    const std::string& python, const std::string& data_dir,
    driver::BoardListener* listener);

}  // namespace speckd::server

#endif  // SPECKD_SERVER_SAMNA_SAMNA_START_H_
