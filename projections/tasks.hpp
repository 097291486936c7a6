// The tasks read model: tasks of gatherings by id, by event and by assignee,
// with filtered, paginated listings.
//
// Applies the Task/* stream events. When an event is deleted ReadModels calls
// remove_event() so its tasks go with it. Tasks and the per-event and
// per-assignee sets are DenseMaps (dense ids). Not thread-safe by itself:
// ReadModels guards it (see read_models.hpp).
#pragma once

#include <cstdint>
#include <vector>

#include "events/event.hpp"
#include "projections/common.hpp"
#include "projections/views.hpp"

namespace almanac::proj {

class TasksModel {
 public:
  void apply(const Envelope& e);
  // Records that the stream of record `id` is now at `version` (after every
  // event of the stream, whatever its type).
  void set_version(int64_t id, uint64_t version);
  // Drops every task of a deleted event.
  void remove_event(int64_t event_id);

  const TaskView* find(int64_t id) const;
  std::vector<TaskView> by_event(int64_t event_id) const;  // id order
  // `participating`: the events of q.participant (nullptr when none; then a
  // query with a participant matches nothing).
  Page<TaskView> query(const TaskQuery& q, const IdSet* participating = nullptr) const;

  size_t count() const { return tasks_.size(); }
  uint64_t digest() const;

 private:
  void remove(int64_t id);
  void set_assignee(TaskView& t, std::optional<int64_t> assignee);

  DenseMap<TaskView> tasks_;
  IdIndex by_event_;
  IdIndex by_assignee_;
};

}  // namespace almanac::proj
