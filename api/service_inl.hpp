// Template members of Service (included by service.hpp).
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>

namespace almanac::api {

template <typename Fn>
net::awaitable<std::invoke_result_t<Fn>> Service::run_blocking(Fn fn) {
  using R = std::invoke_result_t<Fn>;
  auto ex = co_await net::this_coro::executor;
  // The initiation captures only pointers into this frame (alive until the
  // job completes): GCC 12 may destroy a temporary of a co_await expression
  // twice, and a captured executor or job destroyed twice corrupts the heap.
  Fn* job = &fn;
  const auto* exec = &ex;
  co_return co_await net::async_initiate<decltype(net::use_awaitable), void(R)>(
      [this, job, exec](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        net::post(*blocking_, [h, ex = *exec, job]() mutable {
          auto result = std::make_shared<std::optional<R>>((*job)());
          net::post(ex, [h, result]() mutable { (*h)(std::move(**result)); });
        });
      },
      net::use_awaitable);
}

}  // namespace almanac::api
