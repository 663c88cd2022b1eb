#include "rewrite/empty_bound.h"

#include <algorithm>
#include <string>

#include "rewrite/bounds.h"

namespace blueshift::rewrite {
namespace {

bool is_number(const Value& v) {
  return v.kind == Value::Kind::Constant && v.numeric && !v.array && !v.text.empty() &&
         v.text.find_first_not_of("0123456789.-") == std::string::npos;
}

bool all_numbers(const std::vector<Value>& values) {
  return !values.empty() && std::all_of(values.begin(), values.end(), is_number);
}

// The numbers an And of atoms allows: one interval, narrowed by each limit and equality.
class Interval {
 public:
  void lower(const std::string& v, bool open) {
    if (!lo_ || compare_values(v, *lo_) > 0 || (compare_values(v, *lo_) == 0 && open)) {
      lo_ = v;
      lo_open_ = open;
    }
  }
  void upper(const std::string& v, bool open) {
    if (!hi_ || compare_values(v, *hi_) < 0 || (compare_values(v, *hi_) == 0 && open)) {
      hi_ = v;
      hi_open_ = open;
    }
  }
  [[nodiscard]] bool contains(const std::string& v) const {
    if (lo_) {
      const int c = compare_values(v, *lo_);
      if (c < 0 || (c == 0 && lo_open_)) return false;
    }
    if (hi_) {
      const int c = compare_values(v, *hi_);
      if (c > 0 || (c == 0 && hi_open_)) return false;
    }
    return true;
  }
  [[nodiscard]] bool empty() const {
    if (!lo_ || !hi_) return false;
    const int c = compare_values(*lo_, *hi_);
    return c > 0 || (c == 0 && (lo_open_ || hi_open_));
  }

 private:
  std::optional<std::string> lo_, hi_;
  bool lo_open_ = false, hi_open_ = false;
};

bool empty_conjunction(const std::vector<Bound>& parts) {
  Interval range;
  std::vector<const std::vector<Value>*> lists;  // IN lists: some element must be in range
  for (const Bound& b : parts) {
    if (b.op == Bound::Op::Or || b.op == Bound::Op::False || b.op == Bound::Op::And) {
      if (is_empty(b)) return true;
      continue;
    }
    if (!all_numbers(b.values)) continue;  // says nothing provable: as if absent
    const std::string& v = b.values[0].text;
    switch (b.op) {
      case Bound::Op::Eq: range.lower(v, false); range.upper(v, false); break;
      case Bound::Op::In: lists.push_back(&b.values); break;
      case Bound::Op::Lt: range.upper(v, true); break;
      case Bound::Op::Le: range.upper(v, false); break;
      case Bound::Op::Gt: range.lower(v, true); break;
      case Bound::Op::Ge: range.lower(v, false); break;
      case Bound::Op::Between:
        if (b.values.size() == 2) {
          range.lower(v, false);
          range.upper(b.values[1].text, false);
        }
        break;
      default: break;
    }
  }
  if (range.empty()) return true;
  return std::any_of(lists.begin(), lists.end(), [&](const std::vector<Value>* list) {
    return std::none_of(list->begin(), list->end(), [&](const Value& x) { return range.contains(x.text); });
  });
}

}  // namespace

bool is_empty(const Bound& b) {
  switch (b.op) {
    case Bound::Op::False: return true;
    case Bound::Op::In: return b.values.empty();
    case Bound::Op::Or:
      return std::all_of(b.children.begin(), b.children.end(), [](const Bound& c) { return is_empty(c); });
    case Bound::Op::And: return empty_conjunction(b.children);
    default: return false;
  }
}

}  // namespace blueshift::rewrite
