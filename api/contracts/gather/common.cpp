#include "api/contracts/gather/common.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "api/content.hpp"
#include "api/time_format.hpp"
#include "events/time.hpp"
#include "projections/events.hpp"

namespace almanac::api::gather {

json user_json(const Exchange& ex, int64_t user_id, UserFields fields) {
  json u = {{"id", user_id}};
  auto view = ex.service.models().user(user_id, /*include_deleted=*/true);
  u["username"] = view ? json(view->username) : json(nullptr);
  if (fields != UserFields::kName) {
    u["first_name"] = view ? view->first_name : std::string();
    u["last_name"] = view ? view->last_name : std::string();
  }
  if (fields == UserFields::kWithEmail) u["email"] = view ? view->email : std::string();
  return u;
}

json user_schema(UserFields fields) {
  json props = {{"id", schema::integer()}, {"username", schema::string()}};
  if (fields != UserFields::kName) {
    props["first_name"] = schema::string();
    props["last_name"] = schema::string();
  }
  if (fields == UserFields::kWithEmail) props["email"] = schema::string("email");
  return {{"type", "object"}, {"properties", std::move(props)}};
}

const char* status_of(const proj::EventView& e, int64_t now) {
  if (now < e.start) return "upcoming";
  if (now < proj::EventsModel::day_end(e)) return "ongoing";
  return "completed";
}

void filter_status(proj::EventQuery& q, std::string_view status, int64_t now) {
  if (status == "upcoming") {
    q.start_min = now + 1;
  } else if (status == "ongoing") {
    q.start_max = now + 1;
    q.day_end_after = now;
  } else if (status == "completed") {
    q.day_end_at_most = now;
  }
}

bool takes_part(const proj::EventView& e, int64_t user) {
  return std::any_of(e.participants.begin(), e.participants.end(),
                     [user](const proj::ParticipantView& p) { return p.user_id == user; });
}

std::optional<proj::EventView> gathering(const Exchange& ex, int64_t id) {
  auto e = ex.service.models().event(id);
  if (!e || e->visibility != ev::Visibility::Public) return std::nullopt;
  return e;
}

std::optional<proj::TaskView> visible_task(const Exchange& ex, int64_t id) {
  auto t = ex.service.models().task(id);
  if (!t) return std::nullopt;
  auto e = gathering(ex, t->event_id);
  if (!e || !takes_part(*e, ex.user().user_id)) return std::nullopt;
  return t;
}

std::optional<proj::PollView> visible_poll(const Exchange& ex, int64_t id) {
  auto p = ex.service.models().poll(id, ex.service.clock().now_us(), ex.user().user_id);
  if (!p || !gathering(ex, p->event_id)) return std::nullopt;
  return p;
}

std::optional<PageRequest> page_of(const Exchange& ex) {
  PageRequest p;
  auto positive = [](const std::string& s) -> std::optional<int64_t> {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 1) return std::nullopt;
    return v;
  };
  if (auto page = ex.query_value("page")) {
    auto v = positive(*page);
    if (!v) return std::nullopt;
    p.page = *v;
  }
  if (auto size = ex.query_value("page_size"))
    if (auto v = positive(*size)) p.size = static_cast<size_t>(std::min<int64_t>(*v, 100));
  return p;
}

namespace {

// The request's own URL, absolute, with `page` set to `page` (none: removed)
// and the other query parameters kept, sorted by name as DRF writes them.
std::string page_url(const Exchange& ex, std::optional<int64_t> page) {
  std::multimap<std::string, std::string> params;
  for (const auto& [k, v] : ex.query)
    if (k != "page") params.emplace(k, v);
  if (page) params.emplace("page", std::to_string(*page));
  std::string_view target = ex.req.target();
  std::string url = (ex.req["X-Forwarded-Proto"] == "https" ? "https://" : "http://") +
                    std::string(ex.req[http::field::host]) + std::string(target.substr(0, target.find('?')));
  char sep = '?';
  for (const auto& [k, v] : params) {
    url += sep;
    url += url_encode(k) + "=" + url_encode(v);
    sep = '&';
  }
  return url;
}

}  // namespace

Response invalid_page(const Exchange& ex) { return fail(ex, not_found("Invalid page.")); }

Response paged(const Exchange& ex, const PageRequest& p, size_t count, json results) {
  const int64_t pages = std::max<int64_t>(1, static_cast<int64_t>((count + p.size - 1) / p.size));
  const int64_t page = p.page;
  if (page > pages) return invalid_page(ex);
  json body = {{"count", count},
               {"next", page < pages ? json(page_url(ex, page + 1)) : json(nullptr)},
               {"previous", page > 1 ? json(page_url(ex, page == 2 ? std::nullopt : std::optional(page - 1)))
                                     : json(nullptr)},
               {"results", std::move(results)}};
  return reply(ex, http::status::ok, body);
}

json paged_schema(json item) {
  return {{"type", "object"},
          {"properties",
           {{"count", schema::integer()},
            {"next", schema::nullable(schema::string("uri"))},
            {"previous", schema::nullable(schema::string("uri"))},
            {"results", schema::array(std::move(item))}}}};
}

const Spec<int64_t>& ids() {
  static const Spec<int64_t> s = integer().greater_than(0);
  return s;
}

json utc_or_null(const std::optional<int64_t>& us) { return us ? json(format_utc(*us)) : json(nullptr); }

}  // namespace almanac::api::gather
