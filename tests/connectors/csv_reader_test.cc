#include "connectors/csv_reader.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace convene::connectors {
namespace {

// Every record of `content`, read from `offset` on `line`.
std::vector<CsvRecord> ReadAll(const std::string& content, int64_t offset = 0, int64_t line = 1,
                               int64_t* end = nullptr) {
  testing::TempDir dir;
  dir.Write("f.csv", content);
  auto r = CsvReader::Open(dir.Sub("f.csv"), ',', offset, line);
  EXPECT_TRUE(r.ok());
  std::vector<CsvRecord> out;
  CsvRecord rec;
  while ((*r)->Next(&rec)) out.push_back(rec);
  if (end) *end = (*r)->offset();
  return out;
}

TEST(CsvReaderTest, ByteOrderMarkAndCrLfAreReadAsTheExportMeantThem) {
  auto rows = ReadAll("\xEF\xBB\xBF" "Ref,Name\r\nA1,Alice\r\nA2,Bob\r\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"Ref", "Name"}));
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"A2", "Bob"}));
  EXPECT_EQ(rows[2].line, 3);
  EXPECT_EQ(rows[2].text, "A2,Bob\r\n");
}

TEST(CsvReaderTest, QuotedFieldsHoldCommasQuotesAndLineBreaks) {
  auto rows = ReadAll("A,\"one, two\",\"she said \"\"go\"\"\"\nB,\"line one\r\nline two\",x\nC,y,z\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].fields[1], "one, two");
  EXPECT_EQ(rows[0].fields[2], "she said \"go\"");
  EXPECT_EQ(rows[1].fields[1], "line one\r\nline two");
  EXPECT_EQ(rows[1].line, 2);
  EXPECT_EQ(rows[2].line, 4);  // the record after a two-line one
}

TEST(CsvReaderTest, BlankLinesAreSkippedAndCountedInLineNumbers) {
  auto rows = ReadAll("A,1\n\n\r\n   \nB,2\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].fields[0], "B");
  EXPECT_EQ(rows[1].line, 5);
}

TEST(CsvReaderTest, AStrayQuoteRejectsThatRecordAndReadingGoesOn) {
  auto rows = ReadAll("A,1\nB,2 \"x,3\nC,4\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_TRUE(rows[0].error.empty());
  EXPECT_NE(rows[1].error.find("a quote in the wrong place"), std::string::npos);
  EXPECT_EQ(rows[1].line, 2);
  EXPECT_EQ(rows[1].text, "B,2 \"x,3\n");
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"C", "4"}));
  EXPECT_EQ(rows[2].line, 3);
}

TEST(CsvReaderTest, AQuoteLeftOpenAtTheEndIsRejectedNotSwallowed) {
  auto rows = ReadAll("A,1\nB,\"never closed\nC,2\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].line, 2);
  EXPECT_EQ(rows[1].error, "a quoted field is not closed before the end of the file");
}

TEST(CsvReaderTest, ALastLineWithoutALineEndIsARecord) {
  int64_t end = 0;
  auto rows = ReadAll("A,1\nB,2", 0, 1, &end);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"B", "2"}));
  EXPECT_EQ(end, 7);
}

TEST(CsvReaderTest, ReadingResumesAtAnOffsetWithTheRightLineNumbers) {
  const std::string content = "H,h\nA,1\nB,\"two\nlines\"\nC,3\n";
  int64_t end = 0;
  auto all = ReadAll(content, 0, 1, &end);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(end, static_cast<int64_t>(content.size()));
  // Resume after the header and A: B starts at byte 8, line 3.
  auto rest = ReadAll(content, 8, 3);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].fields[1], "two\nlines");
  EXPECT_EQ(rest[0].line, 3);
  EXPECT_EQ(rest[1].line, 5);
}

}  // namespace
}  // namespace convene::connectors
