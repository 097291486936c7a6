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

  // any_bytes: strings that are not UTF-8 are written with "\xNN" escapes
  // instead of failing the rendering.
  explicit Schema(bool any_bytes) {
    parser.opts.strict_json = true;
    parser.opts.indent_step = -1;  // one line
    parser.opts.output_default_scalars_in_json = true;
    parser.opts.allow_non_utf8 = any_bytes;
    ok = parser.Parse(kEventSchemaText);
  }
};

const Schema& event_schema(bool any_bytes = false) {
  // Each built once, on first use (the second only if a log ever needs it);
  // read-only afterwards.
  if (any_bytes) {
    static const Schema bytes(true);
    return bytes;
  }
  static const Schema text(false);
  return text;
}

// Reflection writes a byte that is not UTF-8 as "\xNN", which JSON does not
// have; "\u00NN" is JSON, and reads the byte as a Latin-1 character. Every
// backslash in the text starts an escape, so "\\x" (a backslash, then x) is
// left alone.
std::string latin1_escapes(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] != '\\' || i + 1 == text.size()) continue;
    ++i;
    if (text[i] == 'x')
      out += "u00";
    else
      out += text[i];
  }
  return out;
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
    if (!flatbuffers::GenerateTextFromTable(sc.parser, env->payload(), table, &text)) {
      // A string that is not UTF-8. The API refuses them, so only a log
      // written otherwise holds one; it is rendered, never a stuck stream.
      text.clear();
      if (!flatbuffers::GenerateTextFromTable(event_schema(true).parser, env->payload(), table, &text))
        return internal_error("cannot render " + table + " as JSON");
      text = latin1_escapes(text);
    }
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
