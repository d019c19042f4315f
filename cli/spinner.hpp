// Spinner — a turning mark on stderr while the user waits for an answer's
// first token, so a slow model does not look like a hung weir.
//
// Drawn only when asked to (the caller decides: stderr is a terminal and the
// output is not --json); never when stderr is piped. The first frame is drawn
// at once, then one every 100 ms on its own thread. stop() erases it (the
// line is left empty, the cursor at its start) before returning, so what the
// caller prints next starts clean; it is idempotent and safe from any thread,
// and the destructor calls it.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

namespace weir::cli {

class Spinner {
 public:
  explicit Spinner(bool enabled);
  ~Spinner();
  Spinner(const Spinner&) = delete;
  Spinner& operator=(const Spinner&) = delete;

  void stop();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace weir::cli
