#include "proxy/object_table.h"

#include <algorithm>

namespace blueshift::proxy {

uint64_t ObjectTable::request(std::string_view name, InfoPtr info, uint64_t batch) {
  const uint64_t ticket = next_ticket_++;
  if (!names_) names_ = std::make_unique<Names>();
  auto it = names_->find(name);
  if (it == names_->end()) {
    // Unknown so far: the server has nothing the proxy cares about under that name.
    it = names_->emplace(std::string(name), std::vector<Candidate>{Candidate{0, 0, true, nullptr}}).first;
  }
  it->second.push_back(Candidate{ticket, batch, false, std::move(info)});
  return ticket;
}

void ObjectTable::confirm(std::string_view name, uint64_t ticket) {
  if (!names_) return;
  auto it = names_->find(name);
  if (it == names_->end()) return;
  auto& list = it->second;
  const auto at = std::find_if(list.begin(), list.end(), [&](const Candidate& c) { return c.ticket == ticket; });
  if (at == list.end()) return;
  // Everything requested before it is superseded; what came after is still in flight.
  at->confirmed = true;
  list.erase(list.begin(), at);
  tidy(name);
}

void ObjectTable::fail(std::string_view name, uint64_t ticket) {
  if (!names_) return;
  auto it = names_->find(name);
  if (it == names_->end()) return;
  std::erase_if(it->second, [&](const Candidate& c) { return !c.confirmed && c.ticket == ticket; });
  tidy(name);
}

void ObjectTable::end_transaction(uint64_t batch) {
  if (!names_) return;
  std::vector<std::string> touched;
  for (auto& [name, list] : *names_) {
    // Confirmed ones are all from batches up to this one: replies arrive in order.
    std::erase_if(list, [&](const Candidate& c) { return c.confirmed || c.batch <= batch; });
    touched.push_back(name);
  }
  for (const auto& name : touched) tidy(name);
}

const std::vector<ObjectTable::Candidate>* ObjectTable::find(std::string_view name) const {
  if (empty()) return nullptr;  // ordinary traffic: nothing tracked
  const auto it = names_->find(name);
  return it == names_->end() ? nullptr : &it->second;
}

std::vector<std::string> ObjectTable::names() const {
  std::vector<std::string> out;
  if (!names_) return out;
  for (const auto& [name, list] : *names_) out.push_back(name);
  return out;
}

void ObjectTable::tidy(std::string_view name) {
  if (!names_) return;
  auto it = names_->find(name);
  if (it == names_->end()) return;
  if (it->second.empty() || !it->second.front().confirmed)
    it->second.insert(it->second.begin(), Candidate{0, 0, true, nullptr});
  if (it->second.size() == 1 && !it->second.front().info) names_->erase(it);
}

}  // namespace blueshift::proxy
