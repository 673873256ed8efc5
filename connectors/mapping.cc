#include "connectors/mapping.h"

// g++ 12 sees that date::parse can read seconds it never set; it can, for
// text such as "23:20:" (found by fuzzing), which Timestamp() below refuses
// before parsing. The warning is inside date.h, so it is silenced here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <date/tz.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include <re2/re2.h>

#include "rules/event.h"
#include "rules/json.h"
#include "rules/time_point.h"
#include "rules/yaml_reporter.h"

namespace convene::connectors {
namespace {

using Ms = std::chrono::milliseconds;

const std::vector<std::string> kTopKeys = {"source",   "type",   "csv",    "timezone", "id",
                                           "event_type", "fields", "subjects", "http"};
const std::vector<std::string> kValueKeys = {"from", "value", "as",  "format",
                                             "normalise", "map", "otherwise"};
const std::vector<std::string> kAs = {"text", "integer", "number", "boolean", "timestamp"};
const std::vector<std::string> kNormalise = {"postcode", "digits", "upper", "lower"};
// When a timestamp has no `format`: RFC 3339, ISO without an offset, and UK
// day-first dates, each with or without seconds.
const std::vector<std::string> kDefaultFormats = {
    "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"};

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

// A JSON value as text; nullopt for null, objects and arrays.
std::optional<std::string> AsText(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  if (v.IsDouble()) return json::Serialize(v);
  return std::nullopt;
}

// The value at `from` in `record`: a column (CSV) or a dotted path (JSON),
// where a number step indexes a list.
const rapidjson::Value* Find(const rapidjson::Value& record, const std::string& from, bool columns) {
  if (!record.IsObject()) return nullptr;
  if (columns || record.HasMember(from.c_str())) {
    auto it = record.FindMember(from.c_str());
    return it == record.MemberEnd() ? nullptr : &it->value;
  }
  const rapidjson::Value* v = &record;
  size_t start = 0;
  while (v && start <= from.size()) {
    size_t dot = from.find('.', start);
    std::string step = from.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (v->IsObject()) {
      auto it = v->FindMember(step.c_str());
      v = it == v->MemberEnd() ? nullptr : &it->value;
    } else if (v->IsArray()) {
      size_t i = 0;
      auto [end, ec] = std::from_chars(step.data(), step.data() + step.size(), i);
      v = (ec == std::errc() && end == step.data() + step.size() && i < v->Size()) ? &(*v)[i]
                                                                                   : nullptr;
    } else {
      v = nullptr;
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return v;
}

// "{{Column}}" parts of a template, and the literal text between.
struct Template {
  std::vector<std::pair<bool, std::string>> parts;  // (is a column, text)
};

std::optional<Template> ParseTemplate(const std::string& text, std::string* error) {
  Template t;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string::npos) {
      t.parts.emplace_back(false, text.substr(pos));
      break;
    }
    if (open > pos) t.parts.emplace_back(false, text.substr(pos, open - pos));
    size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) {
      *error = "'{{' without '}}' in \"" + text + "\"";
      return std::nullopt;
    }
    std::string name = Trim(text.substr(open + 2, close - open - 2));
    if (name.empty()) {
      *error = "an empty {{ }} in \"" + text + "\"";
      return std::nullopt;
    }
    t.parts.emplace_back(true, name);
    pos = close + 2;
  }
  return t;
}

class MappingLoader : public rules::YamlReporter {
 public:
  explicit MappingLoader(const std::filesystem::path& path) : path_(path) {
    file_ = path.string();
  }

