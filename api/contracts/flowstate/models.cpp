#include "api/contracts/flowstate/models.hpp"

#include "api/service.hpp"
#include "api/time_format.hpp"

namespace almanac::api::flowstate {

namespace {

namespace ef = event_field;
namespace xf = inbox_field;

using Event = EventOut;
using Item = InboxOut;

json nullable_text(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

// A stored metadata object as given; an event without one shows {}.
json metadata_of(const proj::EventView& e) {
  if (!e.metadata_json) return json::object();
  json j = json::parse(*e.metadata_json, nullptr, false);
  return j.is_object() ? j : json::object();
}

// The fields of an EventCreate, on either event table (EventScheduledT and
// EventUpdatedT name them alike).
template <typename EventTable>
void fill_created(const EventInput& in, EventTable& e) {
  e.title = in.title;
  e.start = in.start_time.us;
  e.end = in.end_time.us;
  e.is_all_day = in.is_all_day;
  e.floating = false;  // naive times are UTC here
  e.is_recurring = in.is_recurring;
  e.fields = ef::kTitle | ef::kDescription | ef::kStart | ef::kEnd | ef::kAllDay | ef::kFloating | ef::kCategory |
             ef::kMetadata | ef::kRecurring;
  if (in.description)
    e.description = *in.description;
  else
    e.nulls |= ef::kDescription;
  if (in.category)
    e.category = *in.category;
  else
    e.nulls |= ef::kCategory;
  if (in.metadata)
    e.metadata_json = in.metadata->dump();
  else
    e.nulls |= ef::kMetadata;
}

const Spec<std::string>& category_spec() {
  static const Spec<std::string> s = one_of<std::string>({{"TODO", "TODO"}, {"IDEA", "IDEA"}, {"NOTE", "NOTE"}});
  return s;
}

const Spec<int64_t>& priority_spec() {
  static const Spec<int64_t> s = integer().at_least(1).at_most(5);
  return s;
}

Shape<Event> event_fields(std::string title) {
  return Shape<Event>(std::move(title))
      .field("id", schema::string("uuid"), [](const Event& e) { return json(format_uuid(e.event.uuid)); })
      .field("user_id", schema::string("uuid"), [](const Event& e) { return json(format_uuid(e.owner_uuid)); })
      .field("title", schema::string(), [](const Event& e) { return json(e.event.title); })
      .field("description", schema::nullable(schema::string()),
             [](const Event& e) { return nullable_text(e.event.description); })
      .field("start_time", schema::string("date-time"), [](const Event& e) { return json(format_utc(e.event.start)); })
      .field("end_time", schema::nullable(schema::string("date-time")),
             [](const Event& e) { return e.event.end ? json(format_utc(*e.event.end)) : json(nullptr); })
      .field("category", schema::nullable(schema::string()),
             [](const Event& e) { return nullable_text(e.event.category); })
      .field("is_all_day", schema::boolean(), [](const Event& e) { return json(e.event.is_all_day); })
      .field("is_recurring", schema::boolean(), [](const Event& e) { return json(e.event.is_recurring); })
      .field("metadata", schema::object(), [](const Event& e) { return metadata_of(e.event); })
      .field("created_at", schema::string("date-time"), [](const Event& e) { return json(format_utc(e.event.created_at)); })
      .field("updated_at", schema::string("date-time"),
             [](const Event& e) { return json(format_utc(e.event.updated_at)); });
}

}  // namespace

json message_schema() {
  return {{"type", "object"}, {"required", json::array({"message"})}, {"properties", {{"message", schema::string()}}}};
}

ev::Uuid caller_uuid(const Exchange& ex) {
  auto me = ex.service.models().user(ex.user().user_id);
  return me ? me->uuid : ev::Uuid();
}

// ---- events ---------------------------------------------------------------------------

std::optional<EventOut> owned_event(const Exchange& ex, int64_t id) {
  auto e = ex.service.models().event(id);
  if (!e || e->owner_id != ex.user().user_id) return std::nullopt;
  const uint64_t version = e->version;
  return EventOut{std::move(*e), caller_uuid(ex), version};
}

const Model<EventInput>& event_create() {
  static const Model<EventInput> m =
      Model<EventInput>("EventCreate")
          .field("title", &EventInput::title, text())
          .field("description", &EventInput::description, text().nullable())
          .field("start_time", &EventInput::start_time, date_time())
          .field("end_time", &EventInput::end_time, date_time())
          .field("category", &EventInput::category, text().nullable())
          .field("is_all_day", &EventInput::is_all_day, boolean().optional(false))
          .field("is_recurring", &EventInput::is_recurring, boolean().optional(false))
          .field("metadata", &EventInput::metadata, object(kMaxMetadataBytes).nullable());
  return m;
}

const Model<EventPatch>& event_update() {
  static const Model<EventPatch> m =
      Model<EventPatch>("EventUpdate")
          .field("title", &EventPatch::title, text().optional())
          .field("description", &EventPatch::description, text().nullable())
          .field("start_time", &EventPatch::start_time, date_time().optional())
          .field("end_time", &EventPatch::end_time, date_time().optional())
          .field("category", &EventPatch::category, text().nullable())
          .field("is_all_day", &EventPatch::is_all_day, boolean().optional())
          .field("is_recurring", &EventPatch::is_recurring, boolean().optional())
          .field("metadata", &EventPatch::metadata, object(kMaxMetadataBytes).nullable());
  return m;
}

cmd::ScheduleEvent schedule_command(const EventInput& in, int64_t owner) {
  cmd::ScheduleEvent c;
  c.event.owner_id = owner;
  c.event.visibility = ev::Visibility::Private;
  fill_created(in, c.event);
  c.reject_conflicts = true;
  return c;
}

cmd::UpdateEvent update_command(const EventPatch& in, int64_t event_id) {
  cmd::UpdateEvent c;
  c.event_id = event_id;
  c.reject_conflicts = true;
  ev::EventUpdatedT& e = c.changes;
  auto text_field = [&e](const Patch<std::string>& p, uint32_t bit, std::string& slot) {
    if (!p.present()) return;
    e.fields |= bit;
    if (p.is_null())
      e.nulls |= bit;
    else
      slot = p.value;
  };
  text_field(in.title, ef::kTitle, e.title);
  text_field(in.description, ef::kDescription, e.description);
  text_field(in.category, ef::kCategory, e.category);
  if (in.start_time.has_value()) {
    e.fields |= ef::kStart;
    e.start = in.start_time.value.us;
  }
  if (in.end_time.has_value()) {
    e.fields |= ef::kEnd;
    e.end = in.end_time.value.us;
  }
  if (in.is_all_day.has_value()) {
    e.fields |= ef::kAllDay;
    e.is_all_day = in.is_all_day.value;
  }
  if (in.is_recurring.has_value()) {
    e.fields |= ef::kRecurring;
    e.is_recurring = in.is_recurring.value;
  }
  if (in.metadata.present()) {
    e.fields |= ef::kMetadata;
    if (in.metadata.is_null())
      e.nulls |= ef::kMetadata;
    else
      e.metadata_json = in.metadata.value.dump();
  }
  return c;
}

const Spec<int32_t>& list_day() {
  static const Spec<int32_t> s = date().optional();
  return s;
}

const Spec<std::string>& list_category() {
  static const Spec<std::string> s = text().optional();
  return s;
}

const Shape<Event>& event_response() {
  static const Shape<Event> s = event_fields("EventResponse");
  return s;
}

const Shape<Event>& converted_event_response() {
  static const Shape<Event> s = event_fields("EventResponse").field(
      "event_metadata", schema::object(), [](const Event& e) { return metadata_of(e.event); });
  return s;
}

// ---- inbox -------------------------------------------------------------------------------

const Spec<std::string>& inbox_category() { return category_spec(); }

const Spec<ev::InboxStatus>& inbox_status() {
  static const Spec<ev::InboxStatus> s = one_of<ev::InboxStatus>({{"PENDING", ev::InboxStatus::Pending},
                                                                  {"SCHEDULED", ev::InboxStatus::Scheduled},
                                                                  {"ARCHIVED", ev::InboxStatus::Archived},
                                                                  {"DONE", ev::InboxStatus::Done}});
  return s;
}

const char* status_name(ev::InboxStatus status) {
  switch (status) {
    case ev::InboxStatus::Scheduled: return "SCHEDULED";
    case ev::InboxStatus::Archived: return "ARCHIVED";
    case ev::InboxStatus::Done: return "DONE";
    default: return "PENDING";
  }
}

const Model<InboxInput>& inbox_create() {
  static const Model<InboxInput> m =
      Model<InboxInput>("InboxItemCreate")
          .field("content", &InboxInput::content, text())
          .field("category", &InboxInput::category, Spec<std::string>(category_spec()).optional("TODO"))
          .field("priority", &InboxInput::priority, Spec<int64_t>(priority_spec()).optional(3))
          .field("status", &InboxInput::status, Spec<ev::InboxStatus>(inbox_status()).optional("PENDING"));
  return m;
}

const Model<InboxPatch>& inbox_update() {
  static const Model<InboxPatch> m =
      Model<InboxPatch>("InboxItemUpdate")
          .field("content", &InboxPatch::content, text().optional())
          .field("category", &InboxPatch::category, Spec<std::string>(category_spec()).optional())
          .field("priority", &InboxPatch::priority, Spec<int64_t>(priority_spec()).optional())
          .field("status", &InboxPatch::status, Spec<ev::InboxStatus>(inbox_status()).optional());
  return m;
}

cmd::CaptureInboxItem capture_command(const InboxInput& in) {
  cmd::CaptureInboxItem c;
  ev::InboxItemCapturedT& item = c.item;
  item.content = in.content;
  item.category = in.category;
  item.priority_level = static_cast<int32_t>(in.priority);
  item.status = in.status;
  item.fields = xf::kContent | xf::kCategory | xf::kPriorityLevel | xf::kStatus;
  return c;
}

cmd::UpdateInboxItem update_command(const InboxPatch& in, int64_t item_id) {
  cmd::UpdateInboxItem c;
  c.item_id = item_id;
  ev::InboxItemUpdatedT& ch = c.changes;
  if (in.content.has_value()) {
    ch.fields |= xf::kContent;
    ch.content = in.content.value;
  }
  if (in.category.has_value()) {
    ch.fields |= xf::kCategory;
    ch.category = in.category.value;
  }
  if (in.priority.has_value()) {
    ch.fields |= xf::kPriorityLevel;
    ch.priority_level = static_cast<int32_t>(in.priority.value);
  }
  if (in.status.has_value()) {
    ch.fields |= xf::kStatus;
    ch.status = in.status.value;
  }
  return c;
}

const Model<ConvertInput>& convert_to_event() {
  static const Model<ConvertInput> m =
      Model<ConvertInput>("InboxItemConvertToEvent")
          .field("item_id", &ConvertInput::item_id, uuid())
          .field("start_time", &ConvertInput::start_time, date_time())
          .field("end_time", &ConvertInput::end_time, date_time())
          .field("event_title", &ConvertInput::event_title, text().nullable())
          .field("event_description", &ConvertInput::event_description, text().nullable())
          .field("is_all_day", &ConvertInput::is_all_day, boolean().optional(false))
          .field("is_recurring", &ConvertInput::is_recurring, boolean().optional(false))
          .field("event_category", &ConvertInput::event_category, text().nullable())
          .field("event_metadata", &ConvertInput::event_metadata, object(kMaxMetadataBytes).nullable());
  return m;
}

cmd::ScheduleInboxItem convert_command(const ConvertInput& in, const proj::InboxItemView& item) {
  EventInput e;
  e.title = in.event_title ? *in.event_title : item.content;
  if (in.event_description)
    e.description = *in.event_description;
  else if (code_points(item.content) <= kShortContent)
    e.description = item.content;
  e.start_time = in.start_time;
  e.end_time = in.end_time;
  e.category = in.event_category ? in.event_category : item.category;
  e.is_all_day = in.is_all_day;
  e.is_recurring = in.is_recurring;
  json metadata = {{"converted_from_inbox_item_id", format_uuid(item.uuid)}};
  if (in.event_metadata)
    for (auto& [k, v] : in.event_metadata->items())
      if (k != "converted_from_inbox_item_id") metadata[k] = v;
  e.metadata = std::move(metadata);
  cmd::ScheduleInboxItem c;
  c.item_id = item.id;
  c.event = schedule_command(e, item.owner_id);
  return c;
}

const Model<BulkStatus>& bulk_status() {
  static const Model<BulkStatus> m = Model<BulkStatus>("InboxBulkStatusUpdate")
                                         .field("item_ids", &BulkStatus::item_ids, list_of(uuid()))
                                         .field("new_status", &BulkStatus::new_status, inbox_status());
  return m;
}

const Model<BulkArchive>& bulk_archive() {
  static const Model<BulkArchive> m =
      Model<BulkArchive>("InboxBulkArchive").field("item_ids", &BulkArchive::item_ids, list_of(uuid()));
  return m;
}

const Spec<int64_t>& list_skip() {
  static const Spec<int64_t> s = integer().at_least(0).optional(0);
  return s;
}

const Spec<int64_t>& list_limit() {
  static const Spec<int64_t> s = integer().at_least(1).at_most(1000).optional(100);
  return s;
}

const Spec<std::vector<std::string>>& list_categories() {
  static const Spec<std::vector<std::string>> s = comma_separated(category_spec()).optional();
  return s;
}

const Spec<std::vector<ev::InboxStatus>>& list_statuses() {
  static const Spec<std::vector<ev::InboxStatus>> s = comma_separated(inbox_status()).optional();
  return s;
}

const Spec<std::vector<int64_t>>& list_priorities() {
  static const Spec<std::vector<int64_t>> s = comma_separated(priority_spec()).optional();
  return s;
}

const Spec<int64_t>& list_priority_bound() {
  static const Spec<int64_t> s = Spec<int64_t>(priority_spec()).optional();
  return s;
}

const Spec<bool>& list_any_condition() {
  static const Spec<bool> s = one_of<bool>({{"AND", false}, {"OR", true}}).optional("AND");
  return s;
}

const Shape<Item>& inbox_response() {
  static const Shape<Item> s =
      Shape<Item>("InboxItemResponse")
          .field("id", schema::string("uuid"), [](const Item& i) { return json(format_uuid(i.item.uuid)); })
          .field("user_id", schema::string("uuid"), [](const Item& i) { return json(format_uuid(i.owner_uuid)); })
          .field("content", schema::string(), [](const Item& i) { return json(i.item.content); })
          .field("category", schema::enumeration({"TODO", "IDEA", "NOTE"}),
                 [](const Item& i) { return json(i.item.category.value_or("TODO")); })
          .field("priority", schema::integer(), [](const Item& i) { return json(i.item.priority_level); })
          .field("status", schema::enumeration({"PENDING", "SCHEDULED", "ARCHIVED", "DONE"}),
                 [](const Item& i) { return json(status_name(i.item.status)); })
          .field("created_at", schema::string("date-time"), [](const Item& i) { return json(format_utc(i.item.created_at)); })
          .field("updated_at", schema::string("date-time"),
                 [](const Item& i) { return json(format_utc(i.item.updated_at)); });
  return s;
}

}  // namespace almanac::api::flowstate
