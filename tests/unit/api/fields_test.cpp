// Field tables: the readers, request models (required, optional, nullable,
// partial updates, rules), response shapes and their schemas.
#include <catch2/catch.hpp>

#include <limits>

#include "api/fields.hpp"

using namespace almanac;
using namespace almanac::api;

namespace {

// Reads `value` with `spec` at body.x; the problem (if any) through `problem`.
template <typename V>
std::optional<V> read(const Spec<V>& spec, const json& value, Problem* problem = nullptr, bool text = false) {
  std::vector<Problem> problems;
  auto v = spec.read(value, text, {"body", "x"}, problems);
  CHECK(problems.size() == (v ? 0u : 1u));
  if (problem && !problems.empty()) *problem = problems.front();
  return v;
}

struct Sample {
  std::string name;
  std::optional<std::string> color;
  Patch<std::string> note;
  bool flag = false;
  int64_t count = 0;
};

const Model<Sample>& sample() {
  static const Model<Sample> m = Model<Sample>("Sample")
                                     .field("name", &Sample::name, text().min_length(1).max_length(5))
                                     .field("color", &Sample::color, text().nullable())
                                     .field("note", &Sample::note, text().nullable())
                                     .field("flag", &Sample::flag, boolean().optional(false))
                                     .field("count", &Sample::count, integer().at_least(0).optional(0));
  return m;
}

}  // namespace

TEST_CASE("text reads strings and checks their length in characters") {
  CHECK(read(text(), "ada") == "ada");
  Problem p;
  CHECK_FALSE(read(text(), 5, &p));
  CHECK(p.kind == Problem::kType);
  CHECK(p.type == ValueType::kString);
  CHECK(p.loc == Loc{"body", "x"});
  CHECK(read(text().max_length(2), "éé") == "éé");  // two characters, four bytes
  CHECK_FALSE(read(text().max_length(2), "abc", &p));
  CHECK(p.kind == Problem::kTooLong);
  CHECK(p.bound == 2);
  CHECK_FALSE(read(text().min_length(1), "", &p));
  CHECK(p.kind == Problem::kTooShort);
}

TEST_CASE("integers read from JSON numbers and, for parameters, from text") {
  CHECK(read(integer(), 42) == 42);
  CHECK(read(integer(), "42", nullptr, true) == 42);
  CHECK(read(integer(), "-7", nullptr, true) == -7);
  Problem p;
  CHECK_FALSE(read(integer(), "4x", &p, true));
  CHECK(p.kind == Problem::kType);
  CHECK(p.text_input);
  CHECK_FALSE(read(integer(), 1.5, &p));
  CHECK_FALSE(p.text_input);
  // Beyond int64 an id names nothing: it saturates instead of failing.
  CHECK(read(integer(), "99999999999999999999", nullptr, true) == std::numeric_limits<int64_t>::max());
  CHECK_FALSE(read(integer().greater_than(0), "0", &p, true));
  CHECK(p.kind == Problem::kTooSmall);
  CHECK_FALSE(p.inclusive);
  CHECK_FALSE(read(integer().at_least(1).at_most(10), 11, &p));
  CHECK(p.kind == Problem::kTooBig);
  CHECK(p.bound == 10);
}

