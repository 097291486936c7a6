// gather's tasks (/api/v1/tasks/...): the tasks of the gatherings a user
// takes part in, created by participants, assigned to one, changed and
// completed by their creator or assignee.
#include "api/contracts/gather/common.hpp"
#include "api/contracts/gather/routes.hpp"
#include "api/time_format.hpp"
#include "events/time.hpp"

namespace almanac::api::gather {

namespace {

namespace tf = task_field;
using Task = proj::TaskView;

const Spec<ev::TaskStatus>& statuses() {
  static const Spec<ev::TaskStatus> s = one_of<ev::TaskStatus>({{"pending", ev::TaskStatus::Pending},
                                                                {"in_progress", ev::TaskStatus::InProgress},
                                                                {"completed", ev::TaskStatus::Completed}});
  return s;
}

const Spec<ev::TaskPriority>& priorities() {
  static const Spec<ev::TaskPriority> s = one_of<ev::TaskPriority>(
      {{"low", ev::TaskPriority::Low}, {"medium", ev::TaskPriority::Medium}, {"high", ev::TaskPriority::High}});
  return s;
}

struct TaskIn {
  std::string title;
  Patch<std::string> description;
  int64_t event = 0;
  ev::TaskPriority priority = ev::TaskPriority::Medium;
  Patch<ParsedTime> due_date;
  Patch<int64_t> assignee;
};

const Model<TaskIn>& task_in() {
  static const Model<TaskIn> m = Model<TaskIn>("TaskCreate")
                                     .field("title", &TaskIn::title, text().min_length(1).max_length(200))
                                     .field("description", &TaskIn::description, text().nullable())
                                     .field("event", &TaskIn::event, integer().greater_than(0))
                                     .field("priority", &TaskIn::priority, Spec<ev::TaskPriority>(priorities()).optional("medium"))
                                     .field("due_date", &TaskIn::due_date, date_time().nullable())
                                     .field("assignee", &TaskIn::assignee, integer().greater_than(0).nullable());
  return m;
}

// PUT changes the fields it names.
struct TaskChange {
  std::optional<std::string> title;
  Patch<std::string> description;
  std::optional<ev::TaskStatus> status;
  std::optional<ev::TaskPriority> priority;
  Patch<ParsedTime> due_date;
  Patch<int64_t> assignee;
};

const Model<TaskChange>& task_change() {
  static const Model<TaskChange> m =
      Model<TaskChange>("TaskUpdate")
          .field("title", &TaskChange::title, text().min_length(1).max_length(200).optional())
          .field("description", &TaskChange::description, text().nullable())
          .field("status", &TaskChange::status, Spec<ev::TaskStatus>(statuses()).optional())
          .field("priority", &TaskChange::priority, Spec<ev::TaskPriority>(priorities()).optional())
          .field("due_date", &TaskChange::due_date, date_time().nullable())
          .field("assignee", &TaskChange::assignee, integer().greater_than(0).nullable());
  return m;
}

struct Assignment {
  int64_t assignee = 0;
};

const Model<Assignment>& assignment() {
  static const Model<Assignment> m =
      Model<Assignment>("TaskAssign").field("assignee", &Assignment::assignee, integer().greater_than(0));
  return m;
}

json event_ref(const Exchange& ex, int64_t event_id, bool with_date) {
  auto e = ex.service.models().event(event_id);
  json j = {{"id", event_id}, {"title", e ? json(e->title) : json(nullptr)}};
  if (with_date) j["date"] = e ? json(format_utc(e->start)) : json(nullptr);
  return j;
}

json assignee_of(const Exchange& ex, const Task& t, UserFields fields) {
  return t.assignee_id ? user_json(ex, *t.assignee_id, fields) : json(nullptr);
}

// The fields every answer about a task starts with.
json base(const Task& t) {
  return {{"id", t.id},
          {"title", t.title},
          {"description", t.description.value_or("")},
          {"status", task_status_name(t.status)},
          {"priority", task_priority_name(t.priority)},
          {"due_date", utc_or_null(t.due)}};
}

json created_json(const Exchange& ex, const Task& t) {
  json j = base(t);
  j["event"] = event_ref(ex, t.event_id, false);
  j["assignee"] = assignee_of(ex, t, UserFields::kName);
  j["creator"] = user_json(ex, t.creator_id, UserFields::kName);
  j["created_at"] = format_utc(t.created_at);
  return j;
}

json detail_json(const Exchange& ex, const Task& t) {
  json j = base(t);
  j["event"] = event_ref(ex, t.event_id, true);
  j["assignee"] = assignee_of(ex, t, UserFields::kWithEmail);
  j["creator"] = user_json(ex, t.creator_id, UserFields::kName);
  j["created_at"] = format_utc(t.created_at);
  j["updated_at"] = format_utc(t.updated_at);
  return j;
}

json updated_json(const Exchange& ex, const Task& t) {
  json j = base(t);
  j["event"] = event_ref(ex, t.event_id, false);
  j["assignee"] = assignee_of(ex, t, UserFields::kName);
  j["updated_at"] = format_utc(t.updated_at);
  return j;
}

json task_schema(bool detail) {
  json event = {{"type", "object"}, {"properties", {{"id", schema::integer()}, {"title", schema::string()}}}};
  if (detail) event["properties"]["date"] = schema::string("date-time");
  return {{"title", "Task"},
          {"type", "object"},
          {"properties",
           {{"id", schema::integer()},
            {"title", schema::string()},
            {"description", schema::string()},
            {"status", schema::enumeration({"pending", "in_progress", "completed"})},
            {"priority", schema::enumeration({"low", "medium", "high"})},
            {"due_date", schema::nullable(schema::string("date-time"))},
            {"event", std::move(event)},
            {"assignee", schema::nullable(user_schema(detail ? UserFields::kWithEmail : UserFields::kFull))},
            {"creator", user_schema(UserFields::kName)},
            {"created_at", schema::string("date-time")},
            {"updated_at", schema::string("date-time")}}}};
}

// Fills the TaskField bits and values of a nullable field.
template <typename V, typename Slot, typename Convert>
void patch(const Patch<V>& given, Slot& slot, uint32_t bit, uint32_t& fields, uint32_t& nulls, Convert convert) {
  if (!given.present()) return;
  fields |= bit;
  if (given.is_null())
    nulls |= bit;
  else
    slot = convert(given.value);
}

// ---- handlers -----------------------------------------------------------------------

net::awaitable<Response> list_tasks(Exchange& ex) {
  static const Spec<int64_t> kId = Spec<int64_t>(ids()).optional();
  static const Spec<ev::TaskStatus> kStatus = Spec<ev::TaskStatus>(statuses()).optional();
  static const Spec<int32_t> kDay = date().optional();
  auto page = page_of(ex);
  if (!page) co_return invalid_page(ex);
  Input in(ex);
  auto event = in.query("event", kId);
  auto assignee = in.query("assignee", kId);
  auto status = in.query("status", kStatus);
  auto from = in.query("due_date_from", kDay);
  auto to = in.query("due_date_to", kDay);
  if (auto refused = in.refusal()) co_return std::move(*refused);
  proj::TaskQuery q;
  q.participant = ex.user().user_id;
  q.event_id = event;
  q.assignee_id = assignee;
  q.status = status;
  if (from) q.due_from = int64_t{*from} * kMicrosPerDay;
  if (to) q.due_before = (int64_t{*to} + 1) * kMicrosPerDay;
  q.skip = page->skip();
  q.limit = page->size;
  proj::Page<Task> found = ex.service.models().tasks(q);
  json results = json::array();
  for (const Task& t : found.items) results.push_back(task_json(ex, t));
  co_return paged(ex, *page, found.total, std::move(results));
}

net::awaitable<Response> create_task(Exchange& ex) {
  Input in(ex);
  TaskIn body = in.body(task_in());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!gathering(ex, body.event)) {
    Problem p = Problem::because({"body", "event"}, "Invalid pk \"" + std::to_string(body.event) + "\" - object does not exist.");
    co_return refuse(ex, ex.dialect().invalid(std::vector<Problem>{std::move(p)}));
  }
  cmd::CreateTask command;
  ev::TaskCreatedT& t = command.task;
  t.event_id = body.event;
  t.title = body.title;
  t.priority = body.priority;
  t.fields = tf::kTitle | tf::kPriority;
  uint32_t nulls = 0;
  patch(body.description, t.description, tf::kDescription, t.fields, nulls, [](const std::string& s) { return s; });
  patch(body.due_date, t.due, tf::kDue, t.fields, nulls, [](const ParsedTime& p) { return p.us; });
  patch(body.assignee, t.assignee_id, tf::kAssignee, t.fields, nulls, [](int64_t id) { return id; });
  t.fields &= ~nulls;
  cmd::CommandResult r = co_await submit(ex, command);
  if (!r.status) co_return fail(ex, r.status);
  auto view = ex.service.models().task(created_id(r));
  if (!view) co_return fail(ex, not_found("Task not found"));
  co_return with_etag(reply(ex, http::status::created, created_json(ex, *view)), view->version);
}

net::awaitable<Response> get_task(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto t = visible_task(ex, id);
  if (!t) co_return fail(ex, not_found("Task not found"));
  co_return with_etag(reply(ex, http::status::ok, detail_json(ex, *t)), t->version);
}

net::awaitable<Response> update_task(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("id", ids());
  TaskChange body = in.body(task_change());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!visible_task(ex, id)) co_return fail(ex, not_found("Task not found"));
  cmd::UpdateTask command;
  command.task_id = id;
  ev::TaskUpdatedT& ch = command.changes;
  if (body.title) {
    ch.title = *body.title;
    ch.fields |= tf::kTitle;
  }
  if (body.status) {
    ch.status = *body.status;
    ch.fields |= tf::kStatus;
  }
  if (body.priority) {
    ch.priority = *body.priority;
    ch.fields |= tf::kPriority;
  }
  patch(body.description, ch.description, tf::kDescription, ch.fields, ch.nulls, [](const std::string& s) { return s; });
  patch(body.due_date, ch.due, tf::kDue, ch.fields, ch.nulls, [](const ParsedTime& p) { return p.us; });
  patch(body.assignee, ch.assignee_id, tf::kAssignee, ch.fields, ch.nulls, [](int64_t v) { return v; });
  cmd::CommandResult r = co_await submit(ex, command, true);
  if (!r.status) co_return fail(ex, r.status);
  auto t = ex.service.models().task(id);
  if (!t) co_return fail(ex, not_found("Task not found"));
  co_return with_etag(reply(ex, http::status::ok, updated_json(ex, *t)), t->version);
}

