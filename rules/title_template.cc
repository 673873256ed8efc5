#include "rules/title_template.h"

#include <algorithm>
#include <cctype>

namespace convene::rules {

Result<TitleTemplate> TitleTemplate::Parse(std::string_view text,
                                           const std::vector<std::string>& roots) {
  TitleTemplate t;
  t.text_ = std::string(text);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      t.parts_.push_back({std::string(text.substr(pos)), {}});
      break;
    }
    if (open > pos) t.parts_.push_back({std::string(text.substr(pos, open - pos)), {}});
    size_t close = text.find("}}", open + 2);
    std::string col = "column " + std::to_string(open + 1) + ": ";
    if (close == std::string_view::npos) {
      return Status::Error(col + "'{{' is never closed: add '}}'");
    }
    std::string_view inner = text.substr(open + 2, close - open - 2);
    while (!inner.empty() && std::isspace(static_cast<unsigned char>(inner.front()))) {
      inner.remove_prefix(1);
    }
    while (!inner.empty() && std::isspace(static_cast<unsigned char>(inner.back()))) {
      inner.remove_suffix(1);
    }
    Part part;
    part.column = static_cast<int>(open) + 1;
    size_t start = 0;
    while (true) {
      size_t dot = inner.find('.', start);
      part.path.emplace_back(inner.substr(start, dot == std::string_view::npos ? dot : dot - start));
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    bool empty_segment = std::any_of(part.path.begin(), part.path.end(),
                                     [](const std::string& s) { return s.empty(); });
    if (inner.empty() || empty_segment) {
      return Status::Error(col + "'{{" + std::string(inner) + "}}' is not a path");
    }
    if (std::find(roots.begin(), roots.end(), part.path[0]) == roots.end() ||
        part.path.size() < 2) {
      std::string allowed;
      for (const auto& r : roots) allowed += (allowed.empty() ? "" : ", ") + r + ".*";
      return Status::Error(col + "unknown placeholder '{{" + std::string(inner) +
                           "}}': placeholders are " + allowed);
    }
    t.parts_.push_back(std::move(part));
    pos = close + 2;
  }
  return t;
}

std::string TitleTemplate::Render(const Resolver& resolve) const {
  std::string out;
  for (const auto& part : parts_) {
    out += part.path.empty() ? part.literal : resolve(part.path).ToText();
  }
  return out;
}

uint64_t Fnv1a64(std::string_view data, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Hex64(uint64_t v) {
  static const char* kDigits = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i) {
    s[i] = kDigits[v & 0xf];
    v >>= 4;
  }
  return s;
}

}  // namespace convene::rules