TEST_CASE("booleans, UUIDs, emails, dates and date-times") {
  CHECK(read(boolean(), true) == true);
  CHECK(read(boolean(), "false", nullptr, true) == false);
  CHECK_FALSE(read(boolean(), "maybe", nullptr, true));
  CHECK_FALSE(read(boolean(), "true"));  // a JSON string is not a boolean

  auto u = read(uuid(), "01234567-89AB-cdef-fedc-ba9876543210");
  REQUIRE(u);
  CHECK(format_uuid(*u) == "01234567-89ab-cdef-fedc-ba9876543210");
  CHECK_FALSE(read(uuid(), "01234567-89ab-cdef-fedc-ba987654321"));
  CHECK_FALSE(read(uuid(), "0123456789ab-cdef-fedc-ba9876543210-"));

  CHECK(read(email(), "a@example.com") == "a@example.com");
  Problem p;
  CHECK_FALSE(read(email(), "nope", &p));
  CHECK(p.type == ValueType::kEmail);
  CHECK_FALSE(read(email(), "a@b", &p));

  CHECK(read(date(), "1970-01-02") == 1);
  CHECK_FALSE(read(date(), "1970-13-02", &p));
  CHECK(p.type == ValueType::kDate);
  auto t = read(date_time(), "2024-03-20T10:00:00");
  REQUIRE(t);
  CHECK(t->naive);
  t = read(date_time(), "2024-03-20T10:00:00+01:00");
  REQUIRE(t);
  CHECK_FALSE(t->naive);
  CHECK(t->us == 1'710'925'200'000'000);
}

TEST_CASE("UUIDs render as 8-4-4-4-12 lower-case hex") {
  ev::Uuid u(0x0123456789abcdefULL, 0xfedcba9876543210ULL);
  CHECK(format_uuid(u) == "01234567-89ab-cdef-fedc-ba9876543210");
  CHECK(format_uuid(ev::Uuid(0, 1)) == "00000000-0000-0000-0000-000000000001");
  CHECK(parse_uuid("00000000-0000-0000-0000-000000000001")->lo() == 1);
}

TEST_CASE("objects are bounded by their encoded size, enums and lists name what they allow") {
  CHECK(read(object(64), json{{"k", "v"}}) == json{{"k", "v"}});
  Problem p;
  CHECK_FALSE(read(object(8), json{{"key", "a long value"}}, &p));
  CHECK(p.kind == Problem::kTooLarge);
  CHECK(p.bound == 8);
  CHECK_FALSE(read(object(64), json::array(), &p));
  CHECK(p.kind == Problem::kType);

  enum class Color { kRed, kBlue };
  auto colors = one_of<Color>({{"red", Color::kRed}, {"blue", Color::kBlue}});
  CHECK(read(colors, "blue") == Color::kBlue);
  CHECK_FALSE(read(colors, "green", &p));
  CHECK(p.kind == Problem::kNotAllowed);
  CHECK(p.allowed == std::vector<std::string>{"red", "blue"});
  CHECK(p.given == "green");
  CHECK(colors.schema()["enum"] == json::array({"red", "blue"}));

  auto numbers = list_of(integer().at_least(1)).min_length(1);
  CHECK(read(numbers, json::array({1, 2})) == std::vector<int64_t>{1, 2});
  CHECK_FALSE(read(numbers, json::array(), &p));
  CHECK(p.kind == Problem::kTooShort);
  // A bad item is located at its index.
  CHECK_FALSE(read(numbers, json::array({1, 0}), &p));
  CHECK(p.kind == Problem::kTooSmall);
  CHECK(p.loc == Loc{"body", "x", "1"});
}

TEST_CASE("a model reads every field and reports every problem at once") {
  std::vector<Problem> problems;
  Sample s = sample().read(json{{"name", "ada"}, {"color", nullptr}, {"note", nullptr}, {"count", 3}}, {"body"}, problems);
  CHECK(problems.empty());
  CHECK(s.name == "ada");
  CHECK_FALSE(s.color);
  CHECK(s.note.is_null());
  CHECK_FALSE(s.flag);
  CHECK(s.count == 3);

  s = sample().read(json{{"name", "ada"}, {"note", "hi"}}, {"body"}, problems);
  CHECK(s.note.has_value());
  CHECK(s.note.value == "hi");
  s = sample().read(json{{"name", "ada"}}, {"body"}, problems);
  CHECK_FALSE(s.note.present());
  CHECK(problems.empty());

  sample().read(json{{"color", 5}, {"flag", nullptr}, {"count", -1}}, {"body"}, problems);
  REQUIRE(problems.size() == 4);
  CHECK(problems[0].kind == Problem::kMissing);
  CHECK(problems[0].loc == Loc{"body", "name"});
  CHECK(problems[1].kind == Problem::kType);
  CHECK(problems[1].loc == Loc{"body", "color"});
  CHECK(problems[2].kind == Problem::kNull);  // flag is optional, not nullable
  CHECK(problems[3].kind == Problem::kTooSmall);
}

TEST_CASE("a model's rules run once its fields read cleanly") {
  auto m = Model<Sample>("Ruled")
               .field("name", &Sample::name, text())
               .rule([](const Sample& s, const Loc& base, std::vector<Problem>& problems) {
                 if (s.name == "root") problems.push_back(Problem::because(base, "reserved"));
               });
  std::vector<Problem> problems;
  m.read(json{{"name", "root"}}, {"body"}, problems);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].message == "reserved");
  problems.clear();
  m.read(json::object(), {"body"}, problems);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].kind == Problem::kMissing);
}

