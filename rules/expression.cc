#include "rules/expression.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <variant>

#include <re2/re2.h>

namespace convene::rules {

struct Expr {
  enum class Kind { kLiteral, kPath, kList, kNot, kAnd, kOr, kCompare, kCall };
  Kind kind = Kind::kLiteral;
  int column = 1;
  Value literal;
  std::vector<std::string> path;  // kPath: with root; kCall distinct/exists: the path argument
  std::string op;                 // kCompare: operator; kCall: function name
  std::vector<std::unique_ptr<Expr>> children;
  // Compiled arguments of calls.
  TypeFilter types;
  Duration window;
  std::string case_type;
  std::shared_ptr<const RE2> regex;
  // count/distinct named arguments: only events for which `where` holds, and
  // only those sharing a value of `same` (below "event") with the current one.
  std::unique_ptr<Expr> where;
  std::vector<std::string> same;
  // What the expression is known to yield before any event is seen: a
  // literal's or a function's type; unknown (empty) for paths.
  std::string static_type;
};

namespace {

// A rule's regular expression, compiled by RE2: matching is linear in the
// text whatever the pattern, so no event can stall the engine on it (SPEC 6).
// Memory for the compiled program is bounded; errors are reported, not logged.
std::shared_ptr<const RE2> CompileRegex(const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(8 << 20);
  return std::make_shared<const RE2>(pattern, options);
}

struct Token {
  enum class Kind { kEnd, kIdent, kNumber, kString, kOp, kKeyword };
  Kind kind = Kind::kEnd;
  std::string text;
  int column = 1;
};

struct ParseFailure {
  ExpressionError error;
};

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

const std::set<std::string, std::less<>> kKeywords = {"and", "or", "not", "in",
                                                      "true", "false", "null"};
const std::set<std::string, std::less<>> kCaseFields = {
    "id", "type", "stage", "opened_at", "flags", "risk", "subjects", "status", "events"};

std::vector<Token> Lex(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  auto fail = [&](size_t at, std::string message) {
    throw ParseFailure{{static_cast<int>(at) + 1, std::move(message)}};
  };
  while (i < text.size()) {
    char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    Token t;
    t.column = static_cast<int>(i) + 1;
    if (IsIdentStart(c)) {
      size_t start = i;
      while (i < text.size() && IsIdentChar(text[i])) ++i;
      t.text = std::string(text.substr(start, i - start));
      t.kind = kKeywords.count(t.text) ? Token::Kind::kKeyword : Token::Kind::kIdent;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '-' && i + 1 < text.size() &&
                std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
      size_t start = i++;
      while (i < text.size() &&
             (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
        ++i;
      }
      t.kind = Token::Kind::kNumber;
      t.text = std::string(text.substr(start, i - start));
    } else if (c == '"' || c == '\'') {
      size_t start = i++;
      std::string s;
      while (i < text.size() && text[i] != c) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        s += text[i++];
      }
      if (i >= text.size()) fail(start, "this string is never closed: add the closing " +
                                            std::string(1, c));
      ++i;
      t.kind = Token::Kind::kString;
      t.text = std::move(s);
    } else {
      static const char* kOps[] = {"==", "!=", "<=", ">=", "<", ">", "(", ")", "[", "]", ",", ".",
                                   ":"};
      bool matched = false;
      for (const char* op : kOps) {
        std::string_view o(op);
        if (text.substr(i, o.size()) == o) {
          t.kind = Token::Kind::kOp;
          t.text = std::string(o);
          i += o.size();
          matched = true;
          break;
        }
      }
      if (!matched) {
        if (c == '=') fail(i, "'=' is not an operator here: did you mean '=='?");
        if (c == '&' || c == '|') fail(i, "use 'and' / 'or' instead of '" + std::string(1, c) + "'");
        if (c == '!') fail(i, "use 'not' or '!=' instead of '!'");
        fail(i, std::string("unexpected character '") + c + "'");
      }
    }
    tokens.push_back(std::move(t));
  }
  Token end;
  end.column = static_cast<int>(text.size()) + 1;
  tokens.push_back(end);
  return tokens;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  // What a rule's condition may hold: far more than any policy needs, and
  // little enough that parsing, checking and evaluating (all recursive)
  // stay well inside the stack, whatever a file holds.
  static constexpr size_t kMaxTokens = 1000;
  static constexpr int kMaxNesting = 64;

  std::unique_ptr<Expr> ParseAll() {
    if (tokens_.size() > kMaxTokens + 1) {  // the end is a token too
      Fail(tokens_[kMaxTokens], "the expression has over " + std::to_string(kMaxTokens) +
                                    " parts: split it into several rules");
    }
    auto e = ParseOr();
    if (Peek().kind != Token::Kind::kEnd) {
      Fail(Peek(), "unexpected '" + Peek().text + "': expected 'and', 'or' or the end");
    }
    return e;
  }

 private:
  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Next() { return tokens_[pos_++]; }
  bool IsOp(std::string_view op) const {
    return Peek().kind == Token::Kind::kOp && Peek().text == op;
  }
  bool IsKeyword(std::string_view k) const {
    return Peek().kind == Token::Kind::kKeyword && Peek().text == k;
  }
  [[noreturn]] void Fail(const Token& t, std::string message) {
    throw ParseFailure{{t.column, std::move(message)}};
  }
  void Expect(std::string_view op) {
    if (!IsOp(op)) {
      Fail(Peek(), "expected '" + std::string(op) + "'" +
                       (Peek().kind == Token::Kind::kEnd ? " before the end"
                                                         : ", found '" + Peek().text + "'"));
    }
    ++pos_;
  }

  std::unique_ptr<Expr> Binary(Expr::Kind kind, int column, std::unique_ptr<Expr> a,
                               std::unique_ptr<Expr> b) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->column = column;
    e->children.push_back(std::move(a));
    e->children.push_back(std::move(b));
    return e;
  }

