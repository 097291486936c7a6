#include "api/contracts/mcal/local_user.hpp"

#include "api/identity.hpp"
#include "api/service.hpp"

namespace almanac::api::mcal {

namespace {

constexpr int kCandidates = 9;

std::string candidate(int n) { return n == 1 ? "mcal-local" : "mcal-local-" + std::to_string(n); }

}  // namespace

net::awaitable<Result<int64_t>> local_user(Service& service) {
  for (int n = 1; n <= kCandidates; ++n) {
    const std::string name = candidate(n);
    // Twice: a Conflict on the first registration may be a concurrent
    // request that registered the same account a moment earlier.
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (auto u = service.models().user_by_username(name)) {
        if (u->password_hash != kLocalUserPasswordHash) break;  // a person's account
        if (!u->is_active) co_return Result<int64_t>(unauthenticated("Account disabled"));
        co_return Result<int64_t>(u->id);
      }
      cmd::RegisterUser reg;
      reg.username = name;
      reg.email = name + "@localhost.invalid";
      reg.password_hash = std::string(kLocalUserPasswordHash);
      reg.full_name = "Local calendar user";
      cmd::CommandEnvelope env;
      env.command = std::move(reg);
      env.actor_id = 0;
      env.correlation_id = random_token_id();
      auto r = co_await service.submit(std::move(env));
      if (r.status) co_return Result<int64_t>(r.events.front().stream_id);
      if (r.status.code() != Code::kConflict) co_return Result<int64_t>(r.status);
    }
  }
  co_return Result<int64_t>(unavailable("Every name for the local calendar user is taken by an account"));
}

}  // namespace almanac::api::mcal
