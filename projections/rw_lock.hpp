// A writer-preferring reader/writer lock for the read models.
//
// Many HTTP threads read while one writer applies batches. With a
// reader-preferring lock a steady stream of overlapping readers could keep the
// writer out indefinitely (and so delay every acknowledgement); here a waiting
// writer stops new readers from entering, so it gets in as soon as the
// current readers leave. Meets the SharedLockable requirements, so it works
// with std::shared_lock and std::unique_lock.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace almanac::proj {

class RwLock {
 public:
  void lock() {
    std::unique_lock<std::mutex> guard(mu_);
    ++writers_waiting_;
    writer_cv_.wait(guard, [this] { return !writer_active_ && readers_ == 0; });
    --writers_waiting_;
    writer_active_ = true;
  }
  void unlock() {
    {
      std::lock_guard<std::mutex> guard(mu_);
      writer_active_ = false;
    }
    writer_cv_.notify_one();
    reader_cv_.notify_all();
  }
  void lock_shared() {
    std::unique_lock<std::mutex> guard(mu_);
    reader_cv_.wait(guard, [this] { return !writer_active_ && writers_waiting_ == 0; });
    ++readers_;
  }
  void unlock_shared() {
    bool last = false;
    {
      std::lock_guard<std::mutex> guard(mu_);
      last = --readers_ == 0;
    }
    if (last) writer_cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable reader_cv_;
  std::condition_variable writer_cv_;
  // All guarded by mu_.
  size_t readers_ = 0;
  size_t writers_waiting_ = 0;
  bool writer_active_ = false;
};

}  // namespace almanac::proj