  std::unique_ptr<Expr> ParseOr() {
    auto left = ParseAnd();
    while (IsKeyword("or")) {
      int col = Next().column;
      left = Binary(Expr::Kind::kOr, col, std::move(left), ParseAnd());
    }
    return left;
  }
  std::unique_ptr<Expr> ParseAnd() {
    auto left = ParseNot();
    while (IsKeyword("and")) {
      int col = Next().column;
      left = Binary(Expr::Kind::kAnd, col, std::move(left), ParseNot());
    }
    return left;
  }
  // Counts one level of nesting while alive.
  class Nested {
   public:
    Nested(Parser* p, const Token& at) : p_(p) {
      if (++p_->depth_ > kMaxNesting) {
        p_->Fail(at, "nested more than " + std::to_string(kMaxNesting) + " levels deep");
      }
    }
    ~Nested() { --p_->depth_; }

   private:
    Parser* p_;
  };

  std::unique_ptr<Expr> ParseNot() {
    if (IsKeyword("not")) {
      Nested level(this, Peek());
      auto e = std::make_unique<Expr>();
      e->kind = Expr::Kind::kNot;
      e->column = Next().column;
      e->children.push_back(ParseNot());
      return e;
    }
    return ParseCompare();
  }
  std::unique_ptr<Expr> ParseCompare() {
    auto left = ParsePrimary();
    static const char* kCompareOps[] = {"==", "!=", "<=", ">=", "<", ">"};
    for (const char* op : kCompareOps) {
      if (IsOp(op)) {
        int col = Next().column;
        auto e = Binary(Expr::Kind::kCompare, col, std::move(left), ParsePrimary());
        e->op = op;
        CheckTypes(*e);
        return e;
      }
    }
    if (IsKeyword("in")) {
      int col = Next().column;
      auto e = Binary(Expr::Kind::kCompare, col, std::move(left), ParsePrimary());
      e->op = "in";
      CheckTypes(*e);
      return e;
    }
    return left;
  }

