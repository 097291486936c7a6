#include "api/openapi.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "api/content.hpp"
#include "api/contract.hpp"
#include "api/service.hpp"

#ifndef ALMANAC_VERSION
#define ALMANAC_VERSION "0.0.0"
#endif

namespace almanac::api {

namespace {

struct PatternParam {
  std::string name;
  json schema;
};

struct ParsedPattern {
  std::string group_key;                // "/a/{}/b": parameters by position only
  std::vector<std::string> parts;       // literal text ("" for a trailing slash)
  std::vector<bool> is_param;           // per part: a parameter, in `params` order
  std::vector<PatternParam> params;     // in path order
};

json schema_for_type(std::string_view type) {
  if (type == "int") return {{"type", "integer"}, {"format", "int64"}, {"minimum", 0}};
  if (type == "uuid") return {{"type", "string"}, {"format", "uuid"}};
  if (type == "bool") return {{"type", "boolean"}};
  return {{"type", "string"}};
}

ParsedPattern parse_pattern(const std::string& pattern) {
  ParsedPattern p;
  for (std::string_view part : split_path(pattern)) {
    p.group_key += '/';
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      std::string_view inner = part.substr(1, part.size() - 2);
      size_t colon = inner.find(':');
      std::string_view type = colon == std::string_view::npos ? "" : inner.substr(colon + 1);
      p.params.push_back({std::string(inner.substr(0, colon)), schema_for_type(type)});
      p.parts.emplace_back();
      p.is_param.push_back(true);
      p.group_key += "{}";
    } else {
      p.parts.emplace_back(part);
      p.is_param.push_back(false);
      p.group_key += part;
    }
  }
  if (p.group_key.empty()) p.group_key = "/";
  return p;
}

// The OpenAPI path of a parsed pattern, with the parameter names given.
std::string openapi_path(const ParsedPattern& p) {
  std::string out;
  size_t param = 0;
  for (size_t i = 0; i < p.parts.size(); ++i) {
    out += '/';
    out += p.is_param[i] ? "{" + p.params[param++].name + "}" : p.parts[i];
  }
  return out.empty() ? "/" : out;
}

// One schema for several: the schema itself when they are all equal, else anyOf.
json any_of(const std::vector<json>& schemas) {
  std::vector<json> distinct;
  for (const auto& s : schemas)
    if (!s.is_null() && std::find(distinct.begin(), distinct.end(), s) == distinct.end()) distinct.push_back(s);
  if (distinct.empty()) return nullptr;
  if (distinct.size() == 1) return distinct.front();
  return {{"anyOf", distinct}};
}

json ref(std::string_view name) { return {{"$ref", "#/components/schemas/" + std::string(name)}}; }

// The error schemas of the dialects `router`'s routes use, and the bearer scheme.
json components(const Router& router) {
  json schemas = json::object();
  for (const Route& r : router.routes()) {
    const Dialect& d = r.contract->dialect;
    schemas[std::string(d.error_schema_name())] = d.error_schema();
  }
  return {{"schemas", std::move(schemas)},
          {"securitySchemes",
           {{"bearer",
             {{"type", "http"},
              {"scheme", "bearer"},
              {"bearerFormat", "JWT"},
              {"description", "An access token from any contract's login route; WebSocket "
                              "endpoints take it as ?token= instead."}}}}}};
}

std::string_view name_of(const Route& r) { return r.contract->name; }

bool needs_user(Caller c) { return c == Caller::kUser || c == Caller::kSuperuser || c == Caller::kSelfOrSuperuser; }

std::string operation_id(http::verb method, const std::string& path, std::set<std::string>& used) {
  std::string id(http::to_string(method));
  for (char& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (char c : path) {
    bool word = std::isalnum(static_cast<unsigned char>(c));
    if (word) id += c;
    else if (id.back() != '_') id += '_';
  }
  while (id.size() > 1 && id.back() == '_') id.pop_back();
  std::string unique = id;
  for (int n = 2; !used.insert(unique).second; ++n) unique = id + "_" + std::to_string(n);
  return unique;
}

json content_of(const json& schema) {
  return {{"application/json", {{"schema", schema}}}, {"application/x-msgpack", {{"schema", schema}}}};
}

// One operation for the routes sharing an OpenAPI path and method.
json operation(http::verb method, const std::vector<const Route*>& routes,
               const std::vector<ParsedPattern>& patterns, const std::string& path,
               std::set<std::string>& operation_ids) {
  json op = json::object();
  std::vector<std::string> tags, summaries;
  auto add_unique = [](std::vector<std::string>& v, const std::string& s) {
    if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
  };
  bool ws = false, all_user = true, any_user = false;
  for (const Route* r : routes) {
    add_unique(tags, std::string(name_of(*r)));
    add_unique(summaries, r->doc.summary);
    ws = ws || static_cast<bool>(r->ws);
    // A route that takes an optional user documents the token as optional.
    all_user = all_user && needs_user(r->caller);
    any_user = any_user || r->caller != Caller::kAnyone;
  }
  op["tags"] = tags;
  std::string summary;
  for (const auto& s : summaries) summary += (summary.empty() ? "" : " / ") + s;
  op["summary"] = summary.empty() ? std::string(http::to_string(method)) + " " + path : summary;

  std::string description;
  if (ws)
    description = "WebSocket endpoint: open it with a GET carrying `Upgrade: websocket`; the server "
                  "answers 101 and speaks the contract's messages over the socket. Authenticate "
                  "with `?token=` (an access token).";
  if (routes.size() > 1) {
    if (!description.empty()) description += "\n\n";
    description += "Served by several routes, told apart by the parameter types:";
    for (const Route* r : routes)
      description += "\n- " + std::string(name_of(*r)) + ": `" + r->pattern + "`" +
                     (r->doc.summary.empty() ? "" : " — " + r->doc.summary);
  }
  for (const Route* r : routes)
    if (r->caller == Caller::kSuperuser) {
      if (!description.empty()) description += "\n\n";
      description += "Superusers only.";
      break;
    }
  for (const Route* r : routes)
    if (r->caller == Caller::kSelfOrSuperuser) {
      if (!description.empty()) description += "\n\n";
      description += "The user `" + r->self_param + "` names, or a superuser.";
      break;
    }
  for (const Route* r : routes)
    if (const RatePolicy* p = r->rate_policy ? r->rate_policy : r->contract->rate_policy;
        p && r->limit == Limit::kGeneral) {
      if (!description.empty()) description += "\n\n";
      description += "Rate limited by the `" + std::string(p->name) + "` policy (" + to_string(p->rule) +
                     " by default: " + std::to_string(p->rule.count) + " requests per " +
                     std::to_string(p->rule.window_s) + " s and a burst of " + std::to_string(p->rule.burst) +
                     ", " + (p->key == RateKey::kClientIp ? "per client IP" : "per user, per client IP when anonymous") +
                     ").";
      break;
    }
  for (const Route* r : routes)
    if (r->limit == Limit::kAuth) {
      if (!description.empty()) description += "\n\n";
      description += "Rate limited per client IP with the authentication limit.";
      break;
    }
  if (!description.empty()) op["description"] = description;
  op["operationId"] = operation_id(method, path, operation_ids);

  json parameters = json::array();
  const ParsedPattern& first = patterns.front();
  for (size_t i = 0; i < first.params.size(); ++i) {
    std::vector<json> schemas;
    for (const auto& p : patterns) schemas.push_back(p.params[i].schema);
    parameters.push_back({{"name", first.params[i].name}, {"in", "path"}, {"required", true}, {"schema", any_of(schemas)}});
  }
  std::vector<std::string> query_names;
  std::map<std::string, std::vector<json>> query_schemas;
  for (const Route* r : routes)
    for (const auto& [name, schema] : r->doc.query) {
      add_unique(query_names, name);
      query_schemas[name].push_back(schema);
    }
  if (ws) {
    add_unique(query_names, "token");
    query_schemas["token"].push_back(schema_for_type(""));
  }
  for (const auto& name : query_names)
    parameters.push_back({{"name", name}, {"in", "query"}, {"required", false}, {"schema", any_of(query_schemas[name])}});
  if (!parameters.empty()) op["parameters"] = std::move(parameters);

  std::vector<json> requests;
  for (const Route* r : routes) requests.push_back(r->doc.request_schema);
  if (json body = any_of(requests); !body.is_null())
    op["requestBody"] = {{"required", true}, {"content", content_of(body)}};

  json responses = json::object();
  if (ws) responses["101"] = {{"description", "Switching Protocols: the WebSocket is open"}};
  std::map<int, std::vector<json>> by_status;
  for (const Route* r : routes)
    if (!r->ws || r->handler) by_status[r->doc.success_status].push_back(r->doc.response_schema);
  for (const auto& [status, schemas] : by_status) {
    json response = {{"description", std::string(http::obsolete_reason(static_cast<http::status>(status)))}};
    if (json schema = any_of(schemas); !schema.is_null()) response["content"] = content_of(schema);
    responses[std::to_string(status)] = std::move(response);
  }
  std::vector<json> errors;
  for (const Route* r : routes) errors.push_back(ref(r->contract->dialect.error_schema_name()));
  responses["default"] = {{"description", "An error, in the shape of the route's contract"},
                          {"content", content_of(any_of(errors))}};
  op["responses"] = std::move(responses);

  if (all_user) op["security"] = json::array({{{"bearer", json::array()}}});
  else if (any_user) op["security"] = json::array({{{"bearer", json::array()}}, json::object()});
  else op["security"] = json::array();

  if (ws) op["x-websocket"] = true;
  json list = json::array();
  for (const Route* r : routes) list.push_back({{"pattern", r->pattern}, {"contract", name_of(*r)}});
  op["x-almanac-routes"] = std::move(list);
  return op;
}

}  // namespace

json openapi_document(const Router& router) {
  // Group the routes by OpenAPI path, then by method, keeping table order.
  struct Group {
    std::vector<http::verb> methods;
    std::map<http::verb, std::vector<const Route*>> routes;
    std::map<http::verb, std::vector<ParsedPattern>> patterns;
    ParsedPattern first;
  };
  std::vector<std::string> order;
  std::map<std::string, Group> groups;
  std::vector<const Contract*> contracts;  // in the order their routes come
  for (const Route& r : router.routes()) {
    ParsedPattern p = parse_pattern(r.pattern);
    auto [it, fresh] = groups.try_emplace(p.group_key);
    Group& g = it->second;
    if (fresh) {
      order.push_back(p.group_key);
      g.first = p;
    }
    if (!g.routes.count(r.method)) g.methods.push_back(r.method);
    g.routes[r.method].push_back(&r);
    g.patterns[r.method].push_back(std::move(p));
    if (std::find(contracts.begin(), contracts.end(), r.contract) == contracts.end()) contracts.push_back(r.contract);
  }

  json paths = json::object();
  std::set<std::string> operation_ids;
  for (const auto& key : order) {
    Group& g = groups[key];
    std::string path = openapi_path(g.first);
    json item = json::object();
    for (http::verb m : g.methods) {
      std::string name(http::to_string(m));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      // The first route's parameter names name the path for every method.
      std::vector<ParsedPattern> patterns = g.patterns[m];
      for (size_t i = 0; i < g.first.params.size(); ++i) patterns.front().params[i].name = g.first.params[i].name;
      item[name] = operation(m, g.routes[m], patterns, path, operation_ids);
    }
    paths[path] = std::move(item);
  }

  json tags = json::array();
  for (const Contract* c : contracts)
    tags.push_back({{"name", c->name}, {"description", c->description}});

  return {{"openapi", "3.1.0"},
          {"info",
           {{"title", "almanac"},
            {"version", ALMANAC_VERSION},
            {"description", "An event-sourced calendar backend serving five API contracts over one "
                            "domain. Each route answers errors in its contract's shape; every route "
                            "takes and gives JSON or MessagePack (application/x-msgpack)."}}},
          {"servers", json::array({{{"url", "/"}}})},
          {"tags", std::move(tags)},
          {"paths", std::move(paths)},
          {"components", components(router)}};
}

net::awaitable<Response> openapi_json(Exchange& ex) {
  Response res{http::status::ok, ex.req.version()};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-cache");
  res.body() = openapi_document(ex.service.router()).dump();
  res.prepare_payload();
  co_return res;
}

}  // namespace almanac::api
