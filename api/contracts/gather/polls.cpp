// gather's polls (/api/v1/voting/...): polls of gatherings, started and
// answered by their participants, with tallies kept by the read model (never
// recounted per request) and results with percentages and a winner.
#include "api/contracts/gather/common.hpp"
#include "api/contracts/gather/routes.hpp"
#include "api/time_format.hpp"

namespace almanac::api::gather {

namespace {

using Poll = proj::PollView;

struct OptionIn {
  std::string text;
};

struct PollIn {
  std::string title;
  std::string description;
  int64_t event = 0;
  std::vector<OptionIn> options;
  std::optional<ParsedTime> ends_at;
  bool multiple_choice = false;
};

const Model<OptionIn>& option_in() {
  static const Model<OptionIn> m =
      Model<OptionIn>("PollOption").field("text", &OptionIn::text, text().min_length(1).max_length(200));
  return m;
}

const Model<PollIn>& poll_in() {
  static const Model<PollIn> m =
      Model<PollIn>("VoteCreate")
          .field("title", &PollIn::title, text().min_length(1).max_length(200))
          .field("description", &PollIn::description, text().optional())
          .field("event", &PollIn::event, integer().greater_than(0))
          .field("options", &PollIn::options, list_of(nested(option_in())).min_length(2).max_length(20))
          .field("ends_at", &PollIn::ends_at, date_time().optional())
          .field("multiple_choice", &PollIn::multiple_choice, boolean().optional(false));
  return m;
}

struct Ballot {
  std::vector<int64_t> options;
};

const Model<Ballot>& ballot() {
  static const Model<Ballot> m =
      Model<Ballot>("VoteCast").field("options", &Ballot::options, list_of(integer().greater_than(0)).min_length(1));
  return m;
}

const char* status_name(const Poll& p) { return p.status == proj::PollStatus::kEnded ? "ended" : "active"; }

json event_ref(const Exchange& ex, int64_t event_id, bool with_date) {
  auto e = ex.service.models().event(event_id);
  json j = {{"id", event_id}, {"title", e ? json(e->title) : json(nullptr)}};
  if (with_date) j["date"] = e ? json(format_utc(e->start)) : json(nullptr);
  return j;
}

json head(const Exchange& ex, const Poll& p, bool event_date) {
  return {{"id", p.id},
          {"title", p.title},
          {"description", p.description},
          {"status", status_name(p)},
          {"event", event_ref(ex, p.event_id, event_date)},
          {"creator", user_json(ex, p.creator_id, UserFields::kName)}};
}

// The caller's ballot: the first option they chose and when (multiple choice
// adds every option chosen); null when they have not voted.
json user_vote(const Poll& p) {
  if (p.my_choices.empty()) return nullptr;
  json v = {{"option_id", p.my_choices.front()}, {"voted_at", utc_or_null(p.my_voted_at)}};
  if (p.multiple_choice) v["option_ids"] = p.my_choices;
  return v;
}

json created_json(const Exchange& ex, const Poll& p) {
  json j = head(ex, p, false);
  json options = json::array();
  for (const proj::PollOptionView& o : p.options)
    options.push_back({{"id", o.id}, {"text", o.text}, {"vote_count", o.vote_count}});
  j["options"] = std::move(options);
  j["total_votes"] = p.total_votes;
  j["ends_at"] = utc_or_null(p.ends_at);
  j["multiple_choice"] = p.multiple_choice;
  j["created_at"] = format_utc(p.created_at);
  return j;
}

json detail_json(const Exchange& ex, const Poll& p) {
  json j = head(ex, p, true);
  json options = json::array();
  for (const proj::PollOptionView& o : p.options)
    options.push_back({{"id", o.id}, {"text", o.text}, {"vote_count", o.vote_count}, {"percentage", o.percentage}});
  j["options"] = std::move(options);
  j["total_votes"] = p.total_votes;
  j["user_voted"] = !p.my_choices.empty();
  j["user_vote"] = user_vote(p);
  j["ends_at"] = utc_or_null(p.ends_at);
  j["multiple_choice"] = p.multiple_choice;
  j["created_at"] = format_utc(p.created_at);
  return j;
}

json poll_schema(bool detail) {
  json option = {{"type", "object"},
                 {"properties", {{"id", schema::integer()}, {"text", schema::string()}, {"vote_count", schema::integer()}}}};
  if (detail) option["properties"]["percentage"] = schema::number();
  json s = {{"title", "Vote"},
            {"type", "object"},
            {"properties",
             {{"id", schema::integer()},
              {"title", schema::string()},
              {"description", schema::string()},
              {"status", schema::enumeration({"active", "ended"})},
              {"event", {{"type", "object"}}},
              {"creator", user_schema(UserFields::kName)},
              {"options", schema::array(std::move(option))},
              {"total_votes", schema::integer()},
              {"ends_at", schema::nullable(schema::string("date-time"))},
              {"multiple_choice", schema::boolean()},
              {"created_at", schema::string("date-time")}}}};
  if (detail) {
    s["properties"]["user_voted"] = schema::boolean();
    s["properties"]["user_vote"] = schema::nullable({{"type", "object"}});
  }
  return s;
}

json results_schema() {
  return {{"title", "VoteResults"},
          {"type", "object"},
          {"properties",
           {{"id", schema::integer()},
            {"title", schema::string()},
            {"status", schema::enumeration({"active", "ended"})},
            {"total_votes", schema::integer()},
            {"results", schema::array({{"type", "object"},
                                       {"properties",
                                        {{"option_id", schema::integer()},
                                         {"text", schema::string()},
                                         {"vote_count", schema::integer()},
                                         {"percentage", schema::number()}}}})},
            {"ends_at", schema::nullable(schema::string("date-time"))},
            {"winner", schema::nullable({{"type", "object"}})}}}};
}

// ---- handlers -----------------------------------------------------------------------

net::awaitable<Response> list_polls(Exchange& ex) {
  static const Spec<int64_t> kId = Spec<int64_t>(ids()).optional();
  static const Spec<proj::PollStatus> kStatus =
      one_of<proj::PollStatus>({{"active", proj::PollStatus::kActive}, {"ended", proj::PollStatus::kEnded}}).optional();
  auto page = page_of(ex);
  if (!page) co_return invalid_page(ex);
  Input in(ex);
  auto event = in.query("event", kId);
  auto status = in.query("status", kStatus);
  auto creator = in.query("creator", kId);
  if (auto refused = in.refusal()) co_return std::move(*refused);
  proj::PollQuery q;
  q.event_id = event;
  q.status = status;
  q.creator_id = creator;
  q.participant = ex.user().user_id;
  q.now = ex.service.clock().now_us();
  q.viewer = ex.user().user_id;
  q.skip = page->skip();
  q.limit = page->size;
  proj::Page<Poll> found = ex.service.models().polls(q);
  json results = json::array();
  for (const Poll& p : found.items) results.push_back(poll_json(ex, p));
  co_return paged(ex, *page, found.total, std::move(results));
}

net::awaitable<Response> create_poll(Exchange& ex) {
  Input in(ex);
  PollIn body = in.body(poll_in());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!gathering(ex, body.event)) {
    Problem p = Problem::because({"body", "event"}, "Invalid pk \"" + std::to_string(body.event) + "\" - object does not exist.");
    co_return refuse(ex, ex.dialect().invalid(std::vector<Problem>{std::move(p)}));
  }
  cmd::CreatePoll command;
  ev::PollCreatedT& p = command.poll;
  p.event_id = body.event;
  p.title = body.title;
  p.description = body.description;
  for (OptionIn& o : body.options) p.option_texts.push_back(std::move(o.text));
  p.has_ends_at = body.ends_at.has_value();
  p.ends_at = body.ends_at ? body.ends_at->us : 0;
  p.multiple_choice = body.multiple_choice;
  cmd::CommandResult r = co_await submit(ex, command);
  if (!r.status) co_return fail(ex, r.status);
  auto view = visible_poll(ex, created_id(r));
  if (!view) co_return fail(ex, not_found("Vote not found"));
  co_return with_etag(reply(ex, http::status::created, created_json(ex, *view)), view->version);
}

net::awaitable<Response> get_poll(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto p = visible_poll(ex, id);
  if (!p) co_return fail(ex, not_found("Vote not found"));
  co_return with_etag(reply(ex, http::status::ok, detail_json(ex, *p)), p->version);
}

net::awaitable<Response> cast_vote(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("id", ids());
  Ballot body = in.body(ballot());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!visible_poll(ex, id)) co_return fail(ex, not_found("Vote not found"));
  cmd::CastBallot command{id, body.options};
  cmd::CommandResult r = co_await submit(ex, command);
  if (!r.status) co_return fail(ex, r.status);
  auto p = visible_poll(ex, id);
  if (!p) co_return fail(ex, not_found("Vote not found"));
  co_return reply(ex, http::status::ok,
                  {{"message", "Vote cast successfully"},
                   {"vote", {{"id", p->id}, {"title", p->title}, {"user_vote", user_vote(*p)}, {"total_votes", p->total_votes}}}});
}

