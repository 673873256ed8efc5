// The file sources: `csv` and `jsonl`, each reading one file or every file of
// its kind in a folder (in name order), from each file's checkpoint on, and
// with --watch going on to read new and growing files until stopped.
#include <rapidjson/error/en.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "connectors/csv_reader.h"
#include "connectors/source.h"
#include "rules/json.h"
#include "rules/text.h"

namespace convene::connectors {
namespace {

namespace fs = std::filesystem;

constexpr int kCommitEvery = 1000;  // records between checkpoints

std::string Hex(unsigned char c) {
  char b[8];
  std::snprintf(b, sizeof b, "0x%02X", c);
  return b;
}

// Why `s` is not UTF-8 text, or "".
std::string NotUtf8(std::string_view s, const std::string& where) {
  auto at = text::InvalidUtf8At(s);
  if (!at) return "";
  if (s[*at] == '\0') return where + " holds a NUL byte";
  return where + " is not UTF-8 text (byte " + Hex(static_cast<unsigned char>(s[*at])) +
         " at position " + std::to_string(*at + 1) + ")";
}

class FileSource : public RecordSource {
 public:
  FileSource(std::shared_ptr<const Mapping> mapping, SourceOptions options,
             std::set<std::string> extensions)
      : mapping_(std::move(mapping)), options_(std::move(options)),
        extensions_(std::move(extensions)) {}

  Status Run(RecordSink* sink, const std::atomic<bool>& stop) override {
    while (true) {
      auto files = Files();
      if (!files.ok()) return files.status();
      for (const auto& file : *files) {
        if (stop) return Status::Ok();
        if (Status s = ReadFile(file, sink, stop); !s.ok()) return s;
      }
      if (!options_.watch) return Status::Ok();
      for (int i = 0; i < 10 && !stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (stop) return Status::Ok();
    }
  }

 protected:
  // Reads `file` from `from`, handing records to `sink`.
  virtual Status ReadFrom(const std::string& file, const Checkpoint& from, RecordSink* sink,
                          const std::atomic<bool>& stop) = 0;

  Status Commit(RecordSink* sink, const std::string& file, int64_t offset, int64_t line) {
    return sink->Commit(*mapping_, file, {offset, line, CheckpointStore::HeadHash(file, offset)});
  }

  std::shared_ptr<const Mapping> mapping_;
  SourceOptions options_;

 private:
  Result<std::vector<std::string>> Files() const {
    std::error_code ec;
    if (fs::is_directory(options_.input, ec)) {
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(options_.input, ec)) {
        if (e.is_regular_file() && extensions_.count(e.path().extension().string())) {
          files.push_back(e.path().string());
        }
      }
      std::sort(files.begin(), files.end());
      return files;
    }
    if (!fs::exists(options_.input, ec)) return Status::Error("no such file or folder: " + options_.input);
    return std::vector<std::string>{options_.input};
  }

  Status ReadFile(const std::string& file, RecordSink* sink, const std::atomic<bool>& stop) {
    Checkpoint from;
    if (options_.checkpoints) {
      if (auto c = options_.checkpoints->Resume(mapping_->source, file)) from = *c;
    }
    std::error_code ec;
    auto size = static_cast<int64_t>(fs::file_size(file, ec));
    if (ec) {
      sink->FileFailed(file, "cannot read it: " + ec.message());
      return Status::Ok();
    }
    if (from.offset > 0 && from.offset >= size) return Status::Ok();  // nothing new
    sink->BeginFile(file, size, from.offset);
    return ReadFrom(file, from, sink, stop);
  }

  std::set<std::string> extensions_;
};

class CsvSource : public FileSource {
 public:
  CsvSource(std::shared_ptr<const Mapping> mapping, SourceOptions options)
      : FileSource(std::move(mapping), std::move(options), {".csv", ".CSV", ".txt"}) {}