  Mapping::LoadResult Load() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
      errors_.push_back({file_, 0, 0, "cannot read the mapping"});
      return errors_;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::optional<YAML::Node> parsed = Parse(buffer.str());
    if (!parsed) return errors_;
    const YAML::Node root = *parsed;
    if (!root.IsMap()) {
      errors_.push_back({file_, 1, 1, "a mapping is a set of keys: source, type, id, event_type, "
                                      "fields, ..."});
      return errors_;
    }
    auto m = std::make_shared<Mapping>();
    m->file = file_;
    CheckKeys(root, kTopKeys, "a mapping");
    m->source = Scalar(root, "source", true, "a mapping").value_or("");
    m->type = Scalar(root, "type", true, "a mapping").value_or("csv");
    if (m->type != "csv" && m->type != "jsonl" && m->type != "http") {
      Error(root["type"], "type '" + m->type + "' is not one of csv, jsonl, http");
    }
    columns_ = m->type == "csv";
    LoadCsvOptions(root, m.get());
    std::string zone = Scalar(root, "timezone", false, "a mapping").value_or("Europe/London");
    try {
      m->zone = date::locate_zone(zone);
    } catch (const std::exception&) {
      Error(root["timezone"], "unknown time zone '" + zone + "' (e.g. Europe/London)");
    }
    if (auto id = Scalar(root, "id", true, "a mapping")) {
      m->id_template = *id;
      CheckTemplate(root["id"], *id);
      if (id->find("{{") == std::string::npos) {
        Error(root["id"], "id must use the record's own id, e.g. \"police:{{Incident Number}}\": "
                          "a constant id would make every record the same event");
      }
    }
    if (!root["event_type"]) {
      Error(root, "a mapping needs 'event_type': a type (asb.report) or {from: COLUMN, map: {...}}");
    } else if (root["event_type"].IsScalar()) {
      m->event_type.constant = root["event_type"].Scalar();
      m->event_type.where = Where(root["event_type"]);
    } else {
      m->event_type = Value(root["event_type"], "event_type");
    }
    if (root["fields"]) {
      if (!root["fields"].IsMap()) {
        Error(root["fields"], "fields: a map of event path -> column, e.g. location.uprn: UPRN");
      } else {
        for (const auto& kv : root["fields"]) {
          std::string path = kv.first.Scalar();
          bool ok = path == "occurred_at" ||
                    ((path.rfind("location.", 0) == 0 || path.rfind("data.", 0) == 0) &&
                     path.find('.') != path.size() - 1);
          if (!ok) {
            Error(kv.first, "fields: '" + path + "' is not an event path: occurred_at, "
                            "location.NAME or data.NAME (id, type and source have their own keys)");
            continue;
          }
          ValueSpec v = Value(kv.second, path);
          if (path == "occurred_at") v.as = ValueSpec::As::kTimestamp;
          m->fields.emplace_back(path, std::move(v));
        }
      }
    }
    if (std::none_of(m->fields.begin(), m->fields.end(),
                     [](const auto& f) { return f.first == "occurred_at"; })) {
      Error(root["fields"] ? root["fields"] : root,
            "fields needs occurred_at: when it happened, e.g. occurred_at: {from: \"Date/Time\", "
            "format: \"%d/%m/%Y %H:%M\"}");
    }
    if (root["subjects"]) LoadSubjects(root["subjects"], m.get());
    if (root["http"]) {
      const YAML::Node& h = root["http"];
      CheckKeys(h, {"path", "token_env"}, "http");
      m->http_path = Scalar(h, "path", false, "http").value_or("/events");
      if (m->http_path.empty() || m->http_path[0] != '/') {
        Error(h["path"], "http path must start with /, e.g. /events/police");
      }
      m->token_env = Scalar(h, "token_env", true, "http").value_or("");
    } else if (m->type == "http") {
      Error(root, "an http mapping needs http: {path: /events/police, token_env: "
                  "CONVENE_TOKEN_POLICE}: the environment variable that holds its token");
    }
    if (!errors_.empty()) return errors_;
    return std::shared_ptr<const Mapping>(std::move(m));
  }

 private:
  std::string Where(const YAML::Node& n) {
    YAML::Mark mark = n.Mark();
    return file_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  }

  void CheckTemplate(const YAML::Node& n, const std::string& text) {
    std::string error;
    if (!ParseTemplate(text, &error)) Error(n, error);
  }

