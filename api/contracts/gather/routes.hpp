// gather's route groups (one per file of this folder) and the renderings
// they share with the event feed.
#pragma once

#include "api/routes.hpp"
#include "projections/views.hpp"

namespace almanac::api::gather {

void add_auth_routes(Routes& routes);
void add_event_routes(Routes& routes);
void add_task_routes(Routes& routes);
void add_poll_routes(Routes& routes);
void add_feed_routes(Routes& routes);
void add_media_routes(Routes& routes);

// "pending", "in_progress", "completed" / "low", "medium", "high".
const char* task_status_name(ev::TaskStatus status);
const char* task_priority_name(ev::TaskPriority priority);

// A gathering, a task, a poll and a poll's results as the list answers show them.
json gathering_json(const Exchange& ex, const proj::EventView& e);
json task_json(const Exchange& ex, const proj::TaskView& t);
json poll_json(const Exchange& ex, const proj::PollView& p);
json results_json(const proj::PollView& p);

}  // namespace almanac::api::gather
