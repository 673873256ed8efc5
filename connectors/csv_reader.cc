#include "connectors/csv_reader.h"

#include <csv.h>

namespace convene::connectors {
namespace {

// A quoted field running on longer than this has almost certainly lost its
// closing quote; the record is rejected rather than swallowing the file.
constexpr int kMaxRecordLines = 1000;
constexpr size_t kMaxRecordBytes = 1 << 20;

}  // namespace

Result<std::unique_ptr<CsvReader>> CsvReader::Open(const std::string& path, char delimiter,
                                                   int64_t offset, int64_t line) {
  std::unique_ptr<CsvReader> r(new CsvReader());
  r->in_.open(path, std::ios::binary);
  if (!r->in_) return Status::Error("cannot read " + path);
  r->delimiter_ = delimiter;
  if (offset == 0) {
    char bom[3] = {};
    r->in_.read(bom, 3);
    if (r->in_.gcount() == 3 && bom[0] == '\xEF' && bom[1] == '\xBB' && bom[2] == '\xBF') {
      offset = 3;
    }
    r->in_.clear();
  }
  r->in_.seekg(offset);
  r->pos_ = r->record_end_ = offset;
  r->line_ = r->record_end_line_ = line;
  r->parser_ = std::make_unique<csv_parser>();
  r->InitParser();
  return r;
}

CsvReader::~CsvReader() {
  if (parser_) csv_free(parser_.get());
}

void CsvReader::ResetParser() {
  csv_free(parser_.get());
  InitParser();
}

void CsvReader::InitParser() {
  csv_init(parser_.get(), CSV_STRICT | CSV_STRICT_FINI);
  csv_set_delim(parser_.get(), static_cast<unsigned char>(delimiter_));
  fields_.clear();
}

void CsvReader::OnField(void* data, size_t size, void* self) {
  auto* r = static_cast<CsvReader*>(self);
  r->fields_.emplace_back(data ? static_cast<const char*>(data) : "", data ? size : 0);
}

void CsvReader::OnRow(int, void* self) {
  auto* r = static_cast<CsvReader*>(self);
  r->rows_.push_back(std::move(r->fields_));
  r->fields_.clear();
}

bool CsvReader::ReadLine(std::string* line, bool* ended) {
  line->clear();
  if (!std::getline(in_, *line)) return false;
  *ended = !in_.eof();
  if (*ended) line->push_back('\n');
  return true;
}

bool CsvReader::Next(CsvRecord* out) {
  std::string line;
  bool ended = false;
  while (!eof_) {
    if (!ReadLine(&line, &ended)) {
      eof_ = true;
      break;
    }
    if (text_.empty()) start_line_ = line_;
    pos_ += static_cast<int64_t>(line.size());
    ++line_;
    text_ += line;
    size_t used = csv_parse(parser_.get(), line.data(), line.size(), OnField, OnRow, this);
    bool failed = used < line.size() || csv_error(parser_.get()) != CSV_SUCCESS;
    bool too_long = line_ - start_line_ > kMaxRecordLines || text_.size() > kMaxRecordBytes;
    if (failed || too_long) {
      *out = CsvRecord{start_line_, {}, std::move(text_),
                       failed ? "a quote in the wrong place: a field with quotes must be wholly "
                                "in quotes, with quotes inside it doubled (\"\")"
                              : "a quoted field runs on for more than " +
                                    std::to_string(kMaxRecordLines) +
                                    " lines: its closing quote is probably missing"};
      text_.clear();
      rows_.clear();
      ResetParser();
      record_end_ = pos_;
      record_end_line_ = line_;
      return true;
    }
    if (rows_.size() == 1 && rows_[0].size() == 1 && rows_[0][0].empty()) {
      rows_.clear();  // a line of spaces: as blank
    }
    if (!rows_.empty()) {
      // A record ends with its line. (Two in one line only with bare CR line ends.)
      *out = CsvRecord{start_line_, std::move(rows_.front()), std::move(text_), {}};
      for (size_t i = 1; i < rows_.size(); ++i) {
        out->fields.insert(out->fields.end(), rows_[i].begin(), rows_[i].end());
      }
      rows_.clear();
      text_.clear();
      record_end_ = pos_;
      record_end_line_ = line_;
      return true;
    }
    if (rows_.empty() && parser_->pstate == 0) {  // nothing begun: a blank line
      text_.clear();
      record_end_ = pos_;
      record_end_line_ = line_;
    }
  }
  // The end of the file: a last record without a line end, or an open quote.
  if (text_.empty()) return false;
  bool ok = csv_fini(parser_.get(), OnField, OnRow, this) == 0;
  if (!ok) {
    *out = CsvRecord{start_line_, {}, std::move(text_),
                     "a quoted field is not closed before the end of the file"};
  } else if (!rows_.empty()) {
    *out = CsvRecord{start_line_, std::move(rows_.front()), std::move(text_), {}};
  } else {
    text_.clear();
    return false;
  }
  rows_.clear();
  text_.clear();
  ResetParser();
  record_end_ = pos_;
  record_end_line_ = line_;
  return true;
}

}  // namespace convene::connectors