  void LoadCsvOptions(const YAML::Node& root, Mapping* m) {
    const YAML::Node csv = root["csv"];
    if (!csv) return;
    if (m->type != "csv") {
      Error(csv, "csv: options are for type: csv");
      return;
    }
    CheckKeys(csv, {"delimiter", "header", "columns", "encoding"}, "csv");
    if (auto d = Scalar(csv, "delimiter", false, "csv")) {
      if (*d == "\\t" || *d == "tab") *d = "\t";
      if (d->size() != 1) {
        Error(csv["delimiter"], "delimiter: one character, e.g. \",\" or \";\" or tab");
      } else {
        m->delimiter = (*d)[0];
      }
    }
    if (auto h = Scalar(csv, "header", false, "csv")) {
      if (*h != "true" && *h != "false") Error(csv["header"], "header: true or false");
      m->header = *h == "true";
    }
    if (csv["columns"]) m->columns = StringList(csv["columns"], "columns");
    if (!m->header && m->columns.empty()) {
      Error(csv, "csv: header: false needs columns: [the names of the columns, in order]");
    }
    if (auto e = Scalar(csv, "encoding", false, "csv")) {
      std::string enc = Lower(*e);
      if (enc == "utf8") enc = "utf-8";
      if (enc == "cp1252") enc = "windows-1252";
      if (enc != "utf-8" && enc != "windows-1252") {
        Error(csv["encoding"], "encoding: utf-8 or windows-1252");
      } else {
        m->encoding = enc;
      }
    }
  }

  ValueSpec Value(const YAML::Node& n, const std::string& what) {
    ValueSpec v;
    v.where = Where(n);
    if (n.IsScalar()) {
      v.from = n.Scalar();
      return v;
    }
    if (!n.IsMap()) {
      Error(n, what + ": a column name, or {from: COLUMN, ...}");
      return v;
    }
    CheckKeys(n, kValueKeys, what);
    if (n["from"] && n["value"]) Error(n["value"], what + ": either from: or value:, not both");
    if (n["from"] && n["from"].IsSequence()) {
      std::vector<std::string> from = StringList(n["from"], what + ": from");
      if (!from.empty()) {
        v.from = from[0];
        v.also.assign(from.begin() + 1, from.end());
      }
    } else {
      v.from = Scalar(n, "from", false, what).value_or("");
    }
    if (n["value"]) v.constant = Scalar(n, "value", false, what);
    if (v.from.empty() && !v.constant) {
      Error(n, what + " needs from: (a column) or value: (a constant)");
    }
    if (auto as = Scalar(n, "as", false, what)) {
      auto it = std::find(kAs.begin(), kAs.end(), *as);
      if (it == kAs.end()) {
        Error(n["as"], what + ": as: one of " + rules::Quoted(kAs));
      } else {
        v.as = static_cast<ValueSpec::As>(it - kAs.begin());
      }
    }
    if (n["format"]) {
      v.formats = StringList(n["format"], what + ": format");
      v.as = ValueSpec::As::kTimestamp;
      for (const auto& f : v.formats) {
        if (f.find('%') == std::string::npos) {
          Error(n["format"], what + ": format '" + f + "' has no %-fields; e.g. %d/%m/%Y %H:%M");
        }
      }
    }
    if (auto norm = Scalar(n, "normalise", false, what)) {
      if (std::find(kNormalise.begin(), kNormalise.end(), *norm) == kNormalise.end()) {
        Error(n["normalise"], what + ": normalise: one of " + rules::Quoted(kNormalise));
      }
      v.normalise = *norm;
    }
    if (n["map"]) {
      if (!n["map"].IsMap()) {
        Error(n["map"], what + ": map: {VALUE IN THE RECORD: VALUE IN THE EVENT, ...}");
      } else {
        for (const auto& kv : n["map"]) v.map[kv.first.Scalar()] = kv.second.Scalar();
      }
    }
    if (what == "event_type") v.otherwise = "reject";
    if (auto o = Scalar(n, "otherwise", false, what)) {
      if (v.map.empty()) Error(n["otherwise"], what + ": otherwise: goes with map:");
      v.otherwise = *o;
    }
    return v;
  }

