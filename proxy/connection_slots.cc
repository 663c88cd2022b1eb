// Connection places by phase; see connection_slots.h.
#include "proxy/connection_slots.h"

#include <utility>

namespace blueshift::proxy {

ConnectionSlots::Place::Place(Place&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), address_(std::move(other.address_)), refusal_(other.refusal_) {}

ConnectionSlots::Place& ConnectionSlots::Place::operator=(Place&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    address_ = std::move(other.address_);
    refusal_ = other.refusal_;
  }
  return *this;
}

void ConnectionSlots::Place::release() {
  if (owner_ == nullptr) return;
  std::exchange(owner_, nullptr)->give_back(address_, refusal_);
  address_ = std::string();
}

ConnectionSlots::Admission ConnectionSlots::admit(const std::string& address, const Limits& limits, Place* place) {
  place->release();  // before the lock: a release takes it
  std::lock_guard lock(mutex_);
  size_t& from_address = per_address_[address];
  Admission admission = Admission::Admit;
  if (unauthenticated_ >= limits.unauthenticated) admission = Admission::RefuseTotal;
  else if (from_address >= limits.unauthenticated_per_address) admission = Admission::RefuseAddress;
  if (admission != Admission::Admit && refusing_ >= limits.unauthenticated) admission = Admission::Close;
  if (admission == Admission::Close) {
    if (from_address == 0) per_address_.erase(address);
    return admission;
  }
  place->owner_ = this;
  place->refusal_ = admission != Admission::Admit;
  if (admission == Admission::Admit) {
    ++from_address;
    ++unauthenticated_;
    place->address_ = address;
  } else {
    if (from_address == 0) per_address_.erase(address);
    ++refusing_;
  }
  return admission;
}

void ConnectionSlots::give_back(const std::string& address, bool refusal) {
  std::lock_guard lock(mutex_);
  if (refusal) {
    --refusing_;
    return;
  }
  --unauthenticated_;
  const auto it = per_address_.find(address);
  if (--it->second == 0) per_address_.erase(it);
}

bool ConnectionSlots::enter_client(size_t max_client_connections) {
  std::lock_guard lock(mutex_);
  if (clients_ >= max_client_connections) return false;
  ++clients_;
  return true;
}

void ConnectionSlots::leave_client() {
  std::lock_guard lock(mutex_);
  --clients_;
}

size_t ConnectionSlots::unauthenticated() const {
  std::lock_guard lock(mutex_);
  return unauthenticated_;
}

size_t ConnectionSlots::unauthenticated_from(const std::string& address) const {
  std::lock_guard lock(mutex_);
  const auto it = per_address_.find(address);
  return it == per_address_.end() ? 0 : it->second;
}

size_t ConnectionSlots::refusing() const {
  std::lock_guard lock(mutex_);
  return refusing_;
}

size_t ConnectionSlots::clients() const {
  std::lock_guard lock(mutex_);
  return clients_;
}

}  // namespace blueshift::proxy
