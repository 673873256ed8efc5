#include "connectors/connector.h"

#include <gtest/gtest.h>

#include "connectors/checkpoint.h"
#include "tests/support/temp_dir.h"

namespace convene::connectors {
namespace {

// An output whose dead-letter topic refuses every message.
class DeadLetterRefused : public EventOutput {
 public:
  Status Send(const std::string& topic, const std::string&, const std::string&) override {
    if (topic == "convene.dead-letter") return Status::Error("broker refused the message");
    ++events;
    return Status::Ok();
  }
  Status Flush() override { return Status::Ok(); }
  int events = 0;
};

SourceRecord Row(const std::string& file, int64_t row, std::string error = "") {
  SourceRecord r;
  r.file = file;
  r.row = row;
  r.text = "row " + std::to_string(row);
  r.fields.SetObject();
  auto& a = r.fields.GetAllocator();
  r.fields.AddMember("Ref", rapidjson::Value(std::string("R").append(std::to_string(row)).c_str(), a), a);
  r.error = std::move(error);
  return r;
}

TEST(ConnectorTest, ARowWhoseDeadLetterCannotBeSentIsNeverCheckpointedPast) {
  testing::TempDir dir;
  dir.Write("m.yaml", R"(source: police
type: csv
id: "police:{{Ref}}"
event_type: {value: asb.report}
fields:
  occurred_at: {value: "2026-03-01T10:00:00Z"}
)");
  auto loaded = Mapping::Load(dir.Sub("m.yaml"));
  auto* mapping = std::get_if<std::shared_ptr<const Mapping>>(&loaded);
  ASSERT_TRUE(mapping);
  // The export itself, as far as the checkpoints go: they hash its head.
  dir.Write("export.csv", std::string(40, 'x'));
  const std::string file = dir.Sub("export.csv");
  auto at = [&](int64_t offset, int64_t line) {
    return Checkpoint{offset, line, CheckpointStore::HeadHash(file, offset), 0};
  };
  CheckpointStore checkpoints(dir.Sub("checkpoints"));
  DeadLetterRefused out;
  ConnectorOptions options;
  options.checkpoints = &checkpoints;
  Connector connector(&out, options);
  EXPECT_EQ(connector.Accept(**mapping, Row(file, 2)).kind, Outcome::kSent);
  ASSERT_TRUE(connector.Commit(**mapping, file, at(10, 3)).ok());
  EXPECT_EQ(connector.Accept(**mapping, Row(file, 3, "a stray quote")).kind, Outcome::kRejected);
  EXPECT_EQ(connector.Accept(**mapping, Row(file, 4)).kind, Outcome::kSent);
  Status s = connector.Commit(**mapping, file, at(30, 5));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("export.csv:3: its dead letter could not be sent"), std::string::npos)
      << s.message();
  // The checkpoint is where it was before row 3: the next run reads it again.
  auto resumed = checkpoints.Resume("police", file);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->offset, 10);
  ASSERT_EQ(connector.summary().files_failed.size(), 1u);
}

}  // namespace
}  // namespace convene::connectors
