// The HTTP vocabulary of api/: Beast request/response types and the
// namespaces every api/ file uses. Only api/ includes Beast.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace almanac::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using json = nlohmann::ordered_json;  // keys keep the order handlers write them in

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// An API contract (api/contract.hpp): the routes of one document and how
// they word their errors.
struct Contract;

}  // namespace almanac::api
