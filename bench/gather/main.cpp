// bench/gather: fills a data directory with public gatherings for the search
// benchmark (bench/gather/run.sh), through the writer as the server would
// append them, 1,000 commands in flight at a time.
//
// Usage: bench_gather --data DIR --owner ID --events N
//   Appends N gatherings owned by user ID (who must exist) to the log in DIR.
//   Every event's title and description are drawn from fixed word lists, so
//   a word of the list matches a fixed share of them: "lantern" is in the
//   title of one event in 100 (and in no description). Dates spread over
//   2025-2027, one every few minutes.
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <vector>

#include "app/node.hpp"
#include "events/time.hpp"

using namespace almanac;
using Steady = std::chrono::steady_clock;

namespace {

constexpr const char* kUsage =
    "usage: bench_gather --data DIR --owner ID --events N\n"
    "  Appends N public gatherings owned by user ID to the log in DIR (no server\n"
    "  may hold it). One title in 100 holds the word \"lantern\".\n";

const char* const kWords[] = {"picnic", "hike",  "meetup",   "workshop", "concert", "market", "cleanup",
                              "supper", "vigil", "rehearsal", "reading", "match",   "swap",   "tour"};
const char* const kPlaces[] = {"park", "library", "harbour", "hall", "garden", "square", "pier"};

cmd::ScheduleEvent gathering(int64_t owner, uint64_t i) {
  namespace ef = event_field;
  cmd::ScheduleEvent c;
  ev::EventScheduledT& e = c.event;
  e.owner_id = owner;
  e.visibility = ev::Visibility::Public;
  const char* word = kWords[i % std::size(kWords)];
  const char* place = kPlaces[(i / 7) % std::size(kPlaces)];
  e.title = (i % 100 == 42 ? std::string("Lantern ") : std::string()) + word + " at the " + place + " #" +
            std::to_string(i);
  e.description = "A " + std::string(word) + " for neighbours; bring a friend to the " + place + ".";
  // 2025-01-01T00:00Z and one every 9 minutes: 100,000 events span about 21 months.
  e.start = 1'735'689'600'000'000 + static_cast<int64_t>(i) * 9 * 60 * 1'000'000;
  e.fields = ef::kTitle | ef::kStart | ef::kVisibility | ef::kDescription;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  int64_t owner = 0;
  uint64_t count = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_gather: %s needs a value\n%s", a.c_str(), kUsage);
      return 2;
    }
    if (a == "--data") dir = argv[++i];
    else if (a == "--owner") owner = std::stoll(argv[++i]);
    else if (a == "--events") count = std::stoull(argv[++i]);
    else {
      std::fprintf(stderr, "bench_gather: unknown option %s\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (dir.empty() || owner <= 0 || count == 0) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }

  app::NodeOptions o;
  o.data_dir = dir;
  o.create_if_missing = false;
  auto node = app::Node::open(o);
  if (!node) {
    std::fprintf(stderr, "bench_gather: cannot open %s: %s\n", dir.c_str(), node.status().to_string().c_str());
    return 1;
  }
  auto& writer = (*node)->start_writer();
  const auto t0 = Steady::now();
  uint64_t done = 0;
  while (done < count) {
    std::vector<std::future<cmd::CommandResult>> window;
    for (uint64_t i = done; i < count && window.size() < 1000; ++i) {
      cmd::CommandEnvelope env;
      env.command = gathering(owner, i);
      env.actor_id = owner;
      window.push_back(writer.submit(std::move(env)));
    }
    for (auto& f : window) {
      cmd::CommandResult r = f.get();
      if (!r.status) {
        std::fprintf(stderr, "bench_gather: refused: %s\n", r.status.to_string().c_str());
        return 1;
      }
    }
    done += window.size();
    if (done % 20000 == 0 || done == count)
      std::fprintf(stderr, "bench_gather: %s of %s gatherings\n", app::with_commas(done).c_str(),
                   app::with_commas(count).c_str());
  }
  if (Status s = (*node)->stop(); !s) {
    std::fprintf(stderr, "bench_gather: %s\n", s.to_string().c_str());
    return 1;
  }
  std::printf("bench_gather: %s gatherings in %.1f s\n", app::with_commas(count).c_str(),
              std::chrono::duration<double>(Steady::now() - t0).count());
  return 0;
}