 protected:
  Status ReadFrom(const std::string& file, const Checkpoint& from, RecordSink* sink,
                  const std::atomic<bool>& stop) override {
    const Mapping& m = *mapping_;
    std::vector<std::string> header = m.columns;
    int64_t offset = from.offset, line = from.line;
    if (m.header) {
      // The header is read from the start each time, whatever the checkpoint.
      auto r = CsvReader::Open(file, m.delimiter);
      if (!r.ok()) {
        sink->FileFailed(file, r.status().message());
        return Status::Ok();
      }
      CsvRecord h;
      if (!(*r)->Next(&h)) return Status::Ok();  // empty
      if (!h.error.empty()) {
        sink->FileFailed(file, "line " + std::to_string(h.line) + " (the header): " + h.error);
        return Status::Ok();
      }
      header.clear();
      for (auto& f : h.fields) header.push_back(Decode(f));
      if (std::string why = CheckHeader(header, file, sink); !why.empty()) {
        sink->FileFailed(file, why);
        return Status::Ok();
      }
      if (offset < (*r)->offset()) {
        offset = (*r)->offset();
        line = (*r)->next_line();
      }
    }
    auto reader = CsvReader::Open(file, m.delimiter, offset, line);
    if (!reader.ok()) {
      sink->FileFailed(file, reader.status().message());
      return Status::Ok();
    }
    CsvRecord rec;
    int since_commit = 0;
    while (!stop && (*reader)->Next(&rec)) {
      SourceRecord r;
      r.file = file;
      r.row = rec.line;
      r.text = std::move(rec.text);
      r.fields.SetObject();
      r.error = std::move(rec.error);
      if (r.error.empty() && rec.fields.size() != header.size()) {
        r.error = "it has " + std::to_string(rec.fields.size()) +
                  (rec.fields.size() == 1 ? " field" : " fields") + " where the header has " +
                  std::to_string(header.size()) +
                  (rec.fields.size() > header.size() ? " (a delimiter in a field without quotes?)"
                                                     : " (a missing delimiter or a cut line?)");
      }
      for (size_t i = 0; r.error.empty() && i < header.size(); ++i) {
        std::string value = Decode(rec.fields[i]);
        r.error = NotUtf8(value, "column '" + header[i] + "'");
        if (!r.error.empty()) {
          r.error += ": save the export as UTF-8, or set csv: {encoding: windows-1252}";
          break;
        }
        auto& a = r.fields.GetAllocator();
        r.fields.AddMember(rapidjson::Value(header[i].c_str(), a),
                           rapidjson::Value(value.c_str(), static_cast<rapidjson::SizeType>(value.size()), a), a);
      }
      sink->Accept(m, std::move(r));
      sink->Progress((*reader)->offset());
      if (++since_commit >= kCommitEvery) {
        if (Status s = Commit(sink, file, (*reader)->offset(), (*reader)->next_line()); !s.ok()) return s;
        since_commit = 0;
      }
    }
    if ((*reader)->offset() > from.offset) {
      return Commit(sink, file, (*reader)->offset(), (*reader)->next_line());
    }
    return Status::Ok();
  }

 private:
  std::string Decode(const std::string& field) const {
    return mapping_->encoding == "windows-1252" ? text::Windows1252ToUtf8(field) : field;
  }

  // Why the header cannot be used with the mapping, or "". Columns the
  // mapping reads that are missing but not essential are only a warning:
  // their values are taken as empty (e.g. a DASH score column in an export
  // of ASB incidents only).
  std::string CheckHeader(const std::vector<std::string>& header, const std::string& file,
                          RecordSink* sink) const {
    std::set<std::string> seen;
    for (const auto& h : header) {
      if (std::string bad = NotUtf8(h, "the header"); !bad.empty()) return bad;
      if (!seen.insert(h).second) return "the header names column '" + h + "' twice";
    }
    auto missing = [&](const std::vector<std::string>& wanted) {
      std::string out;
      for (const auto& in : wanted) {
        if (!seen.count(in)) out += (out.empty() ? "'" : ", '") + in + "'";
      }
      return out;
    };
    std::string has;
    for (const auto& h : header) has += (has.empty() ? "" : ", ") + h;
    if (std::string essential = missing(mapping_->EssentialInputs()); !essential.empty()) {
      return "the header has no column " + essential + ", which " + mapping_->file +
             " needs for every record; the columns are: " + has;
    }
    if (std::string other = missing(mapping_->Inputs()); !other.empty()) {
      sink->FileWarning(file, "the header has no column " + other + ", which " + mapping_->file +
                                  " reads: its values are taken as empty");
    }
    return "";
  }
};

class JsonlSource : public FileSource {
 public:
  JsonlSource(std::shared_ptr<const Mapping> mapping, SourceOptions options)
      : FileSource(std::move(mapping), std::move(options), {".jsonl", ".json", ".ndjson"}) {}

 protected:
  Status ReadFrom(const std::string& file, const Checkpoint& from, RecordSink* sink,
                  const std::atomic<bool>& stop) override {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      sink->FileFailed(file, "cannot read it");
      return Status::Ok();
    }
    // A file holding one JSON array is read whole; JSON lines line by line.
    char first = 0;
    while (in.get(first) && (std::isspace(static_cast<unsigned char>(first)) || first == '\xEF' ||
                             first == '\xBB' || first == '\xBF')) {
    }
    in.clear();
    if (first == '[') return ReadArray(file, from, sink, stop);
    in.seekg(from.offset);
    int64_t offset = from.offset, line = from.line;
    std::string text;
    int since_commit = 0;
    while (!stop && std::getline(in, text)) {
      bool ended = !in.eof();
      int64_t row = line++;
      offset += static_cast<int64_t>(text.size()) + (ended ? 1 : 0);
      if (row == 1 && text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
      if (!text.empty() && text.back() == '\r') text.pop_back();
      if (text.find_first_not_of(" \t") == std::string::npos) continue;
      SourceRecord r;
      r.file = file;
      r.row = row;
      r.text = text;
      Parse(&r);
      sink->Accept(*mapping_, std::move(r));
      sink->Progress(offset);
      if (++since_commit >= kCommitEvery) {
        if (Status s = Commit(sink, file, offset, line); !s.ok()) return s;
        since_commit = 0;
      }
    }
    if (offset > from.offset) return Commit(sink, file, offset, line);
    return Status::Ok();
  }

