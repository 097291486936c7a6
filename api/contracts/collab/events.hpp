// collab's events (/api/events...): create, list a window, read with
// permissions, partial update, delete, share, the permissions beyond the
// document, batches, and the version history read from each event's stream.
// Who may do what: docs/contracts/collab.md.
#pragma once

#include <optional>

#include "api/fields.hpp"
#include "api/handler.hpp"
#include "api/routes.hpp"
#include "projections/views.hpp"

namespace almanac::api::collab {

void add_event_routes(Routes& routes);
void add_history_routes(Routes& routes);

// The event as collab shows it (with `permissions` when `with_permissions`).
const Shape<proj::EventView>& event_shape(bool with_permissions);
// The caller's role on `e`: the owner, or an entry of its ACL; nullopt when
// the caller holds none (the event is then not theirs to see here).
std::optional<ev::Role> role_in(const proj::EventView& e, int64_t user);
// The events the caller holds a role on, shown without permissions; any
// other reads as unknown (404), so ids leak nothing.
const Resource<proj::EventView>& held_events();
// "OWNER", "EDITOR", "VIEWER".
const char* role_name(ev::Role role);

}  // namespace almanac::api::collab