  void LoadSubjects(const YAML::Node& list, Mapping* m) {
    if (!list.IsSequence()) {
      Error(list, "subjects: a list of {id: \"person:{{Column}}\", role: ROLE, if: Column}");
      return;
    }
    for (const auto& s : list) {
      CheckKeys(s, {"id", "role", "if", "each"}, "a subject");
      SubjectSpec spec;
      spec.id = Scalar(s, "id", true, "a subject").value_or("");
      CheckTemplate(s["id"], spec.id);
      if (!s["role"]) {
        Error(s, "a subject needs role: (perpetrator, victim, reporter, ...)");
      } else if (s["role"].IsScalar()) {
        spec.role.constant = s["role"].Scalar();
      } else {
        spec.role = Value(s["role"], "role");
      }
      spec.if_present = Scalar(s, "if", false, "a subject").value_or("");
      spec.each = Scalar(s, "each", false, "a subject").value_or("");
      if (!spec.each.empty() && columns_) Error(s["each"], "each: is for JSON records (jsonl, http)");
      m->subjects.push_back(std::move(spec));
    }
  }

  std::filesystem::path path_;
  bool columns_ = true;
};

// Renders a template against `record`; an empty or missing value is an error.
Result<std::string> Render(const std::string& text, const rapidjson::Value& record, bool columns,
                           const std::string& what) {
  std::string error;
  auto t = ParseTemplate(text, &error);
  if (!t) return Status::Error(error);
  std::string out;
  for (const auto& [is_column, part] : t->parts) {
    if (!is_column) {
      out += part;
      continue;
    }
    const rapidjson::Value* v = Find(record, part, columns);
    std::optional<std::string> s = v ? AsText(*v) : std::nullopt;
    if (!s || Trim(*s).empty()) return Status::Error(what + ": '" + part + "' is empty");
    out += Trim(*s);
  }
  return out;
}

// A UK postcode: outward code, a space, inward code.
Result<std::string> Postcode(const std::string& raw) {
  std::string s;
  for (char c : raw) {
    if (!std::isspace(static_cast<unsigned char>(c))) s.push_back(static_cast<char>(std::toupper(c)));
  }
  static const RE2 kShape("[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}");
  if (!RE2::FullMatch(s, kShape)) {
    return Status::Error("'" + raw + "' is not a full UK postcode (e.g. SG1 1AA)");
  }
  return s.substr(0, s.size() - 3) + " " + s.substr(s.size() - 3);
}

Result<TimeMs> Timestamp(const std::string& text, const std::vector<std::string>& formats,
                         const date::time_zone* zone) {
  if (formats.empty()) {
    if (auto t = ParseRfc3339(text)) return *t;
  }
  const auto& tried = formats.empty() ? kDefaultFormats : formats;
  // date::parse reads "23:20:" against %S into seconds it never sets (found by
  // fuzzing: undefined behaviour inside date.h). A time's ':' is always
  // followed by digits, so such text is no timestamp and is not parsed at all.
  for (size_t i = text.find(':'); i != std::string::npos; i = text.find(':', i + 1)) {
    if (i + 1 >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
      return Status::Error("'" + text + "' is not a date and time: a ':' with no digits after it");
    }
  }
  for (const auto& format : tried) {
    std::istringstream in(text);
    if (format.find("%z") != std::string::npos || format.find("%Ez") != std::string::npos) {
      date::sys_time<Ms> t;
      in >> date::parse(format, t);
      if (!in.fail() && (in.peek(), in.eof())) return t.time_since_epoch().count();
      continue;
    }
    date::local_time<Ms> local;
    in >> date::parse(format, local);
    if (in.fail() || (in.peek(), !in.eof())) continue;
    auto info = zone->get_info(date::floor<std::chrono::seconds>(local));
    if (info.result == date::local_info::nonexistent) {
      return Status::Error("'" + text + "' is a local time that does not exist in " + zone->name() +
                           " (the clocks went forward)");
    }
    return zone->to_sys(local, date::choose::earliest).time_since_epoch().count();
  }
  std::string list;
  for (const auto& f : tried) list += (list.empty() ? "" : ", ") + f;
  return Status::Error("'" + text + "' is not a date and time " +
                       (tried.size() == 1 ? "in the format " + list : "in any of the formats " + list));
}