 private:
  // Parses r->text into r->fields, or says why it cannot.
  static void Parse(SourceRecord* r) {
    r->error = NotUtf8(r->text, "the line");
    if (!r->error.empty()) return;
    if (Status s = json::Parse(&r->fields, r->text); !s.ok()) {
      r->error = "not JSON: " + s.message();
      r->fields.SetObject();
    } else if (!r->fields.IsObject()) {
      r->error = "not a JSON object";
    }
  }

  Status ReadArray(const std::string& file, const Checkpoint& from, RecordSink* sink,
                   const std::atomic<bool>& stop) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string all = buffer.str();
    int64_t bom = all.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
    all.erase(0, static_cast<size_t>(bom));
    if (std::string bad = NotUtf8(all, "the file"); !bad.empty()) {
      sink->FileFailed(file, bad);
      return Status::Ok();
    }
    rapidjson::Document d;
    Status parsed = json::Parse(&d, all, json::kMaxBatchDepth);
    if (!parsed.ok() || !d.IsArray()) {
      sink->FileFailed(file, !parsed.ok() ? "not JSON: " + parsed.message()
                                          : "not a JSON array of records");
      return Status::Ok();
    }
    int64_t n = 0;
    for (auto& item : d.GetArray()) {
      if (stop) return Status::Ok();  // no checkpoint: the array is read again
      if (++n < from.line) continue;  // before the checkpoint
      SourceRecord r;
      r.file = file;
      r.row = n;
      r.text = json::Serialize(item);
      if (std::string deep = json::TooDeep(item); !deep.empty()) {
        r.fields.SetObject();
        r.error = "element " + std::to_string(n) + " is " + deep;
      } else if (item.IsObject()) {
        r.fields.CopyFrom(item, r.fields.GetAllocator());
      } else {
        r.fields.SetObject();
        r.error = "element " + std::to_string(n) + " is not a JSON object";
      }
      sink->Accept(*mapping_, std::move(r));
    }
    sink->Progress(static_cast<int64_t>(all.size()));
    // The whole file is read; appending elements moves the closing bracket,
    // so the checkpoint's hash stops before it.
    std::error_code ec;
    Checkpoint at;
    at.offset = static_cast<int64_t>(fs::file_size(file, ec));
    at.line = n + 1;
    at.hashed = bom + static_cast<int64_t>(all.rfind(']'));
    at.head = CheckpointStore::HeadHash(file, at.hashed);
    return sink->Commit(*mapping_, file, at);
  }
};

}  // namespace

Result<std::unique_ptr<RecordSource>> MakeCsvSource(
    std::vector<std::shared_ptr<const Mapping>> mappings, const SourceOptions& options) {
  if (mappings.size() != 1) return Status::Error("a csv source reads with one mapping");
  return std::unique_ptr<RecordSource>(new CsvSource(mappings[0], options));
}

Result<std::unique_ptr<RecordSource>> MakeJsonlSource(
    std::vector<std::shared_ptr<const Mapping>> mappings, const SourceOptions& options) {
  if (mappings.size() != 1) return Status::Error("a jsonl source reads with one mapping");
  return std::unique_ptr<RecordSource>(new JsonlSource(mappings[0], options));
}

Result<std::unique_ptr<RecordSource>> SourceRegistry::Create(
    const std::string& type, std::vector<std::shared_ptr<const Mapping>> mappings,
    const SourceOptions& options) const {
  auto it = factories_.find(type);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& t : types()) known += (known.empty() ? "" : ", ") + t;
    return Status::Error("no source of type '" + type + "' (there are: " + known + ")");
  }
  return it->second(std::move(mappings), options);
}

std::vector<std::string> SourceRegistry::types() const {
  std::vector<std::string> out;
  for (const auto& [t, f] : factories_) out.push_back(t);
  return out;
}

const SourceRegistry& SourceRegistry::BuiltIn() {
  static const SourceRegistry* registry = [] {
    auto* r = new SourceRegistry();
    r->Register("csv", MakeCsvSource);
    r->Register("jsonl", MakeJsonlSource);
    r->Register("http", MakeHttpSource);
    return r;
  }();
  return *registry;
}

}  // namespace convene::connectors
