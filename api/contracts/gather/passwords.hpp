// gather's registration rules, as the Django service behind its document
// checks them: Django's email validator, and its four password validators
// (minimum length 8, not entirely numeric, not too similar to the username,
// first and last names or email, not a common password). Every reason a
// password fails is reported at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/auth_flows.hpp"

namespace almanac::api::gather {

// The 1,000 most common passwords (common_passwords.cpp says where from).
const std::vector<std::string_view>& common_passwords();

// Django's EmailValidator: a dot-atom or quoted local part, a domain of
// labels with a top-level label of 2 to 63 characters (or an address literal).
bool valid_email(std::string_view email);

// The reasons `user.password` fails Django's validators, in the order of
// Django's default settings: similarity, length, common, numeric.
std::vector<std::string> password_problems(const auth::NewUser& user);

// difflib.SequenceMatcher(None, a, b).ratio(): 2 * matches / (|a| + |b|).
double similarity(std::string_view a, std::string_view b);

// Model<NewUser>::rule: the email and password rules as problems at body.email
// and body.password.
void registration_rules(const auth::NewUser& user, const Loc& base, std::vector<Problem>& problems);

}  // namespace almanac::api::gather
