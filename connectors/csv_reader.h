// Reads a CSV export record by record with libcsv (RFC 4180: a quoted field
// may hold the delimiter, doubled quotes and line breaks), keeping what a
// person needs to find a record again: the line it starts on, its raw bytes,
// and the byte offset just after it (where a later run resumes). A UTF-8
// byte-order mark is skipped, CRLF and LF both end records, blank lines are
// skipped, and spaces around unquoted fields are trimmed. A record libcsv
// cannot parse (a stray quote) comes back with an error, and reading goes on
// at the next line. Thread-compatible.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "rules/status.h"

struct csv_parser;

namespace convene::connectors {

struct CsvRecord {
  int64_t line = 0;  // the line it starts on, 1-based
  std::vector<std::string> fields;
  std::string text;   // its bytes as in the file, line ends included
  std::string error;  // not empty: it could not be parsed, and why
};

class CsvReader {
 public:
  // Opens `path` to read from byte `offset`, which is on line `line` (a
  // position an earlier reader reported, or 0 and 1).
  static Result<std::unique_ptr<CsvReader>> Open(const std::string& path, char delimiter,
                                                 int64_t offset = 0, int64_t line = 1);
  ~CsvReader();

  // The next record; false at the end of the file.
  bool Next(CsvRecord* out);

  int64_t offset() const { return record_end_; }   // just after the last record returned
  int64_t next_line() const { return record_end_line_; }  // the line after it

 private:
  CsvReader() = default;
  void InitParser();
  void ResetParser();
  bool ReadLine(std::string* line, bool* ended);
  // Called by libcsv.
  static void OnField(void* data, size_t size, void* self);
  static void OnRow(int terminator, void* self);

  std::ifstream in_;
  std::unique_ptr<csv_parser> parser_;
  char delimiter_ = ',';
  int64_t pos_ = 0;            // bytes consumed from the file
  int64_t line_ = 1;           // the line the next read starts on
  int64_t record_end_ = 0;
  int64_t record_end_line_ = 1;
  // The record being assembled.
  std::vector<std::string> fields_;
  std::vector<std::vector<std::string>> rows_;  // completed by the last line fed
  std::string text_;
  int64_t start_line_ = 0;
  bool eof_ = false;
};

}  // namespace convene::connectors
