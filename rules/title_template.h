// Task title templates: "Convene ASB Case Review for {{case.id}}". Parsed and
// checked when the configuration loads; rendering never fails (a missing
// value renders as empty). Immutable; thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/status.h"
#include "rules/value.h"

namespace convene::rules {

class TitleTemplate {
 public:
  struct Part {
    std::string literal;            // text, when path is empty
    std::vector<std::string> path;  // a placeholder, with its root ("case", "event", "task")
    int column = 0;                 // 1-based, of the placeholder's "{{" in the text
  };
  using Resolver = std::function<Value(const std::vector<std::string>& path)>;

  TitleTemplate() = default;
  // `roots` are the names a placeholder may start with. Errors name the
  // 1-based column of the offending placeholder as "column N: ...".
  static Result<TitleTemplate> Parse(std::string_view text,
                                     const std::vector<std::string>& roots);

  std::string Render(const Resolver& resolve) const;
  const std::string& text() const { return text_; }
  const std::vector<Part>& parts() const { return parts_; }

 private:
  std::string text_;
  std::vector<Part> parts_;
};

// FNV-1a, 64-bit: stable across builds and platforms, for ids and versions.
uint64_t Fnv1a64(std::string_view data, uint64_t seed = 14695981039346656037ull);
std::string Hex64(uint64_t v);

}  // namespace convene::rules
