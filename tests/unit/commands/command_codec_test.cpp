// The byte form of commands and results between the nodes of a cluster:
// every kind of command, with every field set, reads back as it was written;
// damaged or foreign bytes are refused.
#include <catch2/catch.hpp>

#include <utility>
#include <variant>

#include "commands/command_codec.hpp"

using namespace almanac;
using namespace almanac::cmd;

namespace {

// Gives every field of a command a value other than its default, so that a
// field the codec dropped or misplaced shows in the comparison.
struct Filler {
  int n = 0;
  void fill(int64_t& v) { v = 1000 + ++n; }
  void fill(uint64_t& v) { v = 2000 + ++n; }
  void fill(uint32_t& v) { v = 3000 + ++n; }
  void fill(bool& v) { v = true; }
  void fill(std::string& s) { s = "text-" + std::to_string(++n) + std::string("\0\xff", 2); }
  template <typename T>
  void fill(std::optional<T>& o) {
    T v{};
    fill(v);
    o = std::move(v);
  }
  void fill(std::vector<int64_t>& v) { v = {1, -2, 3 + ++n}; }
  template <typename E>
    requires std::is_enum_v<E>
  void fill(E& e) {
    e = static_cast<E>(1);
  }
  void fill(ev::EventScheduledT& e) {
    e.title = "scheduled " + std::to_string(++n);
    e.start = 1'700'000'000'000'000;
    e.owner_id = 4;
  }
  void fill(ev::EventUpdatedT& e) {
    e.fields = event_field::kTitle;
    e.title = "updated " + std::to_string(++n);
  }
  void fill(ev::TaskCreatedT& t) { t.title = "task " + std::to_string(++n); }
  void fill(ev::TaskUpdatedT& t) {
    t.fields = task_field::kTitle;
    t.title = "task update " + std::to_string(++n);
  }
  void fill(ev::PollCreatedT& p) {
    p.title = "poll " + std::to_string(++n);
    p.option_texts = {"a", "b"};
  }
  void fill(ev::InboxItemCapturedT& i) { i.content = "inbox " + std::to_string(++n); }
  void fill(ev::InboxItemUpdatedT& i) {
    i.fields = inbox_field::kContent;
    i.content = "inbox update " + std::to_string(++n);
  }
  // A struct of fields inside a command (a ScheduleEvent, an UpdateProfile).
  template <typename T>
    requires requires(T& t) { fields(t); }
  void fill(T& c) {
    std::apply([&](auto&... f) { (fill(f), ...); }, fields(c));
  }
  void fill(std::vector<ScheduleEvent>& v) {
    v.resize(2);
    for (auto& e : v) fill(e);
  }
};

template <size_t I>
CommandEnvelope filled() {
  std::variant_alternative_t<I, Command> c{};
  Filler f;
  std::apply([&](auto&... field) { (f.fill(field), ...); }, fields(c));
  CommandEnvelope e;
  e.command = std::move(c);
  e.actor_id = 77;
  e.correlation_id = "req-" + std::to_string(I);
  e.idempotency_key = "key-" + std::to_string(I);
  e.expected_version = 5;
  return e;
}

template <size_t I>
CommandEnvelope empty_of() {
  CommandEnvelope e;
  e.command = std::variant_alternative_t<I, Command>{};
  return e;
}

template <size_t... I>
void check_every_kind(std::index_sequence<I...>) {
  (
      [] {
        INFO("command kind " << I);
        const CommandEnvelope original = filled<I>();
        const std::string bytes = encode_command(original);
        auto decoded = decode_command(bytes);
        REQUIRE(decoded.is_ok());
        CHECK(decoded->command.index() == I);
        CHECK(decoded->actor_id == 77);
        CHECK(decoded->correlation_id == original.correlation_id);
        CHECK(decoded->idempotency_key == original.idempotency_key);
        CHECK(decoded->expected_version == std::optional<uint64_t>(5));
        // Every field came back: written again, the bytes are the same, and
        // they differ from a command of the same kind with no field set.
        CHECK(encode_command(*decoded) == bytes);
        CHECK(encode_command(empty_of<I>()) != encode_command(CommandEnvelope{original.command, 0, {}, {}, {}}));
        // Any shorter, the bytes do not read.
        CHECK_FALSE(decode_command(std::string_view(bytes).substr(0, bytes.size() - 1)).is_ok());
      }(),
      ...);
}

}  // namespace

