#include "proto/codec/json_syntax.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace speckd::codec {
namespace {

// A recursive-descent pass over the text that builds nothing: the first
// error stops it, with the byte offset it was found at.
class Checker {
 public:
  explicit Checker(absl::string_view text) : text_(text) {}

  absl::Status Check() {
    SkipSpace();
    if (AtEnd()) return Error("the file is empty (expected a JSON object)");
    if (!Value(0)) return error_;
    SkipSpace();
    if (!AtEnd())
      return Error("unexpected text after the end of the JSON value");
    return absl::OkStatus();
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }

  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' ||
                        Peek() == '\r')) {
      ++pos_;
    }
  }

  // Records "line L, column C: what" for the byte at `at`.
  void ErrorAt(size_t at, absl::string_view what) {
    int line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < at && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    error_ = absl::InvalidArgumentError(absl::StrCat(
        "line ", line, ", column ", at - line_start + 1, ": ", what));
  }
  absl::Status Error(absl::string_view what) {
    ErrorAt(pos_, what);
    return error_;
  }
  bool Fail(absl::string_view what) {
    ErrorAt(pos_, AtEnd() ? absl::StrCat("the file ends early: ", what) : what);
    return false;
  }

  bool Value(int depth) {
    if (depth >= kMaxJsonDepth) {
      return Fail(
          absl::StrCat("nested deeper than ", kMaxJsonDepth, " levels"));
    }
    switch (Peek()) {
      case '{':
        return Object(depth);
      case '[':
        return Array(depth);
      case '"':
        return String(nullptr);
      case 't':
        return Word("true");
      case 'f':
        return Word("false");
      case 'n':
        return Word("null");
      default:
        if (Peek() == '-' || absl::ascii_isdigit(Peek())) return Number();
        return Fail(
            "expected a value (an object, array, string, number, true, false "
            "or null)");
    }
  }

  bool Object(int depth) {
    ++pos_;  // '{'
    SkipSpace();
    if (Peek() == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      if (Peek() != '"') {
        return Fail(absl::ascii_isalpha(Peek())
                        ? "expected a member name in double quotes"
                        : "expected a member name in double quotes or '}'");
      }
      std::string name;
      if (!String(&name)) return false;
      SkipSpace();
      if (Peek() != ':') {
        return Fail(
            absl::StrCat("expected ':' after the member name \"", name, "\""));
      }
      ++pos_;
      SkipSpace();
      if (!Value(depth + 1)) return false;
      SkipSpace();
      if (Peek() == '}') {
        ++pos_;
        return true;
      }
      if (Peek() != ',') {
        return Fail(absl::StrCat("expected ',' or '}' after the value of \"",
                                 name, "\""));
      }
      ++pos_;
      SkipSpace();
      if (Peek() == '}') {
        return Fail("a ',' before '}': JSON allows no trailing comma");
      }
    }
  }

  bool Array(int depth) {
    ++pos_;  // '['
    SkipSpace();
    if (Peek() == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      if (!Value(depth + 1)) return false;
      SkipSpace();
      if (Peek() == ']') {
        ++pos_;
        return true;
      }
      if (Peek() != ',') return Fail("expected ',' or ']' after a list item");
      ++pos_;
      SkipSpace();
      if (Peek() == ']') {
        return Fail("a ',' before ']': JSON allows no trailing comma");
      }
    }
  }

  // A string; its raw text (escapes as written) into `out` if not null.
  bool String(std::string* out) {
    const size_t start = pos_++;  // '"'
    while (!AtEnd()) {
      const char c = text_[pos_];
      if (c == '"') {
        if (out != nullptr) {
          *out = std::string(text_.substr(start + 1, pos_ - start - 1));
        }
        ++pos_;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return Fail(
            "a line break or control character inside a string (write it as "
            "\\n, \\t, ...)");
      }
      if (c == '\\' && !Escape()) return false;
      if (c != '\\') ++pos_;
    }
    ErrorAt(start, "this string is never closed (no ending '\"')");
    return false;
  }

  // At a backslash: one valid escape, passed.
  bool Escape() {
    ++pos_;
    if (AtEnd()) return Fail("a string is never closed (no ending '\"')");
    const char e = Peek();
    if (e == 'u') {
      for (int i = 1; i <= 4; ++i) {
        if (pos_ + i >= text_.size() ||
            !absl::ascii_isxdigit(text_[pos_ + i])) {
          ErrorAt(pos_ - 1, "\\u must be followed by 4 hexadecimal digits");
          return false;
        }
      }
      pos_ += 5;
      return true;
    }
    if (absl::string_view("\"\\/bfnrt").find(e) == absl::string_view::npos) {
      --pos_;
      return Fail(absl::StrCat("an unknown escape '\\", std::string(1, e),
                               "' (JSON has \\\" \\\\ \\/ \\b \\f \\n \\r \\t "
                               "\\uXXXX)"));
    }
    ++pos_;
    return true;
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  bool Number() {
    const size_t start = pos_;
    auto digits = [&] {
      const size_t from = pos_;
      while (absl::ascii_isdigit(Peek())) ++pos_;
      return pos_ > from;
    };
    auto malformed = [&] {
      ErrorAt(start, "a malformed number");
      return false;
    };
    if (Peek() == '-') ++pos_;
    if (Peek() == '0') {
      ++pos_;
      if (absl::ascii_isdigit(Peek())) return malformed();  // leading zero
    } else if (!digits()) {
      return malformed();
    }
    if (Peek() == '.') {
      ++pos_;
      if (!digits()) return malformed();
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (!digits()) return malformed();
    }
    if (absl::ascii_isalpha(Peek()) || Peek() == '.') return malformed();
    return true;
  }

  bool Word(absl::string_view word) {
    if (text_.substr(pos_, word.size()) != word ||
        absl::ascii_isalnum(text_.size() > pos_ + word.size()
                                ? text_[pos_ + word.size()]
                                : ' ')) {
      return Fail(
          "expected a value (an object, array, string, number, true, false "
          "or null)");
    }
    pos_ += word.size();
    return true;
  }

  const absl::string_view text_;
  size_t pos_ = 0;
  absl::Status error_;
};

}  // namespace

absl::Status CheckJsonSyntax(absl::string_view text) {
  return Checker(text).Check();
}

}  // namespace speckd::codec
