// Strict JSON syntax (RFC 8259), checked before protobuf's parser reads a
// file a person wrote by hand: that parser accepts trailing commas and bare
// member names (which other JSON tools, Python's json among them, refuse),
// and its errors quote a snippet without saying where it is. This says
// where: "line 12, column 5: expected ',' or '}' after the value of
// \"threshold_high\"".
//
//   if (absl::Status s = CheckJsonSyntax(text); !s.ok()) ...
#ifndef SPECKD_PROTO_CODEC_JSON_SYNTAX_H_
#define SPECKD_PROTO_CODEC_JSON_SYNTAX_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace speckd::codec {

// Values nested deeper than this are refused (the checker recurses).
inline constexpr int kMaxJsonDepth = 200;

// OK, or INVALID_ARGUMENT with the first error: "line L, column C: what"
// (lines and columns from 1; columns count bytes).
absl::Status CheckJsonSyntax(absl::string_view text);

}  // namespace speckd::codec

#endif  // SPECKD_PROTO_CODEC_JSON_SYNTAX_H_
