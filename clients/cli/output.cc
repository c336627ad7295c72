#include "clients/cli/output.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace speckd::cli {
namespace {

std::string Pad(absl::string_view text, size_t width, bool right) {
  if (text.size() >= width) return std::string(text);
  std::string pad(width - text.size(), ' ');
  return right ? pad + std::string(text) : std::string(text) + pad;
}

std::string JsonValue(const Column& column, absl::string_view cell) {
  if (column.numeric && !cell.empty()) return std::string(cell);
  return JsonQuote(cell);
}

}  // namespace

absl::StatusOr<Format> ParseFormat(absl::string_view text) {
  if (text.empty() || text == "table") return Format::kTable;
  if (text == "json") return Format::kJson;
  if (text == "csv") return Format::kCsv;
  return absl::InvalidArgumentError(
      absl::StrCat("--output=", text,
                   ": use table, json or csv (only simulate takes a file)"));
}

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) {
    return std::string(text);
  }
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

void JsonObject::Key(absl::string_view key) {
  if (!body_.empty()) body_ += ',';
  absl::StrAppend(&body_, JsonQuote(key), ":");
}

JsonObject& JsonObject::AddString(absl::string_view key,
                                  absl::string_view value) {
  Key(key);
  body_ += JsonQuote(value);
  return *this;
}

JsonObject& JsonObject::AddUint(absl::string_view key, uint64_t value) {
  Key(key);
  absl::StrAppend(&body_, value);
  return *this;
}

JsonObject& JsonObject::AddInt(absl::string_view key, int64_t value) {
  Key(key);
  absl::StrAppend(&body_, value);
  return *this;
}

JsonObject& JsonObject::AddDouble(absl::string_view key, double value) {
  Key(key);
  // %.9g keeps microwatts readable and always parses as a JSON number.
  absl::StrAppend(&body_, absl::StrFormat("%.9g", value));
  return *this;
}

JsonObject& JsonObject::AddBool(absl::string_view key, bool value) {
  Key(key);
  body_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::AddUintArray(absl::string_view key,
                                     const std::vector<uint32_t>& values) {
  Key(key);
  absl::StrAppend(&body_, "[", absl::StrJoin(values, ","), "]");
  return *this;
}

JsonObject& JsonObject::AddStringArray(absl::string_view key,
                                       const std::vector<std::string>& values) {
  Key(key);
  body_ += '[';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) body_ += ',';
    body_ += JsonQuote(values[i]);
  }
  body_ += ']';
  return *this;
}

JsonObject& JsonObject::AddRaw(absl::string_view key, absl::string_view json) {
  Key(key);
  body_.append(json.data(), json.size());
  return *this;
}

std::string ProtoJson(const google::protobuf::Message& message,
                      bool multiline) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = multiline;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  // Printing a well-formed message cannot fail.
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::Render(Format format) const {
  std::string out;
  switch (format) {
    case Format::kTable: {
      std::vector<size_t> widths;
      for (const Column& c : columns_) {
        widths.push_back(
            std::max(c.title.size(), static_cast<size_t>(c.width)));
      }
      for (const auto& row : rows_) {
        for (size_t i = 0; i < row.size(); ++i) {
          widths[i] = std::max(widths[i], row[i].size());
        }
      }
      auto line = [&](const std::vector<std::string>& cells, bool header) {
        std::string text;
        for (size_t i = 0; i < columns_.size(); ++i) {
          if (i > 0) text += "  ";
          const bool last = i + 1 == columns_.size();
          const bool right = columns_[i].numeric && !header;
          // No trailing blanks after the last column.
          text += last && !right
                      ? cells[i]
                      : Pad(cells[i], widths[i], columns_[i].numeric);
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        absl::StrAppend(&out, text, "\n");
      };
      std::vector<std::string> titles;
      for (const Column& c : columns_) titles.push_back(c.title);
      line(titles, /*header=*/true);
      for (const auto& row : rows_) line(row, /*header=*/false);
      break;
    }
    case Format::kCsv: {
      std::vector<std::string> keys;
      for (const Column& c : columns_) keys.push_back(CsvField(c.key));
      absl::StrAppend(&out, absl::StrJoin(keys, ","), "\n");
      for (const auto& row : rows_) {
        std::vector<std::string> cells;
        for (const std::string& cell : row) cells.push_back(CsvField(cell));
        absl::StrAppend(&out, absl::StrJoin(cells, ","), "\n");
      }
      break;
    }
    case Format::kJson: {
      out += '[';
      for (size_t r = 0; r < rows_.size(); ++r) {
        if (r > 0) out += ',';
        JsonObject object;
        for (size_t i = 0; i < columns_.size(); ++i) {
          object.AddRaw(columns_[i].key, JsonValue(columns_[i], rows_[r][i]));
        }
        out += object.str();
      }
      out += "]\n";
      break;
    }
  }
  return out;
}

void RowPrinter::Header() {
  if (format_ == Format::kJson) return;
  std::vector<std::string> cells;
  for (const Column& c : columns_) {
    cells.push_back(format_ == Format::kCsv ? c.key : c.title);
  }
  if (format_ == Format::kTable) {
    // Titles align like the rows below them.
    std::string text;
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i > 0) text += "  ";
      text += Pad(cells[i], static_cast<size_t>(columns_[i].width),
                  columns_[i].numeric);
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    std::fprintf(out_, "%s\n", text.c_str());
  } else {
    std::fprintf(out_, "%s\n", absl::StrJoin(cells, ",").c_str());
  }
  std::fflush(out_);
}

std::string RowPrinter::Line(const std::vector<std::string>& cells) const {
  std::string text;
  switch (format_) {
    case Format::kTable:
      for (size_t i = 0; i < columns_.size() && i < cells.size(); ++i) {
        if (i > 0) text += "  ";
        text += Pad(cells[i], static_cast<size_t>(columns_[i].width),
                    columns_[i].numeric);
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      break;
    case Format::kCsv:
      for (size_t i = 0; i < cells.size(); ++i) {
        if (i > 0) text += ',';
        text += CsvField(cells[i]);
      }
      break;
    case Format::kJson: {
      JsonObject object;
      for (size_t i = 0; i < columns_.size() && i < cells.size(); ++i) {
        object.AddRaw(columns_[i].key, JsonValue(columns_[i], cells[i]));
      }
      text = object.str();
      break;
    }
  }
  return text;
}

void RowPrinter::Row(const std::vector<std::string>& cells) {
  std::fprintf(out_, "%s\n", Line(cells).c_str());
}

std::string HumanBytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return absl::StrCat(absl::StrFormat("%.3g", v), " ", units[u]);
}

}  // namespace speckd::cli
