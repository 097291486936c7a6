// ReadModels: every in-memory read model of almanac behind one lock.
//
// The models (users, sessions and password resets, calendars, events with
// their ACL, participants and time index, tasks, polls with live tallies,
// inbox items, notifications) are built only by applying the event log, so a
// replay from position 1 rebuilds exactly the state the server had;
// checksum() and counts() let `almanac verify` compare two such states.
// docs/read-models.md describes every model, index and notification rule.
//
// Concurrency contract (one writer, many readers):
// - apply_batch() is called by one thread at a time, the writer's: after
//   each durable commit, and during replay. It takes the exclusive lock once per
//   batch, for the apply alone, so readers see either none or all of a batch,
//   never part of it.
// - Every query takes the shared lock, copies what it needs into plain view
//   structs (views.hpp) and releases the lock before returning. No reference,
//   pointer or iterator into the models escapes, so no caller holds the lock
//   across I/O and a view stays valid after later batches.
// - The lock (RwLock) prefers a waiting writer over new readers, so a steady
//   read load cannot delay commits indefinitely.
// - Each query is one consistent snapshot; two calls may straddle a batch.
//   Queries that must agree with each other are combined into one call
//   (e.g. gathering()).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "events/event.hpp"
#include "projections/views.hpp"

namespace almanac::proj {

// An event with its tasks and polls, read under one lock.
struct GatheringView {
  EventView event;
  std::vector<TaskView> tasks;   // id order
  std::vector<PollView> polls;   // id order
};

class ReadModels {
 public:
  ReadModels();
  ~ReadModels();
  ReadModels(const ReadModels&) = delete;
  ReadModels& operator=(const ReadModels&) = delete;

  // ---- the writer side ------------------------------------------------------
  // Applies committed envelopes in order. Envelopes at or below position() are
  // skipped (already applied), so re-delivering a batch is harmless. Events
  // that refer to a missing aggregate change nothing. Single writer only.
  void apply_batch(std::span<const Envelope> events);

  // The last applied log position (0 before any event).
  uint64_t position() const;
  // A digest of every model and the position, independent of hash-map
  // iteration order and stable across runs of the same build.
  uint64_t checksum() const;
  // users (live), sessions, calendars, events, tasks, polls, ballots,
  // inbox_items, notifications: in this order, read under one lock.
  std::vector<std::pair<std::string, uint64_t>> counts() const;

  // ---- users ----------------------------------------------------------------
  // Deleted accounts are not found unless include_deleted.
  std::optional<UserView> user(int64_t id, bool include_deleted = false) const;
  std::optional<UserView> user_by_uuid(const ev::Uuid& uuid) const;
  std::optional<UserView> user_by_username(std::string_view username) const;  // exact
  std::optional<UserView> user_by_email(std::string_view email) const;        // any ASCII case
  // Username first, then email (login forms that accept either).
  std::optional<UserView> user_by_login(std::string_view username_or_email) const;
  // Live accounts in id order; the cost does not grow with `skip`.
  Page<UserView> users(size_t skip, size_t limit) const;
  // The aggregates a live feed of `user`'s domain events starts from
  // (projections/user_feed.hpp).
  FeedSeed feed_seed(int64_t user) const;

  // ---- sessions, password resets --------------------------------------------
  std::optional<SessionView> session(int64_t id) const;
  // The session exists and has not ended (logout, revocation, reuse, deletion).
  bool session_active(int64_t id) const;
  std::optional<PasswordResetView> password_reset(std::string_view token_hash) const;

  // ---- calendars ------------------------------------------------------------
  std::optional<CalendarView> calendar(int64_t id) const;
  std::optional<CalendarView> calendar_by_uuid(const ev::Uuid& uuid) const;
  std::optional<CalendarView> calendar_by_name(int64_t owner_id, std::string_view name) const;
  std::vector<CalendarView> calendars_of(int64_t owner_id) const;  // id order

  // ---- events ---------------------------------------------------------------
  std::optional<EventView> event(int64_t id) const;
  std::optional<EventView> event_by_uuid(const ev::Uuid& uuid) const;
  // Every event ever scheduled, deleted ones included.
  std::optional<Identity> event_identity(int64_t id) const;
  // Owner, or the user's ACL role; nullopt when neither (or no such event).
  std::optional<ev::Role> role_of(int64_t user, int64_t event_id) const;
  // Public, owned, or shared with the user.
  bool can_view(int64_t user, int64_t event_id) const;
  Page<EventView> events(const EventQuery& q) const;
  OccurrencePage occurrences(const OccurrenceQuery& q) const;
  // The event with its tasks and polls (polls as seen by viewer at now).
  std::optional<GatheringView> gathering(int64_t event_id, int64_t now, int64_t viewer) const;

  // ---- tasks ----------------------------------------------------------------
  std::optional<TaskView> task(int64_t id) const;
  Page<TaskView> tasks(const TaskQuery& q) const;

  // ---- polls ----------------------------------------------------------------
  std::optional<PollView> poll(int64_t id, int64_t now, int64_t viewer) const;
  Page<PollView> polls(const PollQuery& q) const;
  // Open polls whose ends_at is <= now (ends_at order), and the earliest
  // ends_at of an open poll: what the server's poll closer works from.
  std::vector<int64_t> polls_due(int64_t now) const;
  std::optional<int64_t> next_poll_deadline() const;

  // ---- inbox ----------------------------------------------------------------
  std::optional<InboxItemView> inbox_item(int64_t id) const;
  std::optional<InboxItemView> inbox_item_by_uuid(const ev::Uuid& uuid) const;
  Page<InboxItemView> inbox(int64_t owner_id, std::optional<ev::InboxStatus> status,
                            size_t skip, size_t limit) const;
  Page<InboxItemView> inbox(const InboxQuery& q) const;
  // Every item ever captured, deleted ones included.
  std::optional<Identity> inbox_identity(int64_t id) const;

  // ---- notifications --------------------------------------------------------
  // Newest first, with the user's total and unread counts.
  NotificationPage notifications(int64_t user, size_t skip, size_t limit,
                                 bool unread_only = false) const;
  std::optional<NotificationView> notification(int64_t id) const;  // carries user_id
  // For live pushing: the user's notifications with id > after_id, oldest first.
  std::vector<NotificationView> notifications_after(int64_t user, int64_t after_id,
                                                    size_t limit = 1000) const;
  // The highest notification id so far (0 when none).
  int64_t last_notification_id() const;

 private:
  struct Models;
  // The models, the position and the lock that guards them (Models::lock:
  // shared for queries, exclusive in apply_batch). Allocated once, never replaced.
  std::unique_ptr<Models> m_;
};

}  // namespace almanac::proj
