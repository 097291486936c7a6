// The local user of a server started with --anonymous-calendars: the account
// the mcal routes act for when a request carries no token.
//
// It is an ordinary user, registered through the RegisterUser command (so it
// is in the log, and replay reproduces it) the first time an anonymous mcal
// request arrives. It is recognised by its password hash, a fixed marker that
// is not an Argon2id string: no password verifies against it, so nobody can
// log in as it, and an account registered by a person (always with a real
// hash) is never mistaken for it, whatever its name. Its username is
// "mcal-local"; when a person already holds that name, the next free one of
// "mcal-local-2" ... "mcal-local-9".
#pragma once

#include <cstdint>
#include <string_view>

#include "api/http.hpp"
#include "events/status.hpp"

namespace almanac::api {
class Service;
}

namespace almanac::api::mcal {

inline constexpr std::string_view kLocalUserPasswordHash = "!mcal-local-user";

// The local user's id, registering it on first use. Concurrent first calls
// agree on one account (the losers of the registration race find the
// winner's). Unauthenticated when the account was disabled; Unavailable when
// every candidate name is held by a person.
net::awaitable<Result<int64_t>> local_user(Service& service);

}  // namespace almanac::api::mcal
