#include "api/contracts/flowstate/inbox.hpp"

#include <variant>

#include "api/contracts/flowstate/models.hpp"
#include "api/handler.hpp"

namespace almanac::api::flowstate {

namespace {

std::optional<InboxOut> owned_item(const Exchange& ex, int64_t id) {
  auto item = ex.service.models().inbox_item(id);
  if (!item || item->owner_id != ex.user().user_id) return std::nullopt;
  const uint64_t version = item->version;
  return InboxOut{std::move(*item), caller_uuid(ex), version};
}

// Unknown and someone else's items read alike.
const Resource<InboxOut>& items() {
  static const Resource<InboxOut> r{inbox_response(), owned_item, "Inbox item not found or not owned"};
  return r;
}

const Resource<EventOut>& converted_events() {
  static const Resource<EventOut> r{converted_event_response(), owned_event, "Event not found"};
  return r;
}

const Spec<ev::Uuid>& item_id() {
  static const Spec<ev::Uuid> s = uuid();
  return s;
}

// The caller's item with `uuid`: its view, or the 404.
std::variant<proj::InboxItemView, Response> find_item(Exchange& ex, const ev::Uuid& uuid) {
  auto item = ex.service.models().inbox_item_by_uuid(uuid);
  if (!item || item->owner_id != ex.user().user_id) return no_such(ex, items());
  return std::move(*item);
}

// The dense ids of the caller's items among `uuids` (others are skipped:
// the command skips them too, this only spares it the unknown ones).
std::vector<int64_t> own_ids(const Exchange& ex, const std::vector<ev::Uuid>& uuids) {
  std::vector<int64_t> ids;
  for (const ev::Uuid& u : uuids) {
    auto item = ex.service.models().inbox_item_by_uuid(u);
    if (item && item->owner_id == ex.user().user_id) ids.push_back(item->id);
  }
  return ids;
}

net::awaitable<Response> create_item(Exchange& ex) {
  Input in(ex);
  InboxInput body = in.body(inbox_create());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  cmd::CaptureInboxItem command = capture_command(body);
  co_return co_await write(ex, command, items(), http::status::created);
}

net::awaitable<Response> list_items(Exchange& ex) {
  Input in(ex);
  const auto skip = in.query("skip", list_skip());
  const auto limit = in.query("limit", list_limit());
  const auto categories = in.query("categories", list_categories());
  const auto statuses = in.query("statuses", list_statuses());
  const auto priorities = in.query("priorities", list_priorities());
  const auto priority_min = in.query("priority_min", list_priority_bound());
  const auto priority_max = in.query("priority_max", list_priority_bound());
  const auto any_condition = in.query("filter_logic", list_any_condition());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  proj::InboxQuery q;
  q.owner_id = ex.user().user_id;
  if (categories) q.categories = *categories;
  if (statuses) q.statuses = *statuses;
  if (priorities)
    for (int64_t p : *priorities) q.priority_levels.push_back(static_cast<int32_t>(p));
  if (priority_min) q.priority_min = static_cast<int32_t>(*priority_min);
  if (priority_max) q.priority_max = static_cast<int32_t>(*priority_max);
  q.any_condition = any_condition.value_or(false);
  q.skip = static_cast<size_t>(skip.value_or(0));
  q.limit = static_cast<size_t>(limit.value_or(100));
  proj::Page<proj::InboxItemView> page = ex.service.models().inbox(q);
  const ev::Uuid me = caller_uuid(ex);
  json out = json::array();
  for (proj::InboxItemView& item : page.items) {
    const uint64_t version = item.version;
    out.push_back(inbox_response().render(InboxOut{std::move(item), me, version}));
  }
  co_return reply(ex, http::status::ok, out);
}

net::awaitable<Response> get_item(Exchange& ex) {
  Input in(ex);
  const ev::Uuid uuid = in.path("item_id", item_id());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto found = find_item(ex, uuid);
  if (auto* answer = std::get_if<Response>(&found)) co_return std::move(*answer);
  co_return show(ex, items(), std::get<proj::InboxItemView>(found).id);
}

net::awaitable<Response> update_item(Exchange& ex) {
  Input in(ex);
  const ev::Uuid uuid = in.path("item_id", item_id());
  InboxPatch body = in.body(inbox_update());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto found = find_item(ex, uuid);
  if (auto* answer = std::get_if<Response>(&found)) co_return std::move(*answer);
  const int64_t id = std::get<proj::InboxItemView>(found).id;
  cmd::UpdateInboxItem command = update_command(body, id);
  // A body naming no field changes nothing: the item as it is.
  if (command.changes.fields == 0) co_return show(ex, items(), id);
  co_return co_await write(ex, command, items(), http::status::ok, id);
}

net::awaitable<Response> delete_item(Exchange& ex) {
  Input in(ex);
  const ev::Uuid uuid = in.path("item_id", item_id());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto found = find_item(ex, uuid);
  if (auto* answer = std::get_if<Response>(&found)) co_return std::move(*answer);
  const int64_t id = std::get<proj::InboxItemView>(found).id;
  cmd::DeleteInboxItem command{id};
  co_return co_await write(ex, command, items(), http::status::no_content, id);
}

// Sets the status of the caller's items among `uuids`; answers how many,
// "<n> items <verb>".
net::awaitable<Response> set_status(Exchange& ex, const std::vector<ev::Uuid>& uuids, ev::InboxStatus status,
                                    const char* verb) {
  cmd::SetInboxItemsStatus command{own_ids(ex, uuids), status};
  size_t n = 0;
  // None of the caller's: nothing to append (a command must decide events).
  if (!command.item_ids.empty()) {
    cmd::CommandResult r = co_await submit(ex, command);
    if (!r.status) co_return fail(ex, r.status);
    n = r.events.size();
  }
  co_return reply(ex, http::status::ok, {{"message", std::to_string(n) + " items " + verb}});
}

net::awaitable<Response> bulk_status_update(Exchange& ex) {
  Input in(ex);
  BulkStatus body = in.body(bulk_status());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  co_return co_await set_status(ex, body.item_ids, body.new_status, "updated");
}

net::awaitable<Response> bulk_archive_items(Exchange& ex) {
  Input in(ex);
  BulkArchive body = in.body(bulk_archive());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  co_return co_await set_status(ex, body.item_ids, ev::InboxStatus::Archived, "archived");
}

net::awaitable<Response> convert_item(Exchange& ex) {
  Input in(ex);
  ConvertInput body = in.body(convert_to_event());
  if (auto refused = in.refusal()) co_return std::move(*refused);
  auto found = find_item(ex, body.item_id);
  if (auto* answer = std::get_if<Response>(&found)) co_return std::move(*answer);
  cmd::ScheduleInboxItem command = convert_command(body, std::get<proj::InboxItemView>(found));
  cmd::CommandResult r = co_await submit(ex, command);
  if (!r.status) co_return fail(ex, r.status);
  // The event is the stream of the command's first event (EventScheduled).
  auto event = converted_events().find(ex, created_id(r));
  if (!event) co_return no_such(ex, converted_events());
  co_return show(ex, converted_events(), *event, http::status::created);
}

}  // namespace

void add_inbox_routes(Routes& routes) {
  routes.post("/api/inbox/", create_item)
      .summary("Capture an inbox item")
      .body(inbox_create())
      .answers(201, inbox_response());
  routes.get("/api/inbox/", list_items)
      .summary("The caller's inbox items, newest first, filtered")
      .query("skip", list_skip())
      .query("limit", list_limit())
      .query("categories", list_categories())
      .query("statuses", list_statuses())
      .query("priorities", list_priorities())
      .query("priority_min", list_priority_bound())
      .query("priority_max", list_priority_bound())
      .query("filter_logic", list_any_condition())
      .answers(200, inbox_response().list_schema());
  routes.post("/api/inbox/bulk/status", bulk_status_update)
      .summary("Set the status of the caller's items among item_ids")
      .body(bulk_status())
      .answers(200, message_schema());
  routes.post("/api/inbox/bulk/archive", bulk_archive_items)
      .summary("Archive the caller's items among item_ids")
      .body(bulk_archive())
      .answers(200, message_schema());
  routes.post("/api/inbox/convert_to_event", convert_item)
      .summary("Create an event from an inbox item and schedule the item, in one append")
      .body(convert_to_event())
      .answers(201, converted_event_response());
  routes.get("/api/inbox/{item_id}", get_item).summary("An inbox item (ETag: its version)").answers(200, inbox_response());
  routes.put("/api/inbox/{item_id}", update_item)
      .summary("Change the fields given (If-Match honoured)")
      .body(inbox_update())
      .answers(200, inbox_response());
  routes.del("/api/inbox/{item_id}", delete_item).summary("Delete an inbox item (If-Match honoured)").answers(204);
}

}  // namespace almanac::api::flowstate
