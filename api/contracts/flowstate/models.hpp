// flowstate's models: the request field tables (EventCreate, EventUpdate,
// the inbox item bodies, InboxItemConvertToEvent, the bulk bodies, the list
// queries) and the response shapes (EventResponse, InboxItemResponse), which
// the REST routes and the sync socket render alike. Rules (blank titles, end
// after start, all-day days, time conflicts, priority range) are the
// commands'; the tables here only read the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/fields.hpp"
#include "api/router.hpp"
#include "commands/command.hpp"
#include "projections/views.hpp"

namespace almanac::api::flowstate {

// The largest `metadata` object, encoded as JSON.
inline constexpr size_t kMaxMetadataBytes = 16 << 10;

// The schema of the {"message": "..."} answers (password reset, bulk routes).
json message_schema();

// The caller's UUID: the user_id of everything they own.
ev::Uuid caller_uuid(const Exchange& ex);

// ---- events ---------------------------------------------------------------------------

// An event as EventResponse shows it: the view and its owner's UUID.
struct EventOut {
  proj::EventView event;
  ev::Uuid owner_uuid;
  uint64_t version = 0;  // of the event's stream: the ETag
};

// The caller's event `id`; nullopt when unknown or another user's.
std::optional<EventOut> owned_event(const Exchange& ex, int64_t id);

// Naive times are UTC; times with an offset are converted to UTC.
struct EventInput {
  std::string title;
  std::optional<std::string> description;
  ParsedTime start_time;
  ParsedTime end_time;
  std::optional<std::string> category;
  bool is_all_day = false;
  bool is_recurring = false;
  std::optional<json> metadata;
};
const Model<EventInput>& event_create();

// Every field optional; null clears description, category and metadata.
struct EventPatch {
  Patch<std::string> title;
  Patch<std::string> description;
  Patch<ParsedTime> start_time;
  Patch<ParsedTime> end_time;
  Patch<std::string> category;
  Patch<bool> is_all_day;
  Patch<bool> is_recurring;
  Patch<json> metadata;
};
const Model<EventPatch>& event_update();

// ScheduleEvent for `owner` with the conflict rule on.
cmd::ScheduleEvent schedule_command(const EventInput& in, int64_t owner);
// UpdateEvent of the fields `in` names, with the conflict rule on.
cmd::UpdateEvent update_command(const EventPatch& in, int64_t event_id);

// GET /api/events/ query parameters.
const Spec<int32_t>& list_day();
const Spec<std::string>& list_category();

const Shape<EventOut>& event_response();
// EventResponse with the metadata under "event_metadata" as well (the
// convert_to_event answer: its document's example names it so).
const Shape<EventOut>& converted_event_response();

// ---- inbox -------------------------------------------------------------------------------

// The item categories and statuses on the wire.
const Spec<std::string>& inbox_category();
const Spec<ev::InboxStatus>& inbox_status();
const char* status_name(ev::InboxStatus status);

struct InboxInput {
  std::string content;
  std::string category = "TODO";
  int64_t priority = 3;
  ev::InboxStatus status = ev::InboxStatus::Pending;
};
const Model<InboxInput>& inbox_create();

struct InboxPatch {
  Patch<std::string> content;
  Patch<std::string> category;
  Patch<int64_t> priority;
  Patch<ev::InboxStatus> status;
};
const Model<InboxPatch>& inbox_update();

cmd::CaptureInboxItem capture_command(const InboxInput& in);
cmd::UpdateInboxItem update_command(const InboxPatch& in, int64_t item_id);

struct ConvertInput {
  ev::Uuid item_id;
  ParsedTime start_time;
  ParsedTime end_time;
  std::optional<std::string> event_title;
  std::optional<std::string> event_description;
  bool is_all_day = false;
  bool is_recurring = false;
  std::optional<std::string> event_category;
  std::optional<json> event_metadata;
};
const Model<ConvertInput>& convert_to_event();

// ScheduleInboxItem turning `item` into an event for its owner: the body's
// fields, else the item's (title: its content; description: its content
// when at most kShortContent characters, else none; category: its
// category), and metadata holding converted_from_inbox_item_id.
inline constexpr size_t kShortContent = 255;
cmd::ScheduleInboxItem convert_command(const ConvertInput& in, const proj::InboxItemView& item);

struct BulkStatus {
  std::vector<ev::Uuid> item_ids;
  ev::InboxStatus new_status = ev::InboxStatus::Pending;
};
const Model<BulkStatus>& bulk_status();

struct BulkArchive {
  std::vector<ev::Uuid> item_ids;
};
const Model<BulkArchive>& bulk_archive();

// GET /api/inbox/ query parameters.
const Spec<int64_t>& list_skip();
const Spec<int64_t>& list_limit();
const Spec<std::vector<std::string>>& list_categories();
const Spec<std::vector<ev::InboxStatus>>& list_statuses();
const Spec<std::vector<int64_t>>& list_priorities();
const Spec<int64_t>& list_priority_bound();
const Spec<bool>& list_any_condition();  // filter_logic: AND (false) | OR (true)

// An inbox item as InboxItemResponse shows it.
struct InboxOut {
  proj::InboxItemView item;
  ev::Uuid owner_uuid;
  uint64_t version = 0;
};
const Shape<InboxOut>& inbox_response();

}  // namespace almanac::api::flowstate
