// What a recording file holds, as ListRecordings and GetRecording report it:
// its header, whether it ended cleanly (and why it ended), the counts per
// stream, how far its stop watch got, its size, and where it is damaged if
// it is. A cleanly ended file is summarized from its trailer and end record
// alone; one cut off is read through once.
//
//   absl::StatusOr<v1::Recording> r = SummarizeRecording(path);
#ifndef SPECKD_PROTO_RECORDING_RECORDING_SUMMARY_H_
#define SPECKD_PROTO_RECORDING_RECORDING_SUMMARY_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/speckd/v1/recording_service.pb.h"

namespace speckd::recording {

// The recording's name is the file's, without ".speckrec". NOT_FOUND, or
// DATA_LOSS for a file that is not a recording.
absl::StatusOr<speckd::v1::Recording> SummarizeRecording(
    const std::string& path);

// Fills the header's fields of `out` (not counts or end).
void DescribeHeader(const speckd::v1::RecordingHeader& header,
                    speckd::v1::Recording* out);
// Fills what an end record says.
void DescribeEnd(const speckd::v1::RecordingEnd& end,
                 speckd::v1::Recording* out);

}  // namespace speckd::recording

#endif  // SPECKD_PROTO_RECORDING_RECORDING_SUMMARY_H_