// The value `spec` makes of `record`: nullopt when the record has none.
Result<std::optional<rapidjson::Value>> Make(const ValueSpec& spec, const rapidjson::Value& record,
                                             bool columns, const date::time_zone* zone,
                                             rapidjson::Document::AllocatorType& a) {
  std::string label = spec.from.empty() ? "value" : "'" + spec.from + "'";
  std::string raw;
  if (spec.constant) {
    raw = *spec.constant;
  } else {
    // The first of `from` and `also` with a value.
    for (size_t i = 0; i <= spec.also.size() && raw.empty(); ++i) {
      const std::string& from = i == 0 ? spec.from : spec.also[i - 1];
      const rapidjson::Value* v = Find(record, from, columns);
      if (v && (v->IsObject() || v->IsArray())) {
        return Status::Error("'" + from + "' is a list or an object, not a value");
      }
      std::optional<std::string> text = v ? AsText(*v) : std::nullopt;
      if (text) raw = Trim(*text);
    }
  }
  if (raw.empty()) return std::optional<rapidjson::Value>();
  std::string s = raw;
  if (!spec.map.empty()) {
    auto it = spec.map.find(s);
    if (it == spec.map.end()) {
      it = std::find_if(spec.map.begin(), spec.map.end(),
                        [&](const auto& kv) { return Lower(kv.first) == Lower(s); });
    }
    if (it != spec.map.end()) {
      s = it->second;
    } else if (spec.otherwise == "reject") {
      std::vector<std::string> known;
      for (const auto& kv : spec.map) known.push_back(kv.first);
      return Status::Error(label + " is '" + raw + "', which the mapping (" + spec.where +
                           ") does not know: one of " + rules::Quoted(known));
    } else if (spec.otherwise == "omit") {
      return std::optional<rapidjson::Value>();
    } else if (spec.otherwise != "keep") {
      s = spec.otherwise;
    }
  }
  if (spec.normalise == "postcode") {
    auto p = Postcode(s);
    if (!p.ok()) return Status::Error(label + ": " + p.status().message());
    s = *p;
  } else if (spec.normalise == "digits") {
    std::string digits;
    for (char c : s) {
      if (std::isdigit(static_cast<unsigned char>(c))) digits.push_back(c);
    }
    if (digits.empty()) return Status::Error(label + " is '" + raw + "', which has no digits");
    s = digits;
  } else if (spec.normalise == "upper") {
    s = Upper(s);
  } else if (spec.normalise == "lower") {
    s = Lower(s);
  }
  rapidjson::Value out;
  switch (spec.as) {
    case ValueSpec::As::kText:
      out.SetString(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
      break;
    case ValueSpec::As::kInteger: {
      int64_t i = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
      if (ec != std::errc() || end != s.data() + s.size()) {
        return Status::Error(label + " is '" + raw + "', not a whole number");
      }
      out.SetInt64(i);
      break;
    }
    case ValueSpec::As::kNumber: {
      double d = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
      if (ec != std::errc() || end != s.data() + s.size()) {
        return Status::Error(label + " is '" + raw + "', not a number");
      }
      out.SetDouble(d);
      break;
    }
    case ValueSpec::As::kBoolean: {
      std::string l = Lower(s);
      if (l == "yes" || l == "y" || l == "true" || l == "1") {
        out.SetBool(true);
      } else if (l == "no" || l == "n" || l == "false" || l == "0") {
        out.SetBool(false);
      } else {
        return Status::Error(label + " is '" + raw + "', not yes or no");
      }
      break;
    }
    case ValueSpec::As::kTimestamp: {
      auto t = Timestamp(s, spec.formats, zone);
      if (!t.ok()) return Status::Error(label + ": " + t.status().message());
      std::string text = FormatRfc3339(*t);
      out.SetString(text.data(), static_cast<rapidjson::SizeType>(text.size()), a);
      break;
    }
  }
  return std::optional<rapidjson::Value>(std::move(out));
}

// Sets `path` ("location.uprn") in `event`, making the objects on the way.
void Put(rapidjson::Document& event, const std::string& path, rapidjson::Value value) {
  auto& a = event.GetAllocator();
  rapidjson::Value* at = &event;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string step = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    auto it = at->FindMember(step.c_str());
    if (dot == std::string::npos) {
      if (it != at->MemberEnd()) {
        it->value = std::move(value);
      } else {
        at->AddMember(rapidjson::Value(step.c_str(), a), std::move(value), a);
      }
      return;
    }
    if (it == at->MemberEnd() || !it->value.IsObject()) {
      if (it != at->MemberEnd()) at->RemoveMember(it);
      at->AddMember(rapidjson::Value(step.c_str(), a), rapidjson::Value(rapidjson::kObjectType), a);
      it = at->FindMember(step.c_str());
    }
    at = &it->value;
    start = dot + 1;
  }
}

}  // namespace

