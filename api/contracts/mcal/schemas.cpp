// JSON Schemas of the mcal document's models, for /openapi.json.
#include "api/contracts/mcal/mcal.hpp"

namespace almanac::api::mcal {

namespace {

json nullable(const char* type, const char* format = nullptr) {
  json t = {{"type", type}};
  if (format) t["format"] = format;
  return {{"anyOf", json::array({t, {{"type", "null"}}})}};
}

json frequency() {
  return {{"type", "string"},
          {"enum", json::array({"none", "daily", "weekly", "monthly", "yearly"})},
          {"default", "none"}};
}

}  // namespace

json calendar_schema() {
  return {{"title", "Calendar"},
          {"type", "object"},
          {"required", json::array({"id", "name"})},
          {"properties",
           {{"id", {{"type", "integer"}}}, {"name", {{"type", "string"}}}, {"color", nullable("string")}}}};
}

json calendar_create_schema() {
  return {{"title", "CalendarCreate"},
          {"type", "object"},
          {"required", json::array({"name"})},
          {"properties", {{"name", {{"type", "string"}}}, {"color", nullable("string")}}}};
}

json calendar_list_schema() { return {{"type", "array"}, {"items", calendar_schema()}}; }

json event_create_schema() {
  return {{"title", "EventCreate"},
          {"type", "object"},
          {"required", json::array({"title", "start_time", "end_time"})},
          {"properties",
           {{"title", {{"type", "string"}}},
            {"description", nullable("string")},
            {"start_time", {{"type", "string"}, {"format", "date-time"}}},
            {"end_time", {{"type", "string"}, {"format", "date-time"}}},
            {"is_all_day", {{"type", "boolean"}, {"default", false}}},
            {"repeat_frequency", frequency()},
            {"repeat_until", nullable("string", "date")}}}};
}

json event_schema() {
  json s = event_create_schema();
  s["title"] = "Event";
  s["required"] = json::array({"id", "calendar_id", "title", "start_time", "end_time", "is_all_day",
                               "repeat_frequency"});
  json props = {{"id", {{"type", "integer"}}}, {"calendar_id", nullable("integer")}};
  for (auto& [k, v] : s["properties"].items()) props[k] = v;
  s["properties"] = std::move(props);
  return s;
}

json occurrence_list_schema() {
  json occurrence = {{"title", "EventOccurrence"},
                     {"type", "object"},
                     {"properties",
                      {{"original_event_id", {{"type", "integer"}}},
                       {"calendar_id", nullable("integer")},
                       {"title", {{"type", "string"}}},
                       {"description", nullable("string")},
                       {"start_time", {{"type", "string"}, {"format", "date-time"}}},
                       {"end_time", {{"type", "string"}, {"format", "date-time"}}},
                       {"is_all_day", {{"type", "boolean"}}},
                       {"color", nullable("string")}}}};
  return {{"type", "array"}, {"items", std::move(occurrence)}};
}

}  // namespace almanac::api::mcal
