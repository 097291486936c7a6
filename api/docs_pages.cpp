#include "api/docs_pages.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include "api/handler.hpp"
#include "api/service.hpp"

#ifndef ALMANAC_WEB_ASSETS_RELATIVE
#define ALMANAC_WEB_ASSETS_RELATIVE "../web/node_modules"
#endif

namespace almanac::api::docs {

namespace fs = std::filesystem;

namespace {

// Everything a page may load. The request names one of these; nothing else
// is ever opened.
struct AssetFile {
  std::string_view name;      // the {file} in /docs/assets/{file}
  std::string_view path;      // under the assets directory
  std::string_view type;
  bool needed;                // the pages do not work without it
};

constexpr std::string_view kJs = "text/javascript; charset=utf-8";
constexpr std::string_view kCss = "text/css; charset=utf-8";
constexpr std::string_view kMap = "application/json";

constexpr AssetFile kAssets[] = {
    {"swagger-ui.css", "swagger-ui-dist/swagger-ui.css", kCss, true},
    {"swagger-ui-bundle.js", "swagger-ui-dist/swagger-ui-bundle.js", kJs, true},
    {"favicon-32x32.png", "swagger-ui-dist/favicon-32x32.png", "image/png", true},
    {"favicon-16x16.png", "swagger-ui-dist/favicon-16x16.png", "image/png", false},
    {"redoc.standalone.js", "redoc/bundles/redoc.standalone.js", kJs, true},
    {"swagger-ui.css.map", "swagger-ui-dist/swagger-ui.css.map", kMap, false},
    {"swagger-ui-bundle.js.map", "swagger-ui-dist/swagger-ui-bundle.js.map", kMap, false},
    {"redoc.standalone.js.map", "redoc/bundles/redoc.standalone.js.map", kMap, false},
};

// Starts Swagger UI on /openapi.json. A file rather than an inline script, so
// the pages' policy can allow scripts from this server only. No validator:
// Swagger UI would otherwise send the document to an outside service.
constexpr std::string_view kSwaggerInit = R"js(window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
)js";

// What the browser may load for the pages: this server only (Redoc runs its
// search in a worker made from a blob, and both set inline styles).
constexpr std::string_view kPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'";

constexpr std::string_view kSwaggerPage = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>almanac API - Swagger UI</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-init.js"></script>
</body>
</html>
)html";

constexpr std::string_view kRedocPage = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>almanac API - Redoc</title>
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" sizes="32x32">
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<redoc spec-url="/openapi.json"></redoc>
<script src="/docs/assets/redoc.standalone.js"></script>
</body>
</html>
)html";

struct Loaded {
  std::string body;
  std::string etag;
};

std::string etag_of(std::string_view bytes) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  std::ostringstream out;
  out << '"' << std::hex << h << '-' << std::dec << bytes.size() << '"';
  return out.str();
}

// Files read so far, by path. A missing file is not remembered, so assets
// installed while the server runs are found on the next request.
std::mutex cache_mu;
std::map<std::string, std::shared_ptr<const Loaded>> cache;  // guarded by cache_mu