Mapping::LoadResult Mapping::Load(const std::filesystem::path& file) {
  return MappingLoader(file).Load();
}

std::vector<std::string> Mapping::Inputs() const {
  std::set<std::string> in;
  auto add_template = [&](const std::string& text) {
    std::string error;
    if (auto t = ParseTemplate(text, &error)) {
      for (const auto& [is_column, part] : t->parts) {
        if (is_column) in.insert(part);
      }
    }
  };
  add_template(id_template);
  if (!event_type.from.empty()) in.insert(event_type.from);
  for (const auto& [path, v] : fields) {
    if (!v.from.empty()) in.insert(v.from);
    in.insert(v.also.begin(), v.also.end());
  }
  for (const auto& s : subjects) {
    if (!s.each.empty()) continue;  // paths inside list elements
    add_template(s.id);
    if (!s.role.from.empty()) in.insert(s.role.from);
    if (!s.if_present.empty()) in.insert(s.if_present);
  }
  return {in.begin(), in.end()};
}

std::vector<std::string> Mapping::EssentialInputs() const {
  std::set<std::string> in;
  std::string error;
  if (auto t = ParseTemplate(id_template, &error)) {
    for (const auto& [is_column, part] : t->parts) {
      if (is_column) in.insert(part);
    }
  }
  if (!event_type.from.empty()) in.insert(event_type.from);
  for (const auto& [path, v] : fields) {
    if (path == "occurred_at" && !v.from.empty() && v.also.empty()) in.insert(v.from);
  }
  return {in.begin(), in.end()};
}

