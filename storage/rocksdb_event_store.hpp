// RocksEventStore: the durable event log, an EventStore on embedded RocksDB.
//
// Three column families (byte layouts in docs/storage-format.md and
// storage/keys.hpp): `log` (position -> encoded envelope), `streams`
// (stream + version -> position) and `meta` (named values, idempotency
// records, the store's own records). Every append() is one WriteBatch written
// with one WAL fsync; opening checks that the tail of the log and the stream
// index agree, so a damaged tail is reported as DataLoss instead of served.
//
// RocksDB types stay behind this header: callers see only almanac types.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "events/event_store.hpp"
#include "storage/log_copy.hpp"
#include "storage/store_hooks.hpp"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Env;
}  // namespace rocksdb

namespace almanac::storage {

struct RocksOptions {
  // Create the directory and the column families when they are missing.
  bool create_if_missing = true;
  // Open without writing anything (tools that read while no server writes).
  // append() and put_meta() then fail with FailedPrecondition.
  bool read_only = false;
  // fsync the WAL on every append (false only for benchmarks of the ceiling
  // and for tests that do not care about power loss).
  bool sync = true;
  // Environment to run on; not owned, must outlive the store. nullptr: the
  // default one. Tests pass an environment that injects I/O failures.
  rocksdb::Env* env = nullptr;
};

// Thread safety: as EventStore says, prepare() from one thread at a time and
// commit() (and put_meta(), set_observer()) from one thread at a time, the
// two concurrently; all reads, checkpoint() and verify() from any thread
// concurrently with them. Reads see exactly the positions up to head():
// an append becomes visible to readers all at once, after its fsync.
class RocksEventStore final : public EventStore {
 public:
  // Opens (or creates) the store in `dir` and checks its tail: the last log
  // entry verifies, it is indexed in `streams` at its position, and the last
  // committed batch is whole. Errors: DataLoss naming the damaged position
  // (torn tail), FailedPrecondition for a newer on-disk format, Unavailable /
  // InvalidArgument / NotFound when RocksDB cannot open the directory.
  // "RocksDB 7.8.3": the storage engine and its version, for status pages.
  static std::string engine_description();

  static Result<std::unique_ptr<RocksEventStore>> open(const std::string& dir,
                                                       const RocksOptions& options = {});

  ~RocksEventStore() override;
  RocksEventStore(const RocksEventStore&) = delete;
  RocksEventStore& operator=(const RocksEventStore&) = delete;

  // EventStore. A transaction with no events succeeds with an empty outcome
  // and records nothing. InvalidArgument for an event without category or
  // payload. On a failed write every result is Unavailable, nothing becomes
  // visible, and head/version caches are unchanged (after a crash such a
  // batch may or may not be in the log: a retry with its idempotency key is
  // safe either way). A failed write also ends appending until the store is
  // opened again: every later prepare() and commit() is Unavailable, as
  // RocksDB itself refuses writes after a failed WAL write or sync.
  std::unique_ptr<PreparedAppend> prepare(std::vector<Transaction> batch) override;
  std::unique_ptr<PreparedAppend> join(std::unique_ptr<PreparedAppend> onto,
                                       std::unique_ptr<PreparedAppend> next) override;
  std::vector<Result<AppendOutcome>> commit(std::unique_ptr<PreparedAppend> prepared) override;
  uint64_t head() const override;
  // Every column family's memtables, flushed or not yet.
  std::optional<uint64_t> buffered_bytes() const override;
  // Returns 0 when the stream is unknown, and also when the index cannot be
  // read (I/O error); append() itself never relies on this method.
  uint64_t stream_version(StreamId stream) const override;
  Status scan(uint64_t from, uint64_t limit, const ScanFn& fn) const override;
  Result<std::vector<Envelope>> read_stream(StreamId stream, uint64_t from_version,
                                            uint64_t limit) const override;
  Result<std::optional<std::vector<uint64_t>>> find_idempotent(
      int64_t actor_id, std::string_view key) const override;
  // put_meta writes durably (fsync) when the store was opened with sync.
  Status put_meta(std::string_view key, std::string_view value) override;
  Result<std::optional<std::string>> get_meta(std::string_view key) const override;

  // Writes a consistent copy of the whole store into `target_dir`, which must
  // not exist yet; open() accepts it as a data directory. Files are hard
  // links where the file system allows. Unavailable / InvalidArgument on
  // failure (nothing usable is left in `target_dir` then).
  Status checkpoint(const std::string& target_dir) const;

