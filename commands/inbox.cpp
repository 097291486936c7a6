// Inbox items: quick captures owned by one user, later updated, deleted or
// scheduled as a calendar event (event and item change in one decision).
#include <algorithm>
#include <cctype>

#include "commands/aggregates.hpp"

namespace almanac::cmd {

namespace {

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char ch) { return std::isspace(ch); });
}

// The actor's live item, or nullptr (someone else's counts as unknown).
const InboxState* own_item(const Context& c, int64_t id) {
  const InboxState* item = c.state.inbox_item(id);
  if (!item || item->deleted || c.actor == 0 || item->owner_id != c.actor) return nullptr;
  return item;
}

Status item_not_found() { return not_found("Inbox item not found"); }

constexpr int32_t kMinPriorityLevel = 1;
constexpr int32_t kMaxPriorityLevel = 5;

// A priority level, when the event names one, is 1 to 5.
Status check_level(uint32_t fields, uint32_t nulls, int32_t level) {
  if (!(fields & inbox_field::kPriorityLevel)) return Status::ok();
  if ((nulls & inbox_field::kPriorityLevel) || level < kMinPriorityLevel || level > kMaxPriorityLevel)
    return invalid("Priority must be between 1 and 5", "priority");
  return Status::ok();
}

}  // namespace

Status decide_command(Context& c, const CaptureInboxItem& cmd) {
  const UserState* u = c.state.user(c.actor);
  if (!u || u->deleted) return not_found("User not found");
  if (blank(cmd.item.content)) return invalid("Content must not be empty", "content");
  if (Status st = check_level(cmd.item.fields, 0, cmd.item.priority_level); !st) return st;
  ev::InboxItemCapturedT out = cmd.item;
  out.uuid = c.ids.uuid();
  out.owner_id = c.actor;
  out.fields |= inbox_field::kContent;
  c.out.emit({Category::Inbox, c.out.allocate(Category::Inbox)}, std::move(out));
  return Status::ok();
}

Status decide_command(Context& c, const UpdateInboxItem& cmd) {
  if (!own_item(c, cmd.item_id)) return item_not_found();
  const ev::InboxItemUpdatedT& ch = cmd.changes;
  const uint32_t n = ch.nulls & ch.fields;
  if ((ch.fields & inbox_field::kContent) && ((n & inbox_field::kContent) || blank(ch.content)))
    return invalid("Content must not be empty", "content");
  if (Status st = check_level(ch.fields, n, ch.priority_level); !st) return st;
  if (ch.fields == 0) return Status::ok();
  ev::InboxItemUpdatedT out = ch;
  out.nulls = n;
  c.out.emit({Category::Inbox, cmd.item_id}, std::move(out));
  return Status::ok();
}

Status decide_command(Context& c, const ScheduleInboxItem& cmd) {
  if (!own_item(c, cmd.item_id)) return item_not_found();
  std::vector<Interval> batch;
  int64_t event_id = 0;
  if (Status st = schedule_event(c, cmd.event, batch, event_id); !st) return st;
  ev::InboxItemScheduledT out;
  out.event_id = event_id;
  c.out.emit({Category::Inbox, cmd.item_id}, std::move(out));
  return Status::ok();
}

Status decide_command(Context& c, const DeleteInboxItem& cmd) {
  if (!own_item(c, cmd.item_id)) return item_not_found();
  c.out.emit({Category::Inbox, cmd.item_id}, ev::InboxItemDeletedT{});
  return Status::ok();
}

Status decide_command(Context& c, const SetInboxItemsStatus& cmd) {
  std::vector<int64_t> ids = cmd.item_ids;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (int64_t id : ids) {
    if (!own_item(c, id)) continue;
    ev::InboxItemUpdatedT out;
    out.fields = inbox_field::kStatus;
    out.status = cmd.status;
    c.out.emit({Category::Inbox, id}, std::move(out));
  }
  return Status::ok();
}

void apply_inbox(WriteState& s, const Envelope& e) {
  int64_t id = e.stream_id;
  switch (e.payload.type) {
    case ev::Payload::InboxItemCaptured:
      s.inbox_items[id].owner_id = e.payload.AsInboxItemCaptured()->owner_id;
      break;
    case ev::Payload::InboxItemScheduled: s.inbox_items[id].scheduled = true; break;
    case ev::Payload::InboxItemDeleted: s.inbox_items[id].deleted = true; break;
    default: break;   // InboxItemUpdated: nothing decide() reads
  }
}

}  // namespace almanac::cmd
