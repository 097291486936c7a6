// PostgresEventStore: the event log in PostgreSQL, shared by the nodes of a
// cluster (DESIGN.md §8), behind the same EventStore interface as the
// embedded RocksDB store.
//
// Four tables (layout, indexes and isolation in docs/storage-format.md §6):
// `almanac_log` (position -> the encoded envelope, byte for byte what the
// RocksDB store keeps, with its stream and version as columns under a unique
// index that is the stream index), `almanac_idempotency`, `almanac_meta` and
// the one-row `almanac_control` (format, head, the writer's epoch and
// identity). Every commit is one statement, so one transaction and one WAL
// flush: it raises the control row's head only where its epoch and head are
// what the writer expects (the fence), inserts the events and idempotency
// records, and notifies the followers.
//
// One node at a time is the writer: the one whose writer session holds the
// log's advisory lock (try_lead). The lock lives as long as that session,
// which PostgreSQL ends after `lease` of silence (idle_session_timeout): a
// writer that dies or stops answering loses it, and the next writer bumps the
// epoch, which refuses every later commit of the old one. Commits run on the
// writer session itself, so a writer whose session was ended cannot append
// even before it learns of the new epoch.
//
// libpq stays behind this header: callers see only almanac types.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "events/event_store.hpp"
#include "storage/log_copy.hpp"
#include "storage/store_hooks.hpp"

namespace almanac::storage {

namespace pg {
class Connection;
class Pool;
}  // namespace pg

struct PostgresOptions {
  // A libpq connection string or URI ("postgresql://user@host/db", "host=...").
  std::string conninfo;
  // Create the tables when they are missing.
  bool create_if_missing = true;
  // Open without writing anything: appends and put_meta fail with
  // FailedPrecondition, and no table is created.
  bool read_only = false;
  // Connections for reads and the checks of prepare(), besides the writer
  // session and listeners.
  size_t connections = 4;
};

// The control row: who writes the log, since when, and where it ends.
struct WriterRecord {
  uint64_t epoch = 0;     // raised by each new writer; 0: never had one
  uint64_t head = 0;      // last committed position
  std::string node;       // the writer's node id ("" before the first)
  std::string address;    // where it takes forwarded commands (host:port)
  int64_t since_us = 0;   // when it claimed the log, UTC microseconds
  bool held = false;      // a session holds the writer's lock now: the writer lives
};

// What a node claims the writer's role with.
struct WriterClaim {
  std::string node;
  std::string address;
  // PostgreSQL ends the writer session after this long without a statement:
  // the writer must renew_lease() well within it.
  std::chrono::milliseconds lease{3000};
};

// "PostgreSQL database D on H:P as U": a conninfo for messages, without
// its password. The conninfo itself when it does not read.
std::string describe_conninfo(const std::string& conninfo);

// True when `log` names a PostgreSQL database (a postgresql:// or
// postgres:// URI, or a key=value conninfo) rather than a directory.
bool is_postgres_log(const std::string& log);

// Thread safety: as EventStore says for prepare() and commit(), which only
// the writer calls (try_lead / resign while no append is in flight); all
// reads, refresh_head(), renew_lease(), writer() and verify() from any thread.
class PostgresEventStore final : public EventStore {
 public:
  // Connects, creates the tables when missing (unless read-only), checks the
  // format and the tail: the control row's head is the last position of the
  // log and the last entry verifies. DataLoss when they disagree,
  // FailedPrecondition for another format, NotFound when there is no log and
  // it may not be created, Unavailable when the server cannot be reached.
  static Result<std::unique_ptr<PostgresEventStore>> open(const PostgresOptions& options);

  ~PostgresEventStore() override;
  PostgresEventStore(const PostgresEventStore&) = delete;
  PostgresEventStore& operator=(const PostgresEventStore&) = delete;

  // EventStore. Appends need the writer's role (try_lead): otherwise every
  // result is Unavailable. A transaction with no events succeeds with an
  // empty outcome and records nothing; InvalidArgument for an event without
  // category or payload. A failed or fenced commit fails all its results with
  // Unavailable, ends the writer's role (the session is closed, so the lock
  // goes with it) and refuses every later append until try_lead succeeds
  // again. head() is the last position this store committed or learned of
  // (refresh_head); reads see the log up to it.
  std::unique_ptr<PreparedAppend> prepare(std::vector<Transaction> batch) override;
  std::unique_ptr<PreparedAppend> join(std::unique_ptr<PreparedAppend> onto,
                                       std::unique_ptr<PreparedAppend> next) override;
  std::vector<Result<AppendOutcome>> commit(std::unique_ptr<PreparedAppend> prepared) override;
  uint64_t head() const override;
  // 0 when the stream is unknown, and also when the database cannot be read.
  uint64_t stream_version(StreamId stream) const override;
  Status scan(uint64_t from, uint64_t limit, const ScanFn& fn) const override;
  Result<std::vector<Envelope>> read_stream(StreamId stream, uint64_t from_version,
                                            uint64_t limit) const override;
  Result<std::optional<std::vector<uint64_t>>> find_idempotent(
      int64_t actor_id, std::string_view key) const override;
  Status put_meta(std::string_view key, std::string_view value) override;
  Result<std::optional<std::string>> get_meta(std::string_view key) const override;