net::awaitable<Response> results(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto p = visible_poll(ex, id);
  if (!p) co_return fail(ex, not_found("Vote not found"));
  co_return with_etag(reply(ex, http::status::ok, results_json(*p)), p->version);
}

}  // namespace

json poll_json(const Exchange& ex, const Poll& p) {
  json j = head(ex, p, false);
  j["total_votes"] = p.total_votes;
  j["ends_at"] = utc_or_null(p.ends_at);
  j["created_at"] = format_utc(p.created_at);
  return j;
}

json results_json(const Poll& p) {
  json list = json::array();
  json winner = nullptr;
  for (const proj::PollOptionView& o : p.options) {
    list.push_back({{"option_id", o.id}, {"text", o.text}, {"vote_count", o.vote_count}, {"percentage", o.percentage}});
    if (p.winner_option_id && *p.winner_option_id == o.id) winner = {{"option_id", o.id}, {"text", o.text}};
  }
  return {{"id", p.id},
          {"title", p.title},
          {"status", status_name(p)},
          {"total_votes", p.total_votes},
          {"results", std::move(list)},
          {"ends_at", utc_or_null(p.ends_at)},
          {"winner", std::move(winner)}};
}

void add_poll_routes(Routes& routes) {
  routes.get("/api/v1/voting/", list_polls)
      .summary("Polls of gatherings, paged")
      .query("page", integer().at_least(1))
      .query("page_size", integer().at_least(1).at_most(100))
      .query("event", integer())
      .query("status", schema::enumeration({"active", "ended"}))
      .query("creator", integer())
      .answers(200, paged_schema(poll_schema(false)));
  routes.post("/api/v1/voting/", create_poll)
      .summary("Start a poll in a gathering (its participants; 2 to 20 options)")
      .body(poll_in())
      .answers(201, poll_schema(false));
  routes.get("/api/v1/voting/{id:int}/", get_poll).summary("A poll with its tallies and the caller's ballot").answers(200, poll_schema(true));
  routes.post("/api/v1/voting/{id:int}/vote/", cast_vote)
      .summary("Vote (the gathering's participants, until the poll ends)")
      .body(ballot())
      .answers(200, json{{"type", "object"}});
  routes.get("/api/v1/voting/{id:int}/results/", results).summary("The tallies, percentages and winner").answers(200, results_schema());
}

}  // namespace almanac::api::gather
