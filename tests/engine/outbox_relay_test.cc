#include "engine/outbox_relay.h"

#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include "connectors/embedded_broker.h"
#include "connectors/kafka_message_sink.h"
#include "connectors/topic_reader.h"
#include "engine/store_keys.h"
#include "engine/task.h"
#include "tests/support/temp_dir.h"

namespace convene::engine {
namespace {

// An outbox entry that does not decode was deleted unsent: a task that
// silently never reached its partner. It is kept and said; the rest go on.
TEST(OutboxRelayTest, ADamagedEntryIsKeptAndTheOthersAreDelivered) {
  testing::TempDir dir;
  auto store = CaseStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().message();
  rocksdb::WriteBatch batch;
  auto* outbox = (*store)->handle(Family::kOutbox);
  batch.Put(outbox, EncodeU64(1), OutboxMessage{"convene.tasks.housing", "t-1", "first"}.Encode());
  batch.Put(outbox, EncodeU64(2), std::string("\xff\x00\x13 not a message", 17));
  batch.Put(outbox, EncodeU64(3), OutboxMessage{"convene.tasks.housing", "t-3", "third"}.Encode());
  ASSERT_TRUE((*store)->Write(&batch).ok());

  auto broker = connectors::EmbeddedBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status().message();
  OutboxRelay relay(store->get());
  auto sink = connectors::KafkaMessageSink::Open((*broker)->bootstrap(), relay.DeliveryHandler());
  ASSERT_TRUE(sink.ok()) << sink.status().message();
  relay.Start(std::move(*sink));
  EXPECT_TRUE(relay.WaitIdle(std::chrono::seconds(30)));
  relay.Stop(std::chrono::seconds(5));

  auto got = connectors::ReadTopic((*broker)->bootstrap(), "convene.tasks.housing",
                                   std::chrono::seconds(10));
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(*got, (std::vector<std::string>{"first", "third"}));
  EXPECT_EQ(relay.damaged(), 1u);
  EXPECT_EQ(relay.delivered(), 2u);
  auto kept = (*store)->Get(Family::kOutbox, EncodeU64(2));
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->has_value()) << "the damaged entry was deleted";
  EXPECT_FALSE((*store)->Get(Family::kOutbox, EncodeU64(1))->has_value());
}

}  // namespace
}  // namespace convene::engine