TEST_CASE("a model's schema names types, bounds, defaults and required members") {
  json s = sample().schema();
  CHECK(s["title"] == "Sample");
  CHECK(s["type"] == "object");
  CHECK(s["required"] == json::array({"name"}));
  CHECK(s["properties"]["name"] == json({{"type", "string"}, {"minLength", 1}, {"maxLength", 5}}));
  CHECK(s["properties"]["color"] == json({{"anyOf", json::array({{{"type", "string"}}, {{"type", "null"}}})}}));
  CHECK(s["properties"]["flag"] == json({{"type", "boolean"}, {"default", false}}));
  CHECK(s["properties"]["count"] == json({{"type", "integer"}, {"minimum", 0}, {"default", 0}}));
  CHECK_FALSE(Model<Sample>("Empty").schema().contains("required"));
}

TEST_CASE("a shape renders every field in order and documents them all as required") {
  struct View {
    int64_t id = 0;
    std::optional<std::string> color;
  };
  Shape<View> shape = Shape<View>("View")
                          .field("id", schema::integer(), [](const View& v) { return json(v.id); })
                          .field("color", schema::nullable(schema::string()),
                                 [](const View& v) { return v.color ? json(*v.color) : json(nullptr); });
  CHECK(shape.render(View{7, std::nullopt}).dump() == R"({"id":7,"color":null})");
  CHECK(shape.render_list({View{1, "red"}}).dump() == R"([{"id":1,"color":"red"}])");
  json s = shape.schema();
  CHECK(s["required"] == json::array({"id", "color"}));
  CHECK(s["properties"]["id"] == json({{"type", "integer"}}));
  CHECK(shape.list_schema()["type"] == "array");
}

TEST_CASE("comma_separated reads a list from one text, item by item") {
  const auto levels = comma_separated(integer().at_least(1).at_most(5));
  CHECK(read(levels, "1,3, 5", nullptr, true) == std::vector<int64_t>{1, 3, 5});
  CHECK(read(levels, " 2 ,,", nullptr, true) == std::vector<int64_t>{2});
  CHECK(read(levels, "", nullptr, true) == std::vector<int64_t>{});
  Problem p;
  CHECK_FALSE(read(levels, "1,9", &p, true));
  CHECK(p.kind == Problem::kTooBig);
  CHECK(p.bound == 5);
  CHECK(p.loc == Loc{"body", "x"});
  CHECK_FALSE(read(levels, "1,x", &p, true));
  CHECK(p.kind == Problem::kType);
  CHECK(p.type == ValueType::kInteger);

  const auto kinds = comma_separated(one_of<std::string>({{"TODO", "TODO"}, {"IDEA", "IDEA"}}));
  CHECK(read(kinds, "IDEA,TODO", nullptr, true) == std::vector<std::string>{"IDEA", "TODO"});
  CHECK_FALSE(read(kinds, "TODO,todo", &p, true));
  CHECK(p.kind == Problem::kNotAllowed);
  CHECK(p.given == "todo");
  CHECK_FALSE(read(kinds, 5, &p));
  CHECK(p.kind == Problem::kType);
  CHECK(kinds.schema()["type"] == "string");
}
