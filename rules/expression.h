// Rule conditions (`when:`) and the `when:` of opened_by: parsed once when the
// configuration loads, into an immutable tree, then evaluated per event
// against an EvalContext. The grammar is SPEC section 4:
//
//   expr    := or
//   or      := and ("or" and)*
//   and     := not ("and" not)*
//   not     := "not" not | compare
//   compare := primary (("=="|"!="|"<"|"<="|">"|">="|"in") primary)?
//   primary := literal | path | call | "(" expr ")" | "[" [expr ("," expr)*] "]"
//
// Semantics: a missing path is null; ordering comparisons with null are
// false; `x == null` is true when x is missing; a list compared with a scalar
// is true when any element compares true. Compiled expressions are immutable
// and safe to evaluate from many threads.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rules/duration.h"
#include "rules/status.h"
#include "rules/value.h"

namespace convene::rules {

// Event-type patterns: "asb.report", "task.*", "*".
class TypeFilter {
 public:
  TypeFilter() = default;
  explicit TypeFilter(std::vector<std::string> patterns) : patterns_(std::move(patterns)) {}
  bool Matches(std::string_view type) const;
  const std::vector<std::string>& patterns() const { return patterns_; }

 private:
  std::vector<std::string> patterns_;
};

// What an expression can see. Implemented by the engine over a case and its
// history; called on the evaluating thread only.
class EvalContext {
 public:
  virtual ~EvalContext() = default;
  // A path with its root: {"event","data","category"}, {"case","stage"}.
  virtual Value Resolve(const std::vector<std::string>& path) const = 0;
  // Events of this case whose type matches, with occurred_at in (from, to].
  virtual int64_t Count(const TypeFilter& types, TimeMs from, TimeMs to) const = 0;
  // Distinct non-null values of `event_path` (below "event") among those events.
  virtual int64_t Distinct(const TypeFilter& types, const std::vector<std::string>& event_path,
                           TimeMs from, TimeMs to) const = 0;
  // For count()/distinct() with where: or same:: calls `fn` with each event of
  // this case whose type matches and whose occurred_at is in (from, to], as a
  // context in which event.* is that event (and case.* this case). A context
  // with no history (an opened_by condition) has no events.
  virtual void ForEachEvent(const TypeFilter& types, TimeMs from, TimeMs to,
                            const std::function<void(const EvalContext& counted)>& fn) const {
    (void)types, (void)from, (void)to, (void)fn;
  }
  // Other cases of `case_type` sharing a key with this case, opened in (from, to].
  virtual int64_t PriorCases(std::string_view case_type, TimeMs from, TimeMs to) const = 0;
  // Event time of the triggering event: windows end here.
  virtual TimeMs Now() const = 0;
  virtual const Calendars& calendars() const = 0;
};

struct Expr;

// A parse or check failure at a 1-based column of the expression text.
struct ExpressionError {
  int column = 1;
  std::string message;
  // The expression with a caret under the column, for people.
  std::string Render(std::string_view text) const;
};

class Expression {
 public:
  ~Expression();
  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;

  // Parses and checks `text`; on failure, the first error with its column.
  static std::variant<Expression, ExpressionError> Parse(std::string_view text);

  Value Evaluate(const EvalContext& context) const;
  bool Holds(const EvalContext& context) const { return Evaluate(context).Truthy(); }
  const std::string& text() const { return text_; }
  // The paths (below "event") this expression's distinct() calls read, so the
  // engine can keep those values with each case's timeline.
  void CollectDistinctPaths(std::vector<std::vector<std::string>>* out) const;
  // The paths (with their root, "event") that this expression's count() and
  // distinct() calls with where: or same: read of each past event, so the
  // engine can keep those values with each case's timeline rather than read
  // the past events again.
  void CollectWindowPaths(std::vector<std::vector<std::string>>* out) const;

  // For load-time checks of names a policy officer types: each text literal
  // compared with a path (`case.stage == "reportd"`, `case.stage in [...]`),
  // and each event type a count() or distinct() reads, with its column.
  struct NameUse {
    std::vector<std::string> path;  // the path compared with; empty for an event type
    std::string name;
    int column = 1;
  };
  void CollectNames(std::vector<NameUse>* out) const;

 private:
  Expression(std::string text, std::unique_ptr<Expr> root);
  std::string text_;
  std::unique_ptr<Expr> root_;
};

}  // namespace convene::rules
