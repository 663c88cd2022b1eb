// A value replaced whole at run time (the configuration, the client TLS context) and read
// from every thread without a lock: one acquire load. Every value stored stays alive as long
// as the holder, so a reader may keep a reference to what it read (a session keeps the
// configuration it logged in with, and takes a newer one between statements). Reloads are rare and operator-driven; what they keep is small.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace blueshift::proxy {

template <typename T>
class Reloadable {
 public:
  Reloadable() = default;
  Reloadable(const Reloadable&) = delete;
  Reloadable& operator=(const Reloadable&) = delete;
  Reloadable& operator=(std::shared_ptr<T> value) {
    store(std::move(value));
    return *this;
  }
  Reloadable& operator=(std::unique_ptr<T> value) {
    store(std::shared_ptr<T>(std::move(value)));
    return *this;
  }

  // Readers see value from now on; null is a value too (no client TLS).
  void store(std::shared_ptr<T> value) {
    std::lock_guard lock(mutex_);
    T* raw = value.get();
    if (value) kept_.push_back(std::move(value));
    current_.store(raw, std::memory_order_release);
  }
  [[nodiscard]] T* get() const { return current_.load(std::memory_order_acquire); }
  T& operator*() const { return *get(); }
  T* operator->() const { return get(); }
  explicit operator bool() const { return get() != nullptr; }
  // The current value, shared (for holders that take ownership).
  [[nodiscard]] std::shared_ptr<T> shared() const {
    std::lock_guard lock(mutex_);
    T* raw = current_.load(std::memory_order_relaxed);
    for (const auto& kept : kept_) {
      if (kept.get() == raw) return kept;
    }
    return nullptr;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<T>> kept_;
  std::atomic<T*> current_{nullptr};
};

}  // namespace blueshift::proxy