std::shared_ptr<const Loaded> load(const fs::path& path) {
  std::string key = path.string();
  {
    std::lock_guard lock(cache_mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in && !in.eof()) return nullptr;
  auto loaded = std::make_shared<Loaded>();
  loaded->body = std::move(bytes).str();
  loaded->etag = etag_of(loaded->body);
  std::lock_guard lock(cache_mu);
  return cache.try_emplace(key, std::move(loaded)).first->second;
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

Response html(const Request& req, http::status status, std::string body) {
  Response res{status, req.version()};
  res.set(http::field::content_type, "text/html; charset=utf-8");
  res.set(http::field::cache_control, "no-cache");
  res.set("Content-Security-Policy", kPolicy);
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

std::vector<std::string> missing_assets(const std::string& dir) {
  std::vector<std::string> missing;
  for (const auto& a : kAssets) {
    std::error_code ec;
    if (a.needed && !fs::is_regular_file(fs::path(dir) / a.path, ec)) missing.emplace_back(a.path);
  }
  return missing;
}

// The answer when the assets are not installed: what is missing, where the
// server looked, and how to install them.
Response not_installed(const Request& req, std::string_view reader, const std::string& dir,
                       const std::vector<std::string>& missing) {
  std::string list;
  for (const auto& m : missing) list += "<li><code>" + html_escape(m) + "</code></li>\n";
  std::string body = R"html(<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>almanac API - reader not installed</title>
<style>body { font-family: sans-serif; max-width: 46em; margin: 3em auto; line-height: 1.5; }
code { background: #f2f2f2; padding: 0 .2em; }</style></head>
<body>
<h1>The API reader is not installed</h1>
<p>This page renders the API description with )html" +
                     std::string(reader) + R"html(, whose files this server does not find in
<code>)html" + html_escape(dir) + R"html(</code>. Missing:</p>
<ul>
)html" + list + R"html(</ul>
<p>To install them, run <code>scripts/install-deps.sh</code> from the source tree: it installs
npm's <code>swagger-ui-dist</code> and <code>redoc</code> packages into
<code>build/web/node_modules</code>, where a server built under <code>build/</code> looks by
default. To use another directory, start the server with <code>--web-assets DIR</code> (or
<code>ALMANAC_WEB_ASSETS=DIR</code>), DIR being a <code>node_modules</code> directory holding
both packages. No restart is needed after installing into the directory in use.</p>
<p>The API description itself needs nothing installed:
<a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
</body>
</html>
)html";
  return html(req, http::status::service_unavailable, std::move(body));
}

Response page(Exchange& ex, std::string_view reader, std::string_view text) {
  std::string dir = web_assets_dir(ex.service.config().web_assets);
  if (auto missing = missing_assets(dir); !missing.empty()) return not_installed(ex.req, reader, dir, missing);
  return html(ex.req, http::status::ok, std::string(text));
}

Response asset_response(const Request& req, std::string_view type, const std::string& body,
                        const std::string& etag) {
  if (req[http::field::if_none_match] == etag) {
    Response res{http::status::not_modified, req.version()};
    res.set(http::field::etag, etag);
    res.set(http::field::cache_control, "public, max-age=86400");
    res.prepare_payload();
    return res;
  }
  Response res{http::status::ok, req.version()};
  res.set(http::field::content_type, type);
  res.set(http::field::cache_control, "public, max-age=86400");
  res.set(http::field::etag, etag);
  res.set("X-Content-Type-Options", "nosniff");
  res.body() = body;
  res.prepare_payload();
  return res;
}

}  // namespace

std::string default_web_assets_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return ALMANAC_WEB_ASSETS_RELATIVE;
  return (exe.parent_path() / ALMANAC_WEB_ASSETS_RELATIVE).lexically_normal().string();
}

std::string web_assets_dir(const std::string& configured) {
  return configured.empty() ? default_web_assets_dir() : configured;
}

bool assets_present(const std::string& dir) { return missing_assets(dir).empty(); }

net::awaitable<Response> swagger_page(Exchange& ex) { co_return page(ex, "Swagger UI", kSwaggerPage); }

net::awaitable<Response> redoc_page(Exchange& ex) { co_return page(ex, "Redoc", kRedocPage); }

net::awaitable<Response> swagger_init(Exchange& ex) {
  static const std::string body(kSwaggerInit);
  static const std::string etag = etag_of(body);
  co_return asset_response(ex.req, kJs, body, etag);
}

net::awaitable<Response> asset(Exchange& ex) {
  const std::string* file = ex.params.get("file");
  for (const auto& a : kAssets) {
    if (!file || *file != a.name) continue;
    auto loaded = load(fs::path(web_assets_dir(ex.service.config().web_assets)) / a.path);
    if (!loaded) break;
    co_return asset_response(ex.req, a.type, loaded->body, loaded->etag);
  }
  co_return refuse(ex, ex.dialect().refusal(Refusal::kNotFound));
}

}  // namespace almanac::api::docs