  // Full check of the log against a snapshot: positions contiguous from 1,
  // each entry verifies and carries its own position, stream versions
  // contiguous from 1, the stream index agrees with the log in both
  // directions, idempotency records point at events with that actor and key,
  // and the last-batch record matches the head. Returns the first problem as
  // DataLoss. `progress` (may be empty) is called now and then and at the end.
  Status verify(const VerifyProgress& progress) const;

  // The named values (put_meta), for copying.
  Result<MetaValues> meta_values() const;

  // A loader for copy_log(): FailedPrecondition unless the store holds no
  // event. It writes without syncing and makes the log durable and visible
  // in finish() (its last-batch record is written last); a store left
  // unfinished is refused at open, so copy into a new directory.
  Result<std::unique_ptr<LogImport>> import();

  // Replaces the append observer (empty: none). Call from the appender thread
  // or before appends start; the observer runs on the appender thread.
  void set_observer(AppendObserver observer);

  const std::string& dir() const { return dir_; }

 private:
  RocksEventStore(std::string dir, const RocksOptions& options);
  friend class RocksImport;

  Status check_tail();
  // DataLoss when the log ends before the head recorded at the last clean
  // close (stopped-at beside the RocksDB files).
  Status check_clean_stop() const;
  static void record_clean_stop(const std::string& dir, uint64_t head);
  // The stream's committed version if the cache holds it.
  std::optional<uint64_t> cached_version(StreamId stream) const;
  // The stream's committed version, from the cache or the index.
  Result<uint64_t> current_version(StreamId stream) const;
  // The same, answered without a scan of the index when the version is
  // `expected`: two point reads (bloom-filtered) confirm it.
  Result<uint64_t> version_expecting(StreamId stream, uint64_t expected) const;
  Result<uint64_t> load_version(StreamId stream) const;
  // Fills last_id_at_open_ from the index.
  Status load_stream_bounds();
  // Whether the index holds `version` of `stream` at a published position.
  Result<bool> has_version(StreamId stream, uint64_t version) const;
  // Drops the prepared-batch records that commits have since made durable.
  void forget_committed();
  // Reads and decodes the envelopes at `positions`; DataLoss when one is absent.
  Result<std::vector<Envelope>> read_positions(const std::vector<uint64_t>& positions) const;

  const std::string dir_;
  const RocksOptions options_;
  // Set by open(), released by the destructor; never reassigned in between.
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* log_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* default_cf_ = nullptr;

  // Last published position. Stored by the appender after the write is
  // durable and the version cache updated; readers bound their reads by it.
  std::atomic<uint64_t> head_{0};

  // Cache of committed stream versions. Guarded by versions_mu_. The appender
  // assigns the new version of every stream it wrote after each successful
  // write; readers that miss load from the index and only insert when absent,
  // so a reader can never overwrite a newer version with an older one.
  mutable std::shared_mutex versions_mu_;
  mutable std::unordered_map<StreamId, uint64_t, StreamIdHash> versions_;

  // The highest stream id of each category in the index when the store was
  // opened (INT64_MIN when none). A stream above it that the version cache
  // does not hold has no events: every stream written since open is cached.
  std::array<int64_t, 256> last_id_at_open_{};

  // Only touched by the committing thread (see set_observer).
  AppendObserver observer_;

  // Prepared batches not yet committed. Only the preparing thread touches
  // these; it learns what was committed from committed_seq_, which the
  // committing thread stores after the version cache and head_.
  struct PendingVersion {
    uint64_t seq;      // the prepared batch that set it
    uint64_t version;
  };
  struct PendingKey {
    uint64_t seq;
    std::vector<Envelope> events;  // the outcome a repeat of the key gets
  };
  uint64_t prepared_seq_ = 0;   // batches prepared so far
  uint64_t prepared_head_ = 0;  // last position they assigned
  std::unordered_map<StreamId, PendingVersion, StreamIdHash> pending_versions_;
  std::map<std::pair<int64_t, std::string>, PendingKey, std::less<>> pending_keys_;
  std::atomic<uint64_t> committed_seq_{0};
  // Set by a failed commit; from then on nothing is appended (see above).
  std::atomic<bool> broken_{false};
};

}  // namespace almanac::storage