  std::unique_ptr<Expr> ParsePrimary() {
    const Token& t = Peek();
    auto e = std::make_unique<Expr>();
    e->column = t.column;
    switch (t.kind) {
      case Token::Kind::kEnd:
        Fail(t, "the expression ends too early: a value is missing here");
      case Token::Kind::kNumber: {
        double d = 0;
        auto r = std::from_chars(t.text.data(), t.text.data() + t.text.size(), d);
        if (r.ec != std::errc() || r.ptr != t.text.data() + t.text.size()) {
          Fail(t, "'" + t.text + "' is not a number");
        }
        e->literal = Value(d);
        ++pos_;
        return e;
      }
      case Token::Kind::kString:
        e->literal = Value(t.text);
        ++pos_;
        return e;
      case Token::Kind::kKeyword:
        if (t.text == "true" || t.text == "false") {
          e->literal = Value(t.text == "true");
        } else if (t.text != "null") {
          Fail(t, "'" + t.text + "' cannot start a value");
        }
        ++pos_;
        return e;
      case Token::Kind::kOp:
        if (t.text == "(") {
          Nested level(this, t);
          ++pos_;
          auto inner = ParseOr();
          Expect(")");
          return inner;
        }
        if (t.text == "[") {
          Nested level(this, t);
          ++pos_;
          e->kind = Expr::Kind::kList;
          if (!IsOp("]")) {
            e->children.push_back(ParseOr());
            while (IsOp(",")) {
              ++pos_;
              e->children.push_back(ParseOr());
            }
          }
          Expect("]");
          return e;
        }
        Fail(t, "unexpected '" + t.text + "': expected a value, a path or a function");
      case Token::Kind::kIdent:
        break;
    }
    std::string name = Next().text;
    if (IsOp("(")) {
      Nested level(this, Peek());
      ++pos_;
      e->kind = Expr::Kind::kCall;
      e->op = name;
      if (!IsOp(")")) {
        Argument(*e);
        while (IsOp(",")) {
          ++pos_;
          Argument(*e);
        }
      }
      Expect(")");
      CheckCall(*e);
      return e;
    }
    e->kind = Expr::Kind::kPath;
    e->path.push_back(name);
    while (IsOp(".")) {
      ++pos_;
      if (Peek().kind != Token::Kind::kIdent && Peek().kind != Token::Kind::kKeyword) {
        Fail(Peek(), "expected a name after '.'");
      }
      e->path.push_back(Next().text);
    }
    CheckPath(*e, e->path, e->column);
    return e;
  }

  static std::string TypeOf(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        if (e.literal.is_number()) return "a number";
        if (e.literal.is_string()) return "text";
        if (e.literal.is_bool()) return "true/false";
        return "null";
      case Expr::Kind::kList:
        return "a list";
      case Expr::Kind::kNot:
      case Expr::Kind::kAnd:
      case Expr::Kind::kOr:
      case Expr::Kind::kCompare:
        return "true/false";
      case Expr::Kind::kCall:
        if (e.op == "count" || e.op == "distinct" || e.op == "prior_cases" ||
            e.op == "days_since") {
          return "a number";
        }
        return "true/false";
      case Expr::Kind::kPath:
        return TypeOfPath(e.path);
    }
    return "";
  }

  // The type SPEC 3 gives a path's value (event.data.yes_count is a number),
  // or "" when it is known only when an event arrives. Text fields are left
  // out: text that is a number compares as one.
  static std::string TypeOfPath(const std::vector<std::string>& path) {
    static const std::map<std::string, std::string> kEventData = {
        {"yes_count", "a number"},          {"police_callouts_12m", "a number"},
        {"visible_high_risk", "true/false"}, {"power_of_arrest", "true/false"},
        {"granted", "true/false"},           {"consent", "true/false"}};
    if (path.size() == 3 && path[0] == "event" && path[1] == "data") {
      auto it = kEventData.find(path[2]);
      if (it != kEventData.end()) return it->second;
    }
    return "";
  }