  // "PostgreSQL 15.4": the server and its version, for status pages.
  std::string engine_description() const;

  // ---- the writer's role ----------------------------------------------------

  // Tries, without waiting, to become the writer: takes the log's advisory
  // lock on the writer session, bumps the epoch (waiting for a commit of the
  // previous writer still in flight, which then counts), records `claim`,
  // and starts appending after the head as it is then. Returns the new
  // epoch, or nullopt while another session holds the lock. Call while no
  // append is in flight.
  Result<std::optional<uint64_t>> try_lead(const WriterClaim& claim);
  // Proves the writer is alive (a statement on the writer session, within
  // the lease). Unavailable, and the role is over, when the session is gone:
  // PostgreSQL ended it, or the connection broke.
  Status renew_lease();
  // Gives the role up: closes the writer session, which releases the lock.
  void resign();
  bool leading() const { return leading_.load(std::memory_order_acquire); }
  // The epoch of this store's current or last term (0: never led).
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }
  // The control row as committed now.
  Result<WriterRecord> writer() const;
  // Reads the head the writer last committed and makes it this store's
  // head() (never lowering it): how a follower learns of new entries.
  Result<uint64_t> refresh_head();

  // A session that waits for the writer's notification of each commit.
  class Listener {
   public:
    virtual ~Listener() = default;
    // Waits up to `timeout`: true when a commit was notified. Unavailable
    // when the session broke (listen() again).
    virtual Result<bool> wait(std::chrono::milliseconds timeout) = 0;
  };
  Result<std::unique_ptr<Listener>> listen() const;

  // ---- tools ------------------------------------------------------------------

  // Full check of the log against one snapshot (REPEATABLE READ): positions
  // contiguous from 1, each entry verifies and its position, stream and
  // version columns agree with its envelope, stream versions contiguous from
  // 1, the idempotency records are exactly the keyed transactions of the log,
  // and the control row's head is the last position. The first problem as
  // DataLoss. `progress` (may be empty) is called now and then and at the end.
  Status verify(const VerifyProgress& progress) const;

  // The named values (put_meta), for copying.
  Result<MetaValues> meta_values() const;
  // The value of `key`, storing `candidate` first when there is none: every
  // node that asks gets the same value (shared secrets).
  Result<std::string> meta_or_insert(std::string_view key, std::string_view candidate);

  // A loader for copy_log(): FailedPrecondition unless the log is empty. One
  // transaction that holds the control row until finish() commits it.
  Result<std::unique_ptr<LogImport>> import();

  // Replaces the append observer (empty: none). Call before appends start;
  // it runs on the committing thread.
  void set_observer(AppendObserver observer);

  const std::string& conninfo() const;

 private:
  explicit PostgresEventStore(const PostgresOptions& options);

  Status create_tables();
  Status load_identity();
  Status check_tail();
  // The stream's committed version, from the cache, the bounds, or a read.
  Result<uint64_t> version_for_check(StreamId stream) const;
  Result<uint64_t> load_version(StreamId stream, uint64_t bound) const;
  Status load_stream_bounds();
  void forget_committed();
  Result<std::vector<Envelope>> read_positions(const std::vector<uint64_t>& positions) const;
  // Ends the term after a failed or fenced commit or a lost lease. writer_mu_ held.
  void end_term_locked();

  const PostgresOptions options_;
  std::unique_ptr<pg::Pool> pool_;
  std::string server_version_;
  uint64_t lock_key_ = 0;   // the advisory lock of this log (from the control table's oid)
  std::string channel_;     // the notification channel of this log

  // Last committed position this store knows of: set by its commits
  // (writer) and by refresh_head (followers); never lowered.
  std::atomic<uint64_t> head_{0};

  // The writer session: the advisory lock and every commit. Guarded by
  // writer_mu_, held across each statement on it.
  mutable std::mutex writer_mu_;
  std::unique_ptr<pg::Connection> writer_conn_;
  std::atomic<bool> leading_{false};
  std::atomic<uint64_t> epoch_{0};
  // Set by a failed commit; appends are refused until the next term.
  std::atomic<bool> broken_{false};

  // Versions of streams committed in this term. Guarded by versions_mu_.
  mutable std::shared_mutex versions_mu_;
  std::unordered_map<StreamId, uint64_t, StreamIdHash> versions_;
  // The highest stream id of each category when the term began (INT64_MIN
  // when none): a stream above it that the cache does not hold has no events.
  std::array<int64_t, 256> last_id_at_term_{};

  // Only touched by the committing thread (see set_observer).
  AppendObserver observer_;

  // Prepared batches not yet committed; preparing thread only (as in the
  // RocksDB store).
  struct PendingVersion {
    uint64_t seq;
    uint64_t version;
  };
  struct PendingKey {
    uint64_t seq;
    std::vector<Envelope> events;
  };
  uint64_t prepared_seq_ = 0;
  uint64_t prepared_head_ = 0;
  std::unordered_map<StreamId, PendingVersion, StreamIdHash> pending_versions_;
  std::map<std::pair<int64_t, std::string>, PendingKey, std::less<>> pending_keys_;
  std::atomic<uint64_t> committed_seq_{0};
};

}  // namespace almanac::storage