TEST_CASE("every kind of command reads back with every field as written") {
  check_every_kind(std::make_index_sequence<std::variant_size_v<Command>>());

  // Spot checks of values, not only of bytes.
  CommandEnvelope c;
  c.command = RegisterUser{"ann", "ann@example.com", "$argon2id$h", "Ann", "Lee", "Ann Lee"};
  auto d = decode_command(encode_command(c));
  REQUIRE(d.is_ok());
  const auto& r = std::get<RegisterUser>(d->command);
  CHECK(r.username == "ann");
  CHECK(r.password_hash == "$argon2id$h");
  CHECK(r.full_name == "Ann Lee");
  CHECK_FALSE(d->expected_version.has_value());

  ScheduleEvents batch;
  batch.events.resize(2);
  batch.events[1].event.title = "second";
  batch.events[1].event.end = 42;
  batch.events[1].reject_conflicts = true;
  c.command = batch;
  d = decode_command(encode_command(c));
  REQUIRE(d.is_ok());
  const auto& events = std::get<ScheduleEvents>(d->command).events;
  REQUIRE(events.size() == 2);
  CHECK(events[1].event.title == "second");
  CHECK(events[1].event.end == 42);
  CHECK(events[1].reject_conflicts);
  CHECK_FALSE(events[0].reject_conflicts);
}

TEST_CASE("damaged and foreign command bytes are refused") {
  CommandEnvelope c;
  c.command = CastBallot{9, {1, 2}};
  std::string bytes = encode_command(c);
  CHECK(decode_command("").status().code() == Code::kInvalidArgument);
  CHECK(decode_command(bytes + "x").status().code() == Code::kInvalidArgument);
  std::string other_build = bytes;
  other_build[2] = static_cast<char>(other_build[2] + 1);  // another number of command kinds
  CHECK(decode_command(other_build).status().code() == Code::kFailedPrecondition);
  std::string unknown_kind = bytes;
  // The kind follows the header, the actor, two empty strings and no version.
  const size_t kind_at = 1 + 1 + 4 + 8 + 4 + 4 + 1;
  unknown_kind[kind_at] = static_cast<char>(200);
  CHECK(decode_command(unknown_kind).status().code() == Code::kInvalidArgument);
  std::string huge_list = bytes;
  huge_list[kind_at + 4 + 8] = static_cast<char>(0xff);  // the ballot's option count
  CHECK_FALSE(decode_command(huge_list).is_ok());
}

TEST_CASE("a result reads back with its status, reason, events and duplicate flag") {
  CommandResult ok;
  ok.duplicate = true;
  for (uint64_t p : {7, 8}) {
    Envelope e;
    e.position = p;
    e.category = Category::Calendar;
    e.stream_id = 3;
    e.version = p - 6;
    ev::CalendarCreatedT created;
    created.name = "cal " + std::to_string(p);
    e.payload.Set(std::move(created));
    ok.events.push_back(std::move(e));
  }
  auto back = decode_result(encode_result(ok));
  REQUIRE(back.is_ok());
  CHECK(back->status.is_ok());
  CHECK(back->duplicate);
  REQUIRE(back->events.size() == 2);
  CHECK(back->events[1].position == 8);
  CHECK(back->events[1].payload.AsCalendarCreated()->name == "cal 8");
  CHECK(encode(back->events[0]) == encode(ok.events[0]));

  CommandResult refused;
  refused.status = conflict("Calendar name taken", "name").because(Reason::kDuplicateCalendarName);
  back = decode_result(encode_result(refused));
  REQUIRE(back.is_ok());
  CHECK(back->status.code() == Code::kConflict);
  CHECK(back->status.message() == "Calendar name taken");
  CHECK(back->status.field() == "name");
  CHECK(back->status.reason() == Reason::kDuplicateCalendarName);
  CHECK(back->events.empty());
  CHECK_FALSE(decode_result(encode_result(refused).substr(1)).is_ok());
}
