#include "engine/meeting_book.h"

#include "engine/store_keys.h"
#include "rules/json.h"

namespace convene::engine {

Result<MeetingBook::Meeting*> MeetingBook::Get(std::string_view panel, TimeMs start) {
  std::string key = AgendaKey(panel, start);
  if (auto it = held_.find(key); it != held_.end()) return &it->second;
  Meeting m;
  std::string prefix = AgendaIndexKey(key, "");
  Status s = store_->PrefixScan(Family::kIndexes, prefix, [&](std::string_view k, std::string_view) {
    m.cases.emplace(k.substr(prefix.size()));
    return true;
  });
  if (!s.ok()) return s;
  auto state = store_->Get(Family::kIndexes, MeetingStateKey(key));
  if (!state.ok()) return state.status();
  if (state->has_value()) {
    rapidjson::Document d;
    d.Parse((*state)->data(), (*state)->size());
    if (!d.IsObject()) {
      return Status::Corruption("meeting " + std::string(panel) + "@" + FormatRfc3339(start) +
                                ": its record is not a JSON object");
    }
    m.agenda_sent = json::GetBool(d, "agenda_sent");
    m.ended = json::GetBool(d, "ended");
    m.not_held = json::GetString(d, "not_held");
  }
  m.recorded = !m.cases.empty() || state->has_value();
  return &held_.emplace(std::move(key), std::move(m)).first->second;
}

void MeetingBook::Seat(rocksdb::WriteBatch* batch, std::string_view panel, TimeMs start,
                       Meeting* m, const std::string& id) {
  m->cases.insert(id);
  m->recorded = true;
  batch->Put(store_->handle(Family::kIndexes), AgendaIndexKey(AgendaKey(panel, start), id), "");
}

void MeetingBook::Save(rocksdb::WriteBatch* batch, std::string_view panel, TimeMs start,
                       Meeting* m) {
  m->recorded = true;
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::Key(w, "agenda_sent");
  w.Bool(m->agenda_sent);
  json::Key(w, "ended");
  w.Bool(m->ended);
  json::Field(w, "not_held", m->not_held);
  w.EndObject();
  batch->Put(store_->handle(Family::kIndexes), MeetingStateKey(AgendaKey(panel, start)),
             std::string(buf.GetString(), buf.GetSize()));
}

void MeetingBook::SaveHeld(rocksdb::WriteBatch* batch, std::string_view panel, TimeMs start,
                           const std::string& record) {
  batch->Put(store_->handle(Family::kIndexes), HeldIndexKey(AgendaKey(panel, start)), record);
}

}  // namespace convene::engine
