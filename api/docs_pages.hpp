// The API readers: GET /docs (Swagger UI) and GET /redoc (Redoc), both
// rendering /openapi.json, with every asset served by this server from
// /docs/assets/{file}: the pages make no request to any other host (their
// Content-Security-Policy says so to the browser too).
//
// The assets are npm's swagger-ui-dist and redoc packages, installed by
// scripts/install-deps.sh into build/web/node_modules (never committed). The
// server looks for them in ServerConfig::web_assets, or when that is empty in
// default_web_assets_dir(). When they are missing, /docs and /redoc answer 503
// with a page saying how to install them; /openapi.json works regardless.
//
// Installed assets are a fixed list of file names (no path from the request reaches the
// file system), read once and kept in memory, sent with an ETag (304 on
// If-None-Match) and a day of caching.
#pragma once

#include <string>

#include "api/router.hpp"

namespace almanac::api::docs {

// The directory holding swagger-ui-dist/ and redoc/ when no setting names
// one: the build's web/node_modules, found relative to the running binary
// (the path from the build directory is set by CMake).
std::string default_web_assets_dir();

// The directory in use for `configured` (the setting, possibly empty).
std::string web_assets_dir(const std::string& configured);

// True when every asset the pages need is present under `dir`.
bool assets_present(const std::string& dir);

net::awaitable<Response> swagger_page(Exchange& ex);
net::awaitable<Response> redoc_page(Exchange& ex);
net::awaitable<Response> asset(Exchange& ex);         // /docs/assets/{file}: installed files
net::awaitable<Response> swagger_init(Exchange& ex);  // /docs/assets/swagger-init.js: built in

}  // namespace almanac::api::docs