net::awaitable<Response> assign_task(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("id", ids());
  Assignment body = in.body(assignment());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!visible_task(ex, id)) co_return fail(ex, not_found("Task not found"));
  cmd::AssignTask command{id, body.assignee};
  cmd::CommandResult r = co_await submit(ex, command);
  if (!r.status) co_return fail(ex, r.status);
  auto t = ex.service.models().task(id);
  if (!t) co_return fail(ex, not_found("Task not found"));
  co_return reply(ex, http::status::ok,
                  {{"message", "Task assigned successfully"},
                   {"task", {{"id", t->id}, {"title", t->title}, {"assignee", assignee_of(ex, *t, UserFields::kName)}}}});
}

net::awaitable<Response> complete_task(Exchange& ex) {
  Input in(ex);
  const int64_t id = in.path("id", ids());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  if (!visible_task(ex, id)) co_return fail(ex, not_found("Task not found"));
  cmd::CompleteTask command{id};
  cmd::CommandResult r = co_await submit(ex, command);
  if (!r.status) co_return fail(ex, r.status);
  auto t = ex.service.models().task(id);
  if (!t) co_return fail(ex, not_found("Task not found"));
  co_return reply(ex, http::status::ok,
                  {{"message", "Task marked as completed"},
                   {"task",
                    {{"id", t->id},
                     {"title", t->title},
                     {"status", task_status_name(t->status)},
                     {"completed_at", utc_or_null(t->completed_at)}}}});
}

}  // namespace

