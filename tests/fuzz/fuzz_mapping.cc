// A connector mapping applied to arbitrary records, read as the csv and jsonl
// sources read them (connectors/file_sources.cc): the input is written to a
// file under /dev/shm and read with CsvReader, each row becoming
// {column: value} for the shipped police-incidents.yaml; and the same bytes
// are read as JSON (one array of records, or JSON lines) for the shipped
// housing-asb-cases.yaml. When the input's first CSV row lacks a column the
// mapping needs (the csv source would not read the file), the rows are read
// under the shipped sample's header instead, so fuzzed rows still reach Apply.
#include <rapidjson/document.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "connectors/csv_reader.h"
#include "connectors/mapping.h"
#include "rules/text.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace fs = std::filesystem;
using convene::connectors::CsvReader;
using convene::connectors::CsvRecord;
using convene::connectors::Mapping;

std::shared_ptr<const Mapping> LoadMapping(const char* name) {
  auto loaded = Mapping::Load(convene::fuzz::SourceDir() / "connectors" / "mappings" / name);
  if (auto* errors = std::get_if<std::vector<convene::rules::ConfigError>>(&loaded)) {
    for (const auto& e : *errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
    std::abort();
  }
  return std::get<std::shared_ptr<const Mapping>>(loaded);
}

bool IsUtf8(std::string_view s) { return !convene::text::InvalidUtf8At(s); }

struct Setup {
  std::shared_ptr<const Mapping> police = LoadMapping("police-incidents.yaml");
  std::shared_ptr<const Mapping> housing = LoadMapping("housing-asb-cases.yaml");
  std::vector<std::string> police_header;  // of connectors/samples/police-incidents.csv
  fs::path csv = convene::fuzz::ScratchDir() / "input.csv";

  Setup() {
    auto r = CsvReader::Open(
        (convene::fuzz::SourceDir() / "connectors" / "samples" / "police-incidents.csv").string(),
        police->delimiter);
    CsvRecord h;
    if (!r.ok() || !(*r)->Next(&h) || !h.error.empty()) std::abort();
    police_header = h.fields;
  }
};

// The header is usable as the csv source would use it: UTF-8, no name twice,
// every column the mapping cannot do without.
bool UsableHeader(const std::vector<std::string>& header, const Mapping& m) {
  std::set<std::string> seen;
  for (const auto& h : header) {
    if (!IsUtf8(h) || !seen.insert(h).second) return false;
  }
  for (const auto& in : m.EssentialInputs()) {
    if (!seen.count(in)) return false;
  }
  return true;
}

void ApplyRow(const Mapping& m, const std::vector<std::string>& header, const CsvRecord& row) {
  if (!row.error.empty() || row.fields.size() != header.size()) return;
  rapidjson::Document record(rapidjson::kObjectType);
  auto& a = record.GetAllocator();
  for (size_t i = 0; i < header.size(); ++i) {
    if (!IsUtf8(row.fields[i])) return;  // the csv source rejects the row
    record.AddMember(rapidjson::Value(header[i].c_str(), a),
                     rapidjson::Value(row.fields[i].c_str(),
                                      static_cast<rapidjson::SizeType>(row.fields[i].size()), a),
                     a);
  }
  auto event = m.Apply(record);
  if (!event.ok()) (void)event.status().message().size();
}

void FuzzCsv(const Setup& s, std::string_view input) {
  convene::fuzz::WriteFile(s.csv, input);
  auto reader = CsvReader::Open(s.csv.string(), s.police->delimiter);
  if (!reader.ok()) return;
  std::vector<CsvRecord> rows;
  CsvRecord rec;
  while ((*reader)->Next(&rec) && rows.size() < 1000) rows.push_back(std::move(rec));
  if (rows.empty()) return;
  size_t first = 0;
  const std::vector<std::string>* header = &s.police_header;
  if (rows[0].error.empty() && UsableHeader(rows[0].fields, *s.police)) {
    header = &rows[0].fields;
    first = 1;
  }
  // Apply is a function of the record alone: a row met before (libFuzzer's
  // mutations repeat lines) is not applied again.
  std::set<std::vector<std::string>> applied;
  for (size_t i = first; i < rows.size(); ++i) {
    if (rows[i].error.empty() && applied.insert(rows[i].fields).second) {
      ApplyRow(*s.police, *header, rows[i]);
    }
  }
}

void ApplyJson(const Mapping& m, const rapidjson::Value& record) {
  if (!record.IsObject()) return;
  auto event = m.Apply(record);
  if (!event.ok()) (void)event.status().message().size();
}

void FuzzJson(const Setup& s, std::string_view input) {
  size_t bom = input.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0, start = bom;
  while (start < input.size() && std::isspace(static_cast<unsigned char>(input[start]))) ++start;
  if (start < input.size() && input[start] == '[') {  // one array of records
    std::string all(input.substr(bom));
    if (!IsUtf8(all)) return;
    rapidjson::Document d;
    d.Parse(all.c_str(), all.size());
    if (d.HasParseError() || !d.IsArray()) return;
    for (const auto& item : d.GetArray()) ApplyJson(*s.housing, item);
    return;
  }
  size_t pos = 0;  // JSON lines; a line met before is not applied again
  std::set<std::string> seen;
  for (bool first = true; pos < input.size(); first = false) {
    size_t end = input.find('\n', pos);
    std::string line(input.substr(pos, end == std::string_view::npos ? end : end - pos));
    pos = end == std::string_view::npos ? input.size() : end + 1;
    if (first && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos || !seen.insert(line).second ||
        !IsUtf8(line)) {
      continue;
    }
    rapidjson::Document d;
    d.Parse(line.c_str(), line.size());
    if (!d.HasParseError()) ApplyJson(*s.housing, d);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Setup* setup = new Setup();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  FuzzCsv(*setup, input);
  FuzzJson(*setup, input);
  return 0;
}
