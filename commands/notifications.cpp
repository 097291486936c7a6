// Notification read marks. Notifications themselves are derived by the read
// model, which also checks that an id belongs to the caller before the
// command is sent; the write side only records the marks on the actor's
// Notification stream.
#include "commands/aggregates.hpp"

namespace almanac::cmd {

Status decide_command(Context& c, const MarkNotificationRead& cmd) {
  if (c.actor == 0) return unauthenticated("Not authenticated");
  if (cmd.notification_id <= 0) return invalid("Invalid notification id", "notification_id");
  ev::NotificationReadT out;
  out.notification_id = cmd.notification_id;
  c.out.emit({Category::Notification, c.actor}, std::move(out));
  return Status::ok();
}

Status decide_command(Context& c, const MarkAllNotificationsRead& cmd) {
  if (c.actor == 0) return unauthenticated("Not authenticated");
  if (cmd.up_to_id < 0) return invalid("Invalid notification id", "up_to_id");
  ev::AllNotificationsReadT out;
  out.up_to_id = cmd.up_to_id;
  c.out.emit({Category::Notification, c.actor}, std::move(out));
  return Status::ok();
}

}  // namespace almanac::cmd