const char* task_status_name(ev::TaskStatus status) {
  switch (status) {
    case ev::TaskStatus::InProgress: return "in_progress";
    case ev::TaskStatus::Completed: return "completed";
    default: return "pending";
  }
}

const char* task_priority_name(ev::TaskPriority priority) {
  switch (priority) {
    case ev::TaskPriority::Low: return "low";
    case ev::TaskPriority::High: return "high";
    default: return "medium";
  }
}

json task_json(const Exchange& ex, const Task& t) {
  json j = base(t);
  j["event"] = event_ref(ex, t.event_id, false);
  j["assignee"] = assignee_of(ex, t, UserFields::kFull);
  j["creator"] = user_json(ex, t.creator_id, UserFields::kName);
  j["created_at"] = format_utc(t.created_at);
  j["updated_at"] = format_utc(t.updated_at);
  return j;
}

void add_task_routes(Routes& routes) {
  routes.get("/api/v1/tasks/", list_tasks)
      .summary("The tasks of the gatherings the caller takes part in, paged")
      .query("page", integer().at_least(1))
      .query("page_size", integer().at_least(1).at_most(100))
      .query("event", integer())
      .query("assignee", integer())
      .query("status", statuses())
      .query("due_date_from", date())
      .query("due_date_to", date())
      .answers(200, paged_schema(task_schema(false)));
  routes.post("/api/v1/tasks/", create_task)
      .summary("Add a task to a gathering (its participants; the assignee takes part too)")
      .body(task_in())
      .answers(201, task_schema(false));
  routes.get("/api/v1/tasks/{id:int}/", get_task).summary("A task").answers(200, task_schema(true));
  routes.put("/api/v1/tasks/{id:int}/", update_task)
      .summary("Change a task (its creator or assignee)")
      .body(task_change())
      .answers(200, task_schema(false));
  routes.post("/api/v1/tasks/{id:int}/assign/", assign_task)
      .summary("Assign a task (the gathering's creator or the task's)")
      .body(assignment())
      .answers(200, json{{"type", "object"}});
  routes.post("/api/v1/tasks/{id:int}/complete/", complete_task)
      .summary("Complete a task (its assignee or creator)")
      .answers(200, json{{"type", "object"}});
}

}  // namespace almanac::api::gather