Result<std::string> Mapping::Apply(const rapidjson::Value& record) const {
  bool columns = type == "csv";
  rapidjson::Document event(rapidjson::kObjectType);
  auto& a = event.GetAllocator();
  auto id = Render(id_template, record, columns, "id");
  if (!id.ok()) return id.status();
  event.AddMember("id", rapidjson::Value(id->c_str(), a), a);
  auto type_value = Make(event_type, record, columns, zone, a);
  if (!type_value.ok()) return Status::Error("event type: " + type_value.status().message());
  if (!*type_value) {
    return Status::Error("event type: '" + event_type.from + "' is empty");
  }
  event.AddMember("type", std::move(**type_value), a);
  event.AddMember("source", rapidjson::Value(source.c_str(), a), a);
  for (const auto& [path, spec] : fields) {
    auto v = Make(spec, record, columns, zone, a);
    if (!v.ok()) return v.status();
    if (*v) Put(event, path, std::move(**v));
  }
  rapidjson::Value list(rapidjson::kArrayType);
  auto add_subject = [&](const SubjectSpec& s, const rapidjson::Value& from) -> Status {
    if (!s.if_present.empty()) {
      const rapidjson::Value* v = Find(from, s.if_present, columns);
      std::optional<std::string> text = v ? AsText(*v) : std::nullopt;
      if (!text || Trim(*text).empty()) return Status::Ok();
    }
    auto subject_id = Render(s.id, from, columns, "subject id");
    if (!subject_id.ok()) return subject_id.status();
    auto role = Make(s.role, from, columns, zone, a);
    if (!role.ok()) return Status::Error("role: " + role.status().message());
    if (!*role) return Status::Error("role: '" + s.role.from + "' is empty");
    rapidjson::Value subject(rapidjson::kObjectType);
    subject.AddMember("id", rapidjson::Value(subject_id->c_str(), a), a);
    subject.AddMember("role", std::move(**role), a);
    list.PushBack(std::move(subject), a);
    return Status::Ok();
  };
  for (const auto& s : subjects) {
    if (s.each.empty()) {
      if (Status st = add_subject(s, record); !st.ok()) return st;
      continue;
    }
    const rapidjson::Value* items = Find(record, s.each, false);
    if (!items) continue;
    if (!items->IsArray()) return Status::Error("'" + s.each + "' is not a list");
    for (const auto& item : items->GetArray()) {
      if (Status st = add_subject(s, item); !st.ok()) return st;
    }
  }
  if (!list.Empty()) event.AddMember("subjects", std::move(list), a);
  std::string text = json::Serialize(event);
  // Checked as the engine will check it, then the data SPEC 3 defines.
  auto parsed = rules::ParseEvent(text, [](std::string_view) { return true; });
  if (!parsed.ok()) return parsed.status();
  auto data = event.FindMember("data");
  if (data != event.MemberEnd()) {
    if (Status s = CheckDefinedData(event["type"].GetString(), data->value); !s.ok()) return s;
  } else if (Status s = CheckDefinedData(event["type"].GetString(), rapidjson::Value(rapidjson::kObjectType)); !s.ok()) {
    return s;
  }
  return text;
}

Status CheckDefinedData(std::string_view type, const rapidjson::Value& data) {
  auto one_of = [&](const char* key, std::vector<std::string> allowed) -> Status {
    auto it = data.FindMember(key);
    if (it == data.MemberEnd()) return Status::Ok();
    std::string v = it->value.IsString() ? it->value.GetString() : json::Serialize(it->value);
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
      return Status::Error(std::string(type) + ": data." + key + " is '" + v + "'; it must be one of " +
                           rules::Quoted(allowed));
    }
    return Status::Ok();
  };
  auto boolean = [&](const char* key) -> Status {
    auto it = data.FindMember(key);
    if (it != data.MemberEnd() && !it->value.IsBool()) {
      return Status::Error(std::string(type) + ": data." + key + " must be true or false");
    }
    return Status::Ok();
  };
  auto integer = [&](const char* key, int64_t lo, int64_t hi, bool required) -> Status {
    auto it = data.FindMember(key);
    if (it == data.MemberEnd()) {
      return required ? Status::Error(std::string(type) + " needs data." + key + " (" +
                                      std::to_string(lo) + " to " + std::to_string(hi) + ")")
                      : Status::Ok();
    }
    if (!it->value.IsInt64() || it->value.GetInt64() < lo || it->value.GetInt64() > hi) {
      return Status::Error(std::string(type) + ": data." + key + " is " +
                           json::Serialize(it->value) + "; it must be a whole number from " +
                           std::to_string(lo) + " to " + std::to_string(hi));
    }
    return Status::Ok();
  };
  std::vector<Status> checks;
  if (type == "asb.report") {
    checks.push_back(one_of("category", {"personal", "nuisance", "environmental"}));
  } else if (type == "crime.report") {
    checks.push_back(one_of("hate_motivation", {"race", "religion", "sexual_orientation",
                                                "disability", "transgender", "none"}));
  } else if (type == "dash.assessment") {
    checks.push_back(integer("yes_count", 0, 24, true));
    checks.push_back(boolean("visible_high_risk"));
    checks.push_back(integer("police_callouts_12m", 0, 1000, false));
  } else if (type == "referral" || type == "modern_slavery.indicator") {
    checks.push_back(boolean("consent"));
  } else if (type == "injunction.granted") {
    checks.push_back(boolean("power_of_arrest"));
  } else if (type == "closure.order") {
    checks.push_back(boolean("granted"));
  }
  for (auto& s : checks) {
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace convene::connectors
