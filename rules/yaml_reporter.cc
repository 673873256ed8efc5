#include "rules/yaml_reporter.h"

#include <yaml-cpp/depthguard.h>

#include <algorithm>

namespace convene::rules {

std::string Quoted(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

namespace {

struct Line {
  std::string_view text;
  int number;
  size_t indent;  // spaces before the first other character
  bool blank;     // nothing but spaces, or a comment
};

std::vector<Line> Lines(std::string_view content) {
  std::vector<Line> lines;
  int number = 0;
  for (size_t start = 0; start <= content.size();) {
    size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    std::string_view text = content.substr(start, end - start);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    size_t indent = text.find_first_not_of(' ');
    bool blank = indent == std::string_view::npos || text[indent] == '#';
    lines.push_back({text, ++number, blank ? 0 : indent, blank});
    start = end + 1;
  }
  return lines;
}

// YAML indents with spaces only; yaml-cpp's message for a tab is about
// something else ("illegal block entry", "end of map not found").
std::optional<ConfigError> TabIndent(const std::string& file, const std::vector<Line>& lines) {
  for (const auto& l : lines) {
    size_t i = 0;
    while (i < l.text.size() && (l.text[i] == ' ' || l.text[i] == '\t')) {
      if (l.text[i] == '\t') {
        return ConfigError{file, l.number, static_cast<int>(i) + 1,
                           "YAML: a tab in the indentation: YAML indents with spaces only "
                           "(replace the tab with spaces, lined up with the lines above)"};
      }
      ++i;
    }
  }
  return std::nullopt;
}

// A quoted value whose closing quote never comes: yaml-cpp takes the rest of
// the file into it, and the errors that follow name the wrong things.
std::optional<ConfigError> UnclosedQuote(const std::string& file, const std::vector<Line>& lines) {
  char open = 0;
  int open_line = 0, open_column = 0;
  size_t block_indent = std::string::npos;  // inside a | or > block scalar deeper than this
  for (const auto& l : lines) {
    if (!open && block_indent != std::string::npos) {
      if (l.blank || l.indent > block_indent) continue;
      block_indent = std::string::npos;
    }
    std::string_view t = l.text;
    char prev = ' ';  // the last character that was not a space
    for (size_t i = 0; i < t.size(); ++i) {
      char c = t[i];
      if (open) {
        if (open == '"' && c == '\\') {
          ++i;
        } else if (c == open) {
          if (open == '\'' && i + 1 < t.size() && t[i + 1] == '\'') {
            ++i;  // '' inside single quotes
          } else {
            open = 0;
            prev = c;
          }
        }
        continue;
      }
      if (c == ' ') continue;
      if (c == '#' && (i == 0 || t[i - 1] == ' ')) break;
      // A quote begins a value only where a value begins.
      if ((c == '"' || c == '\'') &&
          (prev == ' ' || prev == ':' || prev == '-' || prev == '[' || prev == '{' || prev == ',') &&
          (i == 0 || t[i - 1] == ' ' || prev == '[' || prev == '{' || prev == ',')) {
        open = c;
        open_line = l.number;
        open_column = static_cast<int>(i) + 1;
        continue;
      }
      if ((c == '|' || c == '>') && prev == ':') {
        std::string_view rest = t.substr(i + 1);
        if (rest.find_first_not_of("+-0123456789 ") == std::string_view::npos) {
          block_indent = l.indent;
          break;
        }
      }
      // Inside a plain value nothing opens a quote.
      if (c != ':' && c != '-' && c != '[' && c != '{' && c != ',') {
        size_t j = i;
        while (j < t.size() && t[j] != ',' && t[j] != ']' && t[j] != '}' &&
               !(t[j] == ':' && (j + 1 == t.size() || t[j + 1] == ' ')) &&
               !(t[j] == '#' && j > 0 && t[j - 1] == ' ')) {
          ++j;
        }
        if (j > i) {  // a closing bracket or the like ends nothing: it stays as it is
          i = j - 1;
          c = t[i];
        }
      }
      prev = c;
    }
  }
  if (!open) return std::nullopt;
  return ConfigError{file, open_line, open_column,
                     std::string("YAML: the ") + (open == '"' ? "double" : "single") +
                         " quote opened here is never closed: close it on this line"};
}

// The first line whose indentation lines up with no line above it at its
// level: what yaml-cpp's "end of map not found" usually means.
std::optional<int> MisIndented(const std::vector<Line>& lines, int up_to) {
  std::vector<size_t> levels = {0};
  for (const auto& l : lines) {
    if (l.number > up_to) break;
    if (l.blank) continue;
    if (l.indent > levels.back()) {
      levels.push_back(l.indent);
    } else {
      while (levels.size() > 1 && levels.back() > l.indent) levels.pop_back();
      if (levels.back() != l.indent) return l.number;
    }
    // "- key: v": the keys of that item line up after the dash.
    std::string_view rest = l.text.substr(l.indent);
    if (rest.size() > 2 && rest[0] == '-' && rest[1] == ' ') {
      levels.push_back(l.indent + 2);
    }
  }
  return std::nullopt;
}

// How deep a configuration may nest (mappings and sequences within each
// other), as JSON from outside may (json::kMaxDepth): a rule needs a handful
// of levels; the bound keeps every walk of the loader far from the end of the
// stack, whatever a file holds.
constexpr int kMaxYamlDepth = 64;

// The first node nested past kMaxYamlDepth, if any. Recursive: yaml-cpp's own
// guard has already refused a document nested past some 1,000 levels.
std::optional<YAML::Mark> TooDeep(const YAML::Node& node, int depth) {
  if (!node.IsMap() && !node.IsSequence()) return std::nullopt;
  if (depth > kMaxYamlDepth) return node.Mark();
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node& child = node.IsMap() ? it->second : *it;
    if (auto at = TooDeep(child, depth + 1)) return at;
  }
  return std::nullopt;
}

std::string TooDeepMessage() {
  return "YAML: nested more than " + std::to_string(kMaxYamlDepth) +
         " levels deep; a configuration needs a few";
}

}  // namespace

std::optional<YAML::Node> YamlReporter::Parse(const std::string& content) {
  std::vector<Line> lines = Lines(content);
  if (auto tab = TabIndent(file_, lines)) {
    errors_.push_back(*tab);
    return std::nullopt;
  }
  if (auto quote = UnclosedQuote(file_, lines)) {
    errors_.push_back(*quote);
    return std::nullopt;
  }
  try {
    YAML::Node root = YAML::Load(content);
    if (auto at = TooDeep(root, 1)) {
      errors_.push_back({file_, at->line + 1, at->column + 1, TooDeepMessage()});
      return std::nullopt;
    }
    return root;
  } catch (const YAML::DeepRecursion& e) {
    errors_.push_back({file_, e.mark.line + 1, e.mark.column + 1, TooDeepMessage()});
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    int line = e.mark.line + 1;
    if (e.msg.find("end of") != std::string::npos || e.msg.find("illegal map value") != std::string::npos ||
        e.msg.find("block entry") != std::string::npos) {
      if (auto bad = MisIndented(lines, line)) {
        const Line& l = lines[static_cast<size_t>(*bad - 1)];
        errors_.push_back({file_, *bad, static_cast<int>(l.indent) + 1,
                           "YAML: this line's indentation (" + std::to_string(l.indent) +
                               " spaces) lines up with no line above it: YAML nests by "
                               "indentation, so line it up with the keys it belongs with"});
        return std::nullopt;
      }
    }
    std::string message = "YAML: " + e.msg;
    if (e.msg.find("illegal map value") != std::string::npos) {
      // Usually `when: count(..., where: x)`: the second ": " reads as a key.
      message += ": a ': ' inside a value starts a new key; put the whole value in quotes "
                 "('...', or \"...\" when it holds single quotes)";
    }
    errors_.push_back({file_, line, e.mark.column + 1, message});
    return std::nullopt;
  }
}

void YamlReporter::Error(const YAML::Node& at, std::string message, int column_offset) {
  YAML::Mark m = at.Mark();
  int line = m.line >= 0 ? m.line + 1 : 0;
  int column = m.column >= 0 ? m.column + 1 + column_offset : 0;
  errors_.push_back({file_, line, column, std::move(message)});
}

void YamlReporter::CheckKeys(const YAML::Node& map, const std::vector<std::string>& allowed,
                             const std::string& what) {
  if (!map.IsMap()) return;
  for (const auto& kv : map) {
    std::string key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string hint = DidYouMean(key, allowed);
      Error(kv.first, "unknown key '" + key + "' in " + what +
                          (hint.empty() ? " (allowed: " + Quoted(allowed) + ")"
                                        : " (did you mean '" + hint + "'?)"));
    }
  }
}

std::optional<std::string> YamlReporter::Scalar(const YAML::Node& map, const char* key,
                                                bool required, const std::string& what) {
  if (!map.IsMap()) {
    Error(map, what + " is {" + key + ": ...}, not a single value or a list");
    return std::nullopt;
  }
  YAML::Node n = map[key];
  if (!n) {
    if (required) Error(map, what + " needs '" + key + "'");
    return std::nullopt;
  }
  if (!n.IsScalar()) {
    Error(n, std::string("'") + key + "' must be a single value");
    return std::nullopt;
  }
  return n.Scalar();
}

std::vector<std::string> YamlReporter::StringList(const YAML::Node& n, const std::string& what) {
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (const auto& item : n) {
      if (item.IsScalar()) {
        out.push_back(item.Scalar());
      } else {
        Error(item, what + ": each item must be a single value");
      }
    }
  } else {
    Error(n, what + " must be a value or a list of values");
  }
  return out;
}

}  // namespace convene::rules
