#include "api/contracts/contracts.hpp"

#include "api/contracts/admin/admin.hpp"
#include "api/contracts/collab/collab.hpp"
#include "api/contracts/flowstate/flowstate.hpp"
#include "api/contracts/gather/gather.hpp"
#include "api/contracts/mcal/mcal.hpp"
#include "api/contracts/native/native.hpp"

namespace almanac::api {

std::span<const Contract* const> all_contracts() {
  static const Contract* const kAll[] = {&native::contract(), &collab::contract(), &flowstate::contract(),
                                         &mcal::contract(),   &admin::contract(),  &gather::contract()};
  return kAll;
}

}  // namespace almanac::api
