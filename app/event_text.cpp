#include "app/event_text.hpp"

#include <date/date.h>
#include <flatbuffers/idl.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "events/event.hpp"

namespace almanac::app {

struct EventText::Impl {
  flatbuffers::Parser parser;
};

EventText::EventText() : impl_(std::make_unique<Impl>()) {
  impl_->parser.opts.strict_json = true;
  impl_->parser.opts.indent_step = -1;  // one line
  impl_->parser.opts.output_default_scalars_in_json = true;
  // The schema is the one this binary was built from; failing to parse it is
  // a build defect, reported on first use.
  impl_->parser.Parse(kEventSchemaText);
}

EventText::~EventText() = default;

Result<std::string> EventText::json(std::string_view bytes) const {
  if (Status s = verify_bytes(bytes); !s) return s;
  if (!impl_->parser.root_struct_def_)
    return internal_error("built-in event schema failed to parse: " + impl_->parser.error_);
  std::string out;
  if (!flatbuffers::GenerateText(impl_->parser, bytes.data(), &out))
    return internal_error("cannot render event as JSON");
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

Result<std::string> EventText::line(std::string_view bytes) const {
  auto text = json(bytes);
  if (!text) return text.status();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return internal_error("rendered event is not JSON");
  const auto* env = ev::GetEventEnvelope(bytes.data());
  std::string out = "#" + std::to_string(env->position()) + "  " +
                    format_utc_us(env->recorded_at()) + "  " +
                    category_name(env->category()) + "/" + std::to_string(env->stream_id()) +
                    " v" + std::to_string(env->version()) + "  " +
                    payload_name(env->payload_type()) + "  actor=" +
                    std::to_string(env->actor_id());
  if (env->correlation_id() && env->correlation_id()->size())
    out += "  corr=" + env->correlation_id()->str();
  if (env->idempotency_key() && env->idempotency_key()->size())
    out += "  key=" + env->idempotency_key()->str();
  out += "  " + (j.contains("payload") ? j["payload"].dump() : std::string("{}"));
  return out;
}

std::string format_utc_us(int64_t us) {
  using namespace std::chrono;
  sys_time<microseconds> t{microseconds{us}};
  return date::format("%FT%TZ", t);
}

}  // namespace almanac::app
