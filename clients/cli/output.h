// How speckctl prints results: --output=table (aligned columns for people),
// csv (a header line, then rows) or json (one document, or one object per
// line for streams). Pure formatting, no I/O beyond the FILE* given.
//
//   Table table({{"id", "ID"}, {"events_in", "EVENTS IN", /*numeric=*/true}});
//   table.AddRow({"speck2edevkit:0", "25001"});
//   std::fputs(table.Render(Format::kTable).c_str(), stdout);
#ifndef SPECKD_CLIENTS_CLI_OUTPUT_H_
#define SPECKD_CLIENTS_CLI_OUTPUT_H_

#include <google/protobuf/message.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace speckd::cli {

enum class Format { kTable, kJson, kCsv };

// "" and "table" -> kTable, "json", "csv"; INVALID_ARGUMENT otherwise.
absl::StatusOr<Format> ParseFormat(absl::string_view text);

// A JSON string literal, quotes included.
std::string JsonQuote(absl::string_view text);
// A CSV field, quoted only when it has to be (comma, quote, newline).
std::string CsvField(absl::string_view text);

// A size for people: 0 -> "0 B", 4194304 -> "4 MiB", 6442450944 -> "6 GiB".
std::string HumanBytes(uint64_t n);

// One JSON object built field by field (JSON lines of streams).
class JsonObject {
 public:
  JsonObject& AddString(absl::string_view key, absl::string_view value);
  JsonObject& AddUint(absl::string_view key, uint64_t value);
  JsonObject& AddInt(absl::string_view key, int64_t value);
  JsonObject& AddDouble(absl::string_view key, double value);
  JsonObject& AddBool(absl::string_view key, bool value);
  JsonObject& AddUintArray(absl::string_view key,
                           const std::vector<uint32_t>& values);
  JsonObject& AddStringArray(absl::string_view key,
                             const std::vector<std::string>& values);
  // `json` is inserted as is (an object or array printed elsewhere).
  JsonObject& AddRaw(absl::string_view key, absl::string_view json);
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void Key(absl::string_view key);
  std::string body_;
};

// The protobuf JSON form with the .proto field names, zero values included
// (so every field is visible); one line unless `multiline`.
std::string ProtoJson(const google::protobuf::Message& message,
                      bool multiline = false);

struct Column {
  // csv header and json key.
  std::string key;
  // Table header.
  std::string title;
  // Numbers are right-aligned in tables and unquoted in json.
  bool numeric = false;
  // Minimum table width (streamed rows cannot measure what comes later).
  int width = 0;
};

// A whole result known up front: widths fit the widest cell.
class Table {
 public:
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }
  // table: titles, then aligned rows; csv: keys, then rows; json: an array
  // of objects on one line. Ends with a newline.
  std::string Render(Format format) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// Rows that arrive one at a time (streams): fixed widths in tables, a header
// first in tables and csv, one object per line in json. Callers Flush() after
// each stream message so that pipes see its rows at once.
class RowPrinter {
 public:
  RowPrinter(std::vector<Column> columns, Format format, std::FILE* out)
      : columns_(std::move(columns)), format_(format), out_(out) {}
  void Header();
  void Row(const std::vector<std::string>& cells);
  void Flush() { std::fflush(out_); }
  // The line Row() prints, without the newline.
  std::string Line(const std::vector<std::string>& cells) const;
  size_t columns() const { return columns_.size(); }

 private:
  std::vector<Column> columns_;
  Format format_;
  std::FILE* out_;
};

}  // namespace speckd::cli

#endif  // SPECKD_CLIENTS_CLI_OUTPUT_H_
