#include "api/event_json.hpp"

#include <flatbuffers/idl.h>

#include <array>

#include "api/fields.hpp"
#include "api/time_format.hpp"

namespace almanac::api {

namespace {

// Payload fields never shown over the network: they are credentials, or
// digests of them.
constexpr std::array<std::string_view, 5> kSecretFields = {"password_hash", "refresh_jti", "previous_jti",
                                                           "jti", "token_hash"};

struct Schema {
  flatbuffers::Parser parser;
  bool ok = false;

  Schema() {
    parser.opts.strict_json = true;
    parser.opts.indent_step = -1;  // one line
    parser.opts.output_default_scalars_in_json = true;
    ok = parser.Parse(kEventSchemaText);
  }
};

const Schema& event_schema() {
  static const Schema s;  // built once; read-only afterwards
  return s;
}

// Rewrites reflection output into the stream's payload shape, in place.
void shape_payload(json& payload) {
  if (!payload.is_object()) return;
  for (auto key : kSecretFields) payload.erase(std::string(key));
  for (auto& [key, value] : payload.items()) {
    if (value.is_object() && value.size() == 2 && value.contains("hi") && value.contains("lo") &&
        value["hi"].is_number_unsigned() && value["lo"].is_number_unsigned())
      value = format_uuid(ev::Uuid(value["hi"].get<uint64_t>(), value["lo"].get<uint64_t>()));
  }
}

}  // namespace

Result<json> event_json(std::string_view bytes) {
  if (Status s = verify_bytes(bytes); !s) return s;
  const Schema& sc = event_schema();
  if (!sc.ok) return internal_error("built-in event schema failed to parse: " + sc.parser.error_);
  const auto* env = ev::GetEventEnvelope(bytes.data());

  json payload = json::object();
  if (env->payload_type() != ev::Payload::NONE && env->payload()) {
    std::string text;
    std::string table = std::string("almanac.ev.") + payload_name(env->payload_type());
    if (!flatbuffers::GenerateTextFromTable(sc.parser, env->payload(), table, &text))
      return internal_error("cannot render " + table + " as JSON");
    payload = json::parse(text, nullptr, false);
    if (payload.is_discarded()) return internal_error("rendered " + table + " is not JSON");
    shape_payload(payload);
  }

  json out = json::object();
  out["position"] = env->position();
  out["stream"] = {{"category", category_name(env->category())}, {"id", env->stream_id()}};
  out["version"] = env->version();
  out["type"] = payload_name(env->payload_type());
  out["recorded_at"] = format_utc(env->recorded_at());
  out["actor_id"] = env->actor_id();
  out["correlation_id"] = env->correlation_id() ? env->correlation_id()->str() : std::string();
  out["payload"] = std::move(payload);
  return out;
}

Result<json> event_json(const Envelope& envelope) { return event_json(encode(envelope)); }

}  // namespace almanac::api
