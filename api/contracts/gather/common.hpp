// What gather's routes share: how its document shows a user, a gathering's
// status, the gatherings, tasks and polls a caller may see, and the paged
// lists of Django REST framework ({count, next, previous, results}).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/handler.hpp"
#include "projections/read_models.hpp"

namespace almanac::api::gather {

// ---- users ------------------------------------------------------------------------

// {id, username}, then first_name and last_name, then email, as each answer
// of the document shows a user.
enum class UserFields { kName, kFull, kWithEmail };
json user_json(const Exchange& ex, int64_t user_id, UserFields fields);
json user_schema(UserFields fields);

// ---- gatherings ---------------------------------------------------------------------

// "upcoming" before the date, "ongoing" from it until its end (a gathering
// with only a date ends at the end of that UTC day), "completed" after.
const char* status_of(const proj::EventView& e, int64_t now);
// The same rule as read-model filters.
void filter_status(proj::EventQuery& q, std::string_view status, int64_t now);

// A gathering (a public event) by id; events of other contracts are not
// gatherings and read as unknown.
std::optional<proj::EventView> gathering(const Exchange& ex, int64_t id);
// A task or poll of a gathering the caller takes part in.
std::optional<proj::TaskView> visible_task(const Exchange& ex, int64_t id);
std::optional<proj::PollView> visible_poll(const Exchange& ex, int64_t id);
bool takes_part(const proj::EventView& e, int64_t user);

// ---- paged lists --------------------------------------------------------------------

struct PageRequest {
  int64_t page = 1;
  size_t size = 20;
  size_t skip() const { return static_cast<size_t>(page - 1) * size; }
};
// page (an integer >= 1; anything else is 404 "Invalid page.", as DRF's) and
// page_size (default 20, at most 100; one that does not read is the
// default, as DRF's).
std::optional<PageRequest> page_of(const Exchange& ex);
// {count, next, previous, results}: next and previous are absolute URLs
// built from the request's Host, keeping its other query parameters.
// A page past the last (but the first) is 404 "Invalid page.".
Response paged(const Exchange& ex, const PageRequest& p, size_t count, json results);
Response invalid_page(const Exchange& ex);
json paged_schema(json item);

// An id path parameter.
const Spec<int64_t>& ids();
// Times as the document writes them: "2024-01-01T12:00:00Z".
json utc_or_null(const std::optional<int64_t>& us);

}  // namespace almanac::api::gather