  // Type errors that can be seen before any event: comparing a count with
  // text, ordering true/false, `in` with a number on the right.
  void CheckTypes(const Expr& e) {
    std::string a = TypeOf(*e.children[0]), b = TypeOf(*e.children[1]);
    Token at;
    at.column = e.column;
    if (e.op == "in") {
      if (b == "a number" || b == "true/false") {
        Fail(at, "'in' needs a list (or text) on its right, not " + b);
      }
      return;
    }
    bool ordering = e.op != "==" && e.op != "!=";
    for (const auto& t : {a, b}) {
      if (ordering && (t == "true/false" || t == "a list")) {
        Fail(at, "'" + e.op + "' cannot order " + t + ": use == or !=");
      }
    }
    if (a.empty() || b.empty() || a == "null" || b == "null" || a == b) return;
    if ((a == "a number" && b == "text") || (a == "text" && b == "a number")) {
      Fail(at, "this compares a number with text: write numbers without quotes");
    }
    Fail(at, "this compares " + a + " with " + b + ", which is never true");
  }

  void CheckPath(const Expr&, const std::vector<std::string>& path, int column) {
    Token at;
    at.column = column;
    if (path[0] != "event" && path[0] != "case") {
      Fail(at, "unknown name '" + path[0] + "': paths start with 'event.' or 'case.'" +
                   (path[0] == "events" ? " (did you mean 'event'?)" : ""));
    }
    if (path[0] == "case" && path.size() == 1) {
      Fail(at, "'case' alone is not a value: name a field, e.g. case.stage");
    }
  }

