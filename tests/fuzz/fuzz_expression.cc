// rules::Expression::Parse on arbitrary text (a rule's `when:`), and, when it
// parses, Evaluate against a small case: one event of the shipped samples,
// a few case fields and a short history (as tests/rules/expression_test.cc).
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "rules/event.h"
#include "rules/expression.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using convene::TimeMs;
using namespace convene::rules;

constexpr const char* kEvent =
    R"({"id":"police:STV/26/004301","type":"asb.report","occurred_at":"2026-09-02T22:20:00Z",)"
    R"("source":"police","subjects":[{"id":"person:P-71001","role":"perpetrator"},)"
    R"({"id":"person:R-71101","role":"reporter"}],)"
    R"("location":{"uprn":"100080004512","postcode":"SG2 9AB","ward":"Shephall"},)"
    R"("data":{"category":"nuisance","incident_ref":"STV/26/004301","yes_count":15,)"
    R"("note":"knife seen","reported":"2026-09-01"}})";

class Context : public EvalContext {
 public:
  Context() {
    auto e = ParseEvent(kEvent, [](std::string_view) { return true; });
    if (e.ok()) event_ = *e;
    now_ = event_ ? event_->occurred_at() : 0;
    case_["case.stage"] = Value(std::string("reported"));
    case_["case.type"] = Value(std::string("asb"));
    case_["case.risk"] = Value(std::string("high"));
    case_["case.opened_at"] = Value(std::string("2026-06-01T09:00:00Z"));
    case_["case.flags"] = Value(Value::List{Value(std::string("repeat"))});
    case_["case.events"] = Value(int64_t{3});
    history_ = {{"asb.report", now_ - 200 * convene::kMsPerDay, "A"},
                {"asb.report", now_ - 30 * convene::kMsPerDay, "B"},
                {"crime.report", now_ - convene::kMsPerDay, "C"},
                {"asb.report", now_, "STV/26/004301"}};
  }

  Value Resolve(const std::vector<std::string>& path) const override {
    if (!path.empty() && path[0] == "event" && event_) {
      return event_->Resolve(std::vector<std::string>(path.begin() + 1, path.end()));
    }
    std::string key;
    for (const auto& p : path) key += (key.empty() ? "" : ".") + p;
    auto it = case_.find(key);
    return it == case_.end() ? Value() : it->second;
  }
  int64_t Count(const TypeFilter& types, TimeMs from, TimeMs to) const override {
    int64_t n = 0;
    for (const auto& h : history_) n += types.Matches(h.type) && h.at > from && h.at <= to;
    return n;
  }
  int64_t Distinct(const TypeFilter& types, const std::vector<std::string>&, TimeMs from,
                   TimeMs to) const override {
    std::set<std::string> refs;
    for (const auto& h : history_) {
      if (types.Matches(h.type) && h.at > from && h.at <= to) refs.insert(h.ref);
    }
    return static_cast<int64_t>(refs.size());
  }
  int64_t PriorCases(std::string_view case_type, TimeMs from, TimeMs to) const override {
    return case_type == "dv" && from < now_ && now_ <= to ? 1 : 0;
  }
  TimeMs Now() const override { return now_; }
  const Calendars& calendars() const override { return calendars_; }

 private:
  struct Past {
    std::string type;
    TimeMs at;
    std::string ref;
  };
  std::shared_ptr<const Event> event_;
  TimeMs now_ = 0;
  std::map<std::string, Value> case_;
  std::vector<Past> history_;
  Calendars calendars_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Context* context = new Context();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = Expression::Parse(text);
  if (auto* error = std::get_if<ExpressionError>(&parsed)) {
    (void)error->Render(text);
    return 0;
  }
  const Expression& expression = std::get<Expression>(parsed);
  std::vector<std::vector<std::string>> paths;
  expression.CollectDistinctPaths(&paths);
  (void)expression.Evaluate(*context).ToText();
  (void)expression.Holds(*context);
  return 0;
}