  std::vector<std::string> PathOf(const Expr& arg, const char* function) {
    if (arg.kind == Expr::Kind::kPath) return arg.path;
    if (arg.kind == Expr::Kind::kLiteral && arg.literal.is_string()) {
      std::vector<std::string> path;
      std::string_view s = arg.literal.as_string();
      size_t start = 0;
      while (true) {
        size_t dot = s.find('.', start);
        path.emplace_back(s.substr(start, dot == std::string_view::npos ? dot : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
      }
      CheckPath(arg, path, arg.column);
      return path;
    }
    Token at;
    at.column = arg.column;
    Fail(at, std::string(function) + " needs a path here, e.g. \"event.data.incident_ref\"");
  }

  TypeFilter TypesOf(const Expr& arg, const char* function) {
    std::vector<std::string> types;
    if (arg.kind == Expr::Kind::kLiteral && arg.literal.is_string()) {
      types.push_back(arg.literal.as_string());
    } else if (arg.kind == Expr::Kind::kList) {
      for (const auto& item : arg.children) {
        if (item->kind != Expr::Kind::kLiteral || !item->literal.is_string()) {
          Token at;
          at.column = item->column;
          Fail(at, std::string(function) + ": event types are quoted strings");
        }
        types.push_back(item->literal.as_string());
      }
    } else {
      Token at;
      at.column = arg.column;
      Fail(at, std::string(function) +
                   " needs event types first: a string like \"asb.report\" or a list of them");
    }
    return TypeFilter(std::move(types));
  }

  Duration WindowOf(const Expr& arg, const char* function) {
    Token at;
    at.column = arg.column;
    if (arg.kind != Expr::Kind::kLiteral || !arg.literal.is_string()) {
      Fail(at, std::string(function) + " needs a window, a quoted duration like \"6mo\"");
    }
    auto d = ParseDuration(arg.literal.as_string());
    if (!d.ok()) Fail(at, d.status().message());
    if (d->kind == Duration::Kind::kWorkingDays || d->kind == Duration::Kind::kOpenTime) {
      Fail(at, "a window is elapsed time (h, d, w, mo, y), not working days");
    }
    return *d;
  }

  // A positional argument, or a named one (`where: EXPR`, `same: PATH`) of
  // count() and distinct(), which come after the positional ones.
  void Argument(Expr& call) {
    const bool named = Peek().kind == Token::Kind::kIdent && pos_ + 1 < tokens_.size() &&
                       tokens_[pos_ + 1].kind == Token::Kind::kOp && tokens_[pos_ + 1].text == ":";
    if (!named) {
      if (call.where || !call.same.empty()) {
        Fail(Peek(), "the named arguments (where:, same:) come after the others");
      }
      call.children.push_back(ParseOr());
      return;
    }
    const Token& name = Next();
    ++pos_;  // ':'
    if (call.op != "count" && call.op != "distinct") {
      Fail(name, call.op + " takes no named arguments: where: and same: are for count and distinct");
    }
    if (name.text == "where") {
      if (call.where) Fail(name, "where: is given twice");
      in_where_ = true;
      call.where = ParseOr();
      in_where_ = false;
    } else if (name.text == "same") {
      if (!call.same.empty()) Fail(name, "same: is given twice");
      auto arg = ParseOr();
      call.same = PathOf(*arg, "same");
      if (call.same.size() < 2 || call.same[0] != "event") {
        Fail(name, "same: names a path of the events, e.g. same: \"event.subjects.perpetrator\"");
      }
    } else {
      Fail(name, "unknown named argument '" + name.text + "': count and distinct take where: and same:");
    }
  }

  void CheckArity(const Expr& e, size_t n, const char* usage) {
    if (e.children.size() != n) {
      Token at;
      at.column = e.column;
      Fail(at, e.op + " takes " + std::to_string(n) + " argument" + (n == 1 ? "" : "s") +
                   ": " + usage);
    }
  }

  void CheckCall(Expr& e) {
    const std::string& f = e.op;
    if ((f == "count" || f == "distinct" || f == "prior_cases") && in_where_) {
      Token at;
      at.column = e.column;
      Fail(at, f + " cannot be used inside where: (it counts the case's events, not one)");
    }
    if (f == "count") {
      CheckArity(e, 2, "count(types, window)");
      e.types = TypesOf(*e.children[0], "count");
      e.window = WindowOf(*e.children[1], "count");
    } else if (f == "distinct") {
      CheckArity(e, 3, "distinct(types, path, window)");
      e.types = TypesOf(*e.children[0], "distinct");
      e.path = PathOf(*e.children[1], "distinct");
      if (e.path[0] != "event") {
        Token at;
        at.column = e.children[1]->column;
        Fail(at, "distinct counts values of earlier events: the path starts with 'event.'");
      }
      e.path.erase(e.path.begin());
      e.window = WindowOf(*e.children[2], "distinct");
    } else if (f == "prior_cases") {
      CheckArity(e, 2, "prior_cases(case_type, window)");
      const Expr& arg = *e.children[0];
      if (arg.kind != Expr::Kind::kLiteral || !arg.literal.is_string()) {
        Token at;
        at.column = arg.column;
        Fail(at, "prior_cases needs a case type in quotes, e.g. \"dv\"");
      }
      e.case_type = arg.literal.as_string();
      e.window = WindowOf(*e.children[1], "prior_cases");
    } else if (f == "exists") {
      CheckArity(e, 1, "exists(path)");
      e.path = PathOf(*e.children[0], "exists");
    } else if (f == "contains") {
      CheckArity(e, 2, "contains(list_or_text, value)");
    } else if (f == "matches") {
      CheckArity(e, 2, "matches(text, regex)");
      const Expr& arg = *e.children[1];
      Token at;
      at.column = arg.column;
      if (arg.kind != Expr::Kind::kLiteral || !arg.literal.is_string()) {
        Fail(at, "matches needs a quoted regular expression as its second argument");
      }
      {
        e.regex = CompileRegex(arg.literal.as_string());
        if (!e.regex->ok()) {
          // RE2 names the fragment it could not read; point at it when the
          // pattern is written without escapes (the usual case).
          size_t pos = arg.literal.as_string().find(e.regex->error_arg());
          if (!e.regex->error_arg().empty() && pos != std::string::npos && pos > 0) {
            at.column = arg.column + 1 + static_cast<int>(pos);
          }
          Fail(at, "bad regular expression: " + e.regex->error() +
                       " (RE2 syntax: no backreferences or lookaround)");
        }
      }
    } else if (f == "days_since") {
      CheckArity(e, 1, "days_since(time)");
    } else {
      Token at;
      at.column = e.column;
      Fail(at, "unknown function '" + f +
                   "': use count, distinct, prior_cases, exists, contains, matches or days_since");
    }
  }

  bool in_where_ = false;
  int depth_ = 0;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

// Applies `test` to a scalar pair; when `a` is a list, true if any element passes.
template <typename Fn>
bool AnyOf(const Value& a, const Value& b, Fn test) {
  if (a.is_list() && !b.is_list()) {
    for (const auto& item : a.as_list()) {
      if (test(item, b)) return true;
    }
    return false;
  }
  return test(a, b);
}

// Text that is a whole decimal number ("15", " -2.5 "), as that number: an
// age a system sent as "15" is 15 to `event.data.age < 18`, as an officer
// means it. Other text ("15 years", "0x0f", "") is not a number.
std::optional<double> NumberInText(const Value& v) {
  if (!v.is_string()) return std::nullopt;
  std::string_view s = v.as_string();
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  size_t digits = 0, dots = 0;
  for (size_t j = i; j < s.size(); ++j) {
    if (s[j] >= '0' && s[j] <= '9') {
      ++digits;
    } else if (s[j] == '.' && dots == 0 && digits > 0 && j + 1 < s.size()) {
      ++dots;
    } else {
      return std::nullopt;
    }
  }
  if (digits == 0 || digits > 15) return std::nullopt;
  return std::strtod(std::string(s).c_str(), nullptr);
}

// A number beside text that is a number: both as numbers.
bool AsNumbers(const Value& a, const Value& b, double* x, double* y) {
  if (a.is_number() && b.is_number()) {
    *x = a.as_number();
    *y = b.as_number();
    return true;
  }
  if (a.is_number() || b.is_number()) {
    std::optional<double> n = NumberInText(a.is_number() ? b : a);
    if (!n) return false;
    *x = a.is_number() ? a.as_number() : *n;
    *y = b.is_number() ? b.as_number() : *n;
    return true;
  }
  return false;
}

bool Equal(const Value& a, const Value& b) {
  double x, y;
  if (a.is_number() != b.is_number() && AsNumbers(a, b, &x, &y)) return x == y;
  return a == b;
}

bool Order(const Value& a, const Value& b, const std::string& op) {
  int cmp;
  double x, y;
  if (AsNumbers(a, b, &x, &y)) {
    cmp = x < y ? -1 : (x > y ? 1 : 0);
  } else if (a.is_string() && b.is_string()) {
    cmp = a.as_string().compare(b.as_string());
  } else {
    return false;  // null, or types that do not order
  }
  if (op == "<") return cmp < 0;
  if (op == "<=") return cmp <= 0;
  if (op == ">") return cmp > 0;
  return cmp >= 0;
}

bool Member(const Value& a, const Value& list) {
  if (list.is_list()) {
    for (const auto& item : list.as_list()) {
      if (Equal(item, a)) return true;
    }
    return false;
  }
  if (list.is_string() && a.is_string()) {
    return list.as_string().find(a.as_string()) != std::string::npos;
  }
  return false;
}

// Whether two values (each a value or a list of them, as event.subjects.ROLE
// is) have one in common.
bool SharesAValue(const Value& a, const Value& b) {
  auto items = [](const Value& v) {
    std::vector<std::string> out;
    if (v.is_list()) {
      for (const auto& item : v.as_list()) out.push_back(item.ToText());
    } else if (!v.is_null()) {
      out.push_back(v.ToText());
    }
    return out;
  };
  std::vector<std::string> x = items(a), y = items(b);
  for (const auto& s : x) {
    if (std::find(y.begin(), y.end(), s) != y.end()) return true;
  }
  return false;
}

Value Eval(const Expr& e, const EvalContext& ctx) {
  switch (e.kind) {
    case Expr::Kind::kLiteral:
      return e.literal;
    case Expr::Kind::kPath:
      return ctx.Resolve(e.path);
    case Expr::Kind::kList: {
      Value::List list;
      for (const auto& c : e.children) list.push_back(Eval(*c, ctx));
      return Value(std::move(list));
    }
    case Expr::Kind::kNot:
      return Value(!Eval(*e.children[0], ctx).Truthy());
    case Expr::Kind::kAnd:
      return Value(Eval(*e.children[0], ctx).Truthy() && Eval(*e.children[1], ctx).Truthy());
    case Expr::Kind::kOr:
      return Value(Eval(*e.children[0], ctx).Truthy() || Eval(*e.children[1], ctx).Truthy());
    case Expr::Kind::kCompare: {
      Value a = Eval(*e.children[0], ctx);
      Value b = Eval(*e.children[1], ctx);
      if (e.op == "==") return Value(AnyOf(a, b, Equal));
      if (e.op == "!=") {
        if (a.is_null() || b.is_null()) return Value(!(a == b));
        return Value(!AnyOf(a, b, Equal));
      }
      if (e.op == "in") {
        if (a.is_list()) {
          for (const auto& item : a.as_list()) {
            if (Member(item, b)) return Value(true);
          }
          return Value(false);
        }
        return Value(Member(a, b));
      }
      return Value(AnyOf(a, b, [&](const Value& x, const Value& y) { return Order(x, y, e.op); }));
    }
    case Expr::Kind::kCall:
      break;
  }
  const std::string& f = e.op;
  TimeMs now = ctx.Now();
  if ((f == "count" || f == "distinct") && (e.where || !e.same.empty())) {
    const Value mine = e.same.empty() ? Value() : ctx.Resolve(e.same);
    if (!e.same.empty() && (mine.is_null() || (mine.is_list() && mine.as_list().empty()))) {
      return Value(int64_t{0});  // nothing to share
    }
    std::vector<std::string> counted_path = {"event"};
    counted_path.insert(counted_path.end(), e.path.begin(), e.path.end());
    int64_t n = 0;
    std::set<std::string> values;
    ctx.ForEachEvent(e.types, e.window.Before(now, ctx.calendars()), now,
                     [&](const EvalContext& counted) {
                       if (!e.same.empty() && !SharesAValue(mine, counted.Resolve(e.same))) return;
                       if (e.where && !Eval(*e.where, counted).Truthy()) return;
                       if (f == "count") {
                         ++n;
                         return;
                       }
                       Value v = counted.Resolve(counted_path);
                       if (v.is_list()) {
                         for (const auto& item : v.as_list()) values.insert(item.ToText());
                       } else if (!v.is_null()) {
                         values.insert(v.ToText());
                       }
                     });
    return Value(f == "count" ? n : static_cast<int64_t>(values.size()));
  }
  if (f == "count") {
    return Value(ctx.Count(e.types, e.window.Before(now, ctx.calendars()), now));
  }
  if (f == "distinct") {
    return Value(ctx.Distinct(e.types, e.path, e.window.Before(now, ctx.calendars()), now));
  }
  if (f == "prior_cases") {
    return Value(ctx.PriorCases(e.case_type, e.window.Before(now, ctx.calendars()), now));
  }
  if (f == "exists") {
    Value v = ctx.Resolve(e.path);
    return Value(!v.is_null() && !(v.is_list() && v.as_list().empty()));
  }
  if (f == "contains") {
    Value a = Eval(*e.children[0], ctx);
    Value b = Eval(*e.children[1], ctx);
    return Value(Member(b, a));
  }
  if (f == "matches") {
    Value a = Eval(*e.children[0], ctx);
    if (!a.is_string()) return Value(false);
    return Value(RE2::PartialMatch(a.as_string(), *e.regex));
  }
  if (f == "days_since") {
    Value a = Eval(*e.children[0], ctx);
    if (!a.is_string()) return Value();
    auto t = ParseRfc3339(a.as_string());
    if (!t) t = ParseDate(a.as_string());
    if (!t) return Value();
    return Value(std::floor(static_cast<double>(now - *t) / kMsPerDay));
  }
  return Value();
}

}  // namespace

bool TypeFilter::Matches(std::string_view type) const {
  for (const auto& p : patterns_) {
    if (p == "*" || p == type) return true;
    if (!p.empty() && p.back() == '*' &&
        type.substr(0, p.size() - 1) == std::string_view(p).substr(0, p.size() - 1)) {
      return true;
    }
  }
  return false;
}

std::string ExpressionError::Render(std::string_view text) const {
  std::string out(text);
  out += '\n';
  out += std::string(column > 1 ? column - 1 : 0, ' ');
  out += '^';
  return out;
}

Expression::Expression(std::string text, std::unique_ptr<Expr> root)
    : text_(std::move(text)), root_(std::move(root)) {}
Expression::~Expression() = default;
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;

std::variant<Expression, ExpressionError> Expression::Parse(std::string_view text) {
  try {
    Parser parser(Lex(text));
    return Expression(std::string(text), parser.ParseAll());
  } catch (const ParseFailure& f) {
    return f.error;
  }
}

Value Expression::Evaluate(const EvalContext& context) const { return Eval(*root_, context); }

void Expression::CollectDistinctPaths(std::vector<std::vector<std::string>>* out) const {
  std::vector<const Expr*> stack = {root_.get()};
  while (!stack.empty()) {
    const Expr* e = stack.back();
    stack.pop_back();
    if (e->kind == Expr::Kind::kCall && e->op == "distinct" &&
        std::find(out->begin(), out->end(), e->path) == out->end()) {
      out->push_back(e->path);
    }
    for (const auto& c : e->children) stack.push_back(c.get());
  }
}

void Expression::CollectWindowPaths(std::vector<std::vector<std::string>>* out) const {
  auto add = [out](const std::vector<std::string>& path) {
    if (!path.empty() && path[0] == "event" &&
        std::find(out->begin(), out->end(), path) == out->end()) {
      out->push_back(path);
    }
  };
  std::vector<const Expr*> stack = {root_.get()};
  while (!stack.empty()) {
    const Expr* e = stack.back();
    stack.pop_back();
    if (e->kind == Expr::Kind::kCall && (e->op == "count" || e->op == "distinct") &&
        (e->where || !e->same.empty())) {
      add(e->same);
      if (e->op == "distinct") {
        std::vector<std::string> counted = {"event"};
        counted.insert(counted.end(), e->path.begin(), e->path.end());
        add(counted);
      }
      // What the where: condition reads of the counted event.
      std::vector<const Expr*> where;
      if (e->where) where.push_back(e->where.get());
      while (!where.empty()) {
        const Expr* w = where.back();
        where.pop_back();
        if (w->kind == Expr::Kind::kPath || (w->kind == Expr::Kind::kCall && w->op == "exists")) {
          add(w->path);
        }
        for (const auto& c : w->children) where.push_back(c.get());
      }
    }
    for (const auto& c : e->children) stack.push_back(c.get());
  }
}

void Expression::CollectNames(std::vector<NameUse>* out) const {
  std::vector<const Expr*> stack = {root_.get()};
  auto literal = [&](const std::vector<std::string>& path, const Expr& e) {
    if (e.kind == Expr::Kind::kLiteral && e.literal.is_string()) {
      out->push_back({path, e.literal.as_string(), e.column});
    } else if (e.kind == Expr::Kind::kList) {
      for (const auto& item : e.children) {
        if (item->kind == Expr::Kind::kLiteral && item->literal.is_string()) {
          out->push_back({path, item->literal.as_string(), item->column});
        }
      }
    }
  };
  while (!stack.empty()) {
    const Expr* e = stack.back();
    stack.pop_back();
    if (e->kind == Expr::Kind::kCompare && (e->op == "==" || e->op == "!=" || e->op == "in")) {
      const Expr& a = *e->children[0];
      const Expr& b = *e->children[1];
      if (a.kind == Expr::Kind::kPath) literal(a.path, b);
      if (b.kind == Expr::Kind::kPath && e->op != "in") literal(b.path, a);
    }
    if (e->kind == Expr::Kind::kCall && (e->op == "count" || e->op == "distinct") &&
        !e->children.empty()) {
      literal({}, *e->children[0]);
    }
    for (const auto& c : e->children) stack.push_back(c.get());
  }
}

}  // namespace convene::rules
