// RocksEventStore, opening and reading: open() with the options of each
// column family and the format record, the bounds of the stream ids in the
// index that the append path uses to know new streams without a read, and the
// reads (head, stream_version, scan, read_stream, find_idempotent, get_meta),
// which see exactly the positions up to the published head, with put_meta and
// checkpoint. The append path is in rocksdb_append.cpp, the check of the tail
// on open and verify() in rocksdb_verify.cpp; the helpers they share are in
// rocksdb_internal.hpp.

#include "storage/rocksdb_event_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/version.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/keys.hpp"
#include "storage/rocksdb_internal.hpp"
#include "storage/transaction_check.hpp"

namespace almanac::storage {

namespace {

// Scans shorter than this are subscriber tails and point reads: they keep the
// cache warm instead of reading ahead.
constexpr uint64_t kBulkScanThreshold = 4096;

// `point_reads`: the family is asked for keys that are mostly absent (is
// there a next version of this stream? was this idempotency key used?), so
// its files carry bloom filters that answer without a block read. The
// memtable has none: filling one would lengthen every durable write, which
// is what limits the writer, to shorten lookups made on another thread.
rocksdb::ColumnFamilyOptions family_options(const std::shared_ptr<rocksdb::Cache>& cache,
                                            size_t block_size, bool point_reads) {
  rocksdb::ColumnFamilyOptions cf;
  // LZ4 packs the log about as small as Snappy (RocksDB's default) and
  // decompresses in about half the time: a third of a full scan's CPU was
  // Snappy's. Files written earlier keep their own compression and still read.
  cf.compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.block_size = block_size;
  if (point_reads) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.level_compaction_dynamic_level_bytes = true;
  return cf;
}

}  // namespace

RocksEventStore::RocksEventStore(std::string dir, const RocksOptions& options)
    : dir_(std::move(dir)), options_(options) {}

RocksEventStore::~RocksEventStore() {
  if (!db_) return;
  for (auto* cf : {log_cf_, streams_cf_, meta_cf_, default_cf_})
    if (cf) db_->DestroyColumnFamilyHandle(cf).PermitUncheckedError();
  const bool closed = db_->Close().ok();
  delete db_;
  if (closed && !options_.read_only) record_clean_stop(dir_, head());
}

namespace {

// Beside the RocksDB files: the head at the last clean close. RocksDB cannot
// tell a live log file that lost whole records at its end from one that never
// had them; this file can, once the store has been closed cleanly.
constexpr const char* kStopFile = "stopped-at";

// Written to a temporary file, synced, renamed over the old one, and the
// directory synced: after a crash the file holds the old head or the new.
void write_durably(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) return;
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace

void RocksEventStore::record_clean_stop(const std::string& dir, uint64_t head) {
  write_durably(std::filesystem::path(dir) / kStopFile, std::to_string(head) + "\n");
}

Status RocksEventStore::check_clean_stop() const {
  std::ifstream in(std::filesystem::path(dir_) / kStopFile);
  uint64_t stopped = 0;
  if (!(in >> stopped) || head() >= stopped) return Status::ok();
  return data_loss("the log in " + dir_ + " ends at position " + std::to_string(head()) +
                   ", but it was closed cleanly at position " + std::to_string(stopped) +
                   ": the newest log file has lost its tail");
}

std::string RocksEventStore::engine_description() {
  return "RocksDB " + std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "." +
         std::to_string(ROCKSDB_PATCH);
}

namespace {

// RocksDB's own diagnostics (warnings and errors) go to standard error beside
// the server's log, never to a file in the data directory: with the disk
// full, RocksDB's background recovery logs through its file logger after
// that file already failed a write, and RocksDB aborts on that.
class StderrLogger : public rocksdb::Logger {
 public:
  explicit StderrLogger(rocksdb::InfoLogLevel level) : rocksdb::Logger(level) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    const int n = std::vsnprintf(line, sizeof line, format, ap);
    int len = std::clamp(n, 0, static_cast<int>(sizeof line) - 1);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == ' ')) --len;
    std::fprintf(stderr, "almanac: storage: %.*s\n", len, line);
  }
};

}  // namespace

Result<std::unique_ptr<RocksEventStore>> RocksEventStore::open(const std::string& dir,
                                                               const RocksOptions& options) {
  std::unique_ptr<RocksEventStore> store(new RocksEventStore(dir, options));

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing && !options.read_only;
  db_options.create_missing_column_families = options.create_if_missing && !options.read_only;
  db_options.max_background_jobs = 2;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // A record cut short at the very end of the log is a write that was never
  // acknowledged (its sync had not returned); damage anywhere else refuses
  // the open instead of silently ending the log before it.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  db_options.info_log = std::make_shared<StderrLogger>(db_options.info_log_level);
  if (options.env) db_options.env = options.env;

  auto cache = rocksdb::NewLRUCache(64 << 20);
  // The log is written and read in position order: large blocks make scans
  // cheaper; the index and meta are read by key and keep small blocks.
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, family_options(cache, 4 << 10, false)},
      {keys::kLogFamily, family_options(cache, 32 << 10, false)},
      {keys::kStreamsFamily, family_options(cache, 4 << 10, true)},
      {keys::kMetaFamily, family_options(cache, 4 << 10, true)},
  };
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  // Made here so that RocksDB does not report a missing directory first.
  if (db_options.create_if_missing) {
    std::error_code made;
    std::filesystem::create_directories(dir, made);
  }
  rocksdb::Status s =
      options.read_only
          ? rocksdb::DB::OpenForReadOnly(db_options, dir, families, &handles, &db)
          : rocksdb::DB::Open(db_options, dir, families, &handles, &db);
  if (!s.ok()) return from_rocks(s, "cannot open event store at " + dir);
  store->db_ = db;
  store->default_cf_ = handles[0];
  store->log_cf_ = handles[1];
  store->streams_cf_ = handles[2];
  store->meta_cf_ = handles[3];

  std::string format;
  s = db->Get(rocksdb::ReadOptions(), store->meta_cf_, slice(keys::kFormatRecord), &format);
  if (s.ok()) {
    if (format != keys::kFormatVersion)
      return failed_precondition("event store at " + dir + " has format " + format +
                                 ", this build reads format " +
                                 std::string(keys::kFormatVersion));
  } else if (s.IsNotFound()) {
    if (!options.read_only) {
      rocksdb::WriteOptions wo;
      wo.sync = options.sync;
      s = db->Put(wo, store->meta_cf_, slice(keys::kFormatRecord), slice(keys::kFormatVersion));
      if (!s.ok()) return from_rocks(s, "cannot initialise event store at " + dir);
    }
  } else {
    return from_rocks(s, "cannot read format of event store at " + dir);
  }

  if (Status st = store->check_tail(); !st) return st;
  if (Status st = store->check_clean_stop(); !st) return st;
  if (Status st = store->load_stream_bounds(); !st) return st;
  return store;
}

Status RocksEventStore::load_stream_bounds() {
  last_id_at_open_.fill(INT64_MIN);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_cf_));
  // One seek to the last key of each category present.
  for (it->SeekToFirst(); it->Valid();) {
    const auto category = static_cast<uint8_t>(it->key()[0]);
    std::string last_of(keys::kStreamKeySize, '\xff');
    last_of[0] = static_cast<char>(category);
    it->SeekForPrev(last_of);
    StreamId stream;
    uint64_t version = 0;
    if (!it->Valid() || !keys::parse_stream_key(view(it->key()), &stream, &version))
      return data_loss("event store at " + dir_ + ": malformed stream index key");
    last_id_at_open_[category] = stream.id;
    if (category == 0xff) break;
    it->Seek(std::string(1, static_cast<char>(category + 1)));
  }
  if (!it->status().ok())
    return from_rocks(it->status(), "event store at " + dir_ + ": cannot read the stream index");
  return Status::ok();
}

uint64_t RocksEventStore::head() const { return head_.load(std::memory_order_acquire); }

std::optional<uint64_t> RocksEventStore::buffered_bytes() const {
  uint64_t total = 0;
  for (rocksdb::ColumnFamilyHandle* cf : {log_cf_, streams_cf_, meta_cf_, default_cf_}) {
    uint64_t bytes = 0;
    if (cf != nullptr && db_->GetIntProperty(cf, rocksdb::DB::Properties::kCurSizeAllMemTables, &bytes))
      total += bytes;
  }
  return total;
}

uint64_t RocksEventStore::stream_version(StreamId stream) const {
  auto v = current_version(stream);
  return v ? *v : 0;
}

Result<std::vector<Envelope>> RocksEventStore::read_positions(
    const std::vector<uint64_t>& positions) const {
  std::vector<std::string> key_bytes;
  key_bytes.reserve(positions.size());
  for (uint64_t p : positions) key_bytes.push_back(keys::position_key(p));
  std::vector<rocksdb::Slice> key_slices(key_bytes.begin(), key_bytes.end());
  std::vector<rocksdb::ColumnFamilyHandle*> cfs(positions.size(), log_cf_);
  std::vector<std::string> values;
  std::vector<rocksdb::Status> statuses =
      db_->MultiGet(rocksdb::ReadOptions(), cfs, key_slices, &values);
  std::vector<Envelope> out;
  out.reserve(positions.size());
  for (size_t i = 0; i < positions.size(); ++i) {
    const std::string pos_text = "log position " + std::to_string(positions[i]);
    if (statuses[i].IsNotFound()) return data_loss(pos_text + " is missing");
    if (!statuses[i].ok()) return from_rocks(statuses[i], "cannot read " + pos_text);
    auto e = decode(values[i]);
    if (!e) return data_loss(pos_text + ": " + e.status().message());
    out.push_back(std::move(e).value());
  }
  return out;
}

Status RocksEventStore::scan(uint64_t from, uint64_t limit, const ScanFn& fn) const {
  const uint64_t head = head_.load(std::memory_order_acquire);
  if (from == 0) from = 1;
  if (from > head) return Status::ok();
  const bool bulk = limit == 0 || limit >= kBulkScanThreshold;
  rocksdb::ReadOptions ro = bulk ? bulk_read_options() : rocksdb::ReadOptions();
  // Entries past the published head belong to an append still in flight.
  const std::string upper = keys::position_key(head + 1);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_cf_));
  uint64_t expected = from, count = 0;
  for (it->Seek(keys::position_key(from)); it->Valid(); it->Next()) {
    const rocksdb::Slice k = it->key();
    if (k.size() != keys::kPositionSize)
      return data_loss("log key of " + std::to_string(k.size()) + " bytes after position " +
                       std::to_string(expected - 1));
    const uint64_t position = keys::get_u64(k.data());
    if (position != expected)
      return data_loss("log position " + std::to_string(expected) + " is missing (next is " +
                       std::to_string(position) + ")");
    ++expected;
    if (!fn(position, view(it->value()))) return Status::ok();
    if (limit != 0 && ++count == limit) return Status::ok();
  }
  if (!it->status().ok()) return from_rocks(it->status(), "cannot scan the log");
  if (expected <= head)
    return data_loss("log position " + std::to_string(expected) + " is missing (log ends early)");
  return Status::ok();
}

Result<std::vector<Envelope>> RocksEventStore::read_stream(StreamId stream, uint64_t from_version,
                                                           uint64_t limit) const {
  const uint64_t head = head_.load(std::memory_order_acquire);
  if (from_version == 0) from_version = 1;
  const std::string prefix = keys::stream_prefix(stream);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), streams_cf_));
  std::vector<uint64_t> positions;
  for (it->Seek(keys::stream_key(stream, from_version));
       it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->value().size() != 8)
      return data_loss("damaged stream index entry in stream " + stream_text(stream));
    const uint64_t p = keys::get_u64(it->value().data());
    if (p > head) break;  // written by an append not yet published
    positions.push_back(p);
    if (limit != 0 && positions.size() == limit) break;
  }
  if (!it->status().ok())
    return from_rocks(it->status(), "cannot read stream " + stream_text(stream));
  return read_positions(positions);
}

Result<std::optional<std::vector<uint64_t>>> RocksEventStore::find_idempotent(
    int64_t actor_id, std::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_cf_,
                               keys::idempotency_key(actor_id, key), &value);
  if (s.IsNotFound()) return std::optional<std::vector<uint64_t>>();
  if (!s.ok()) return from_rocks(s, "cannot read idempotency record");
  if (value.empty() || value.size() % 8 != 0)
    return data_loss("idempotency record of actor " + std::to_string(actor_id) + " is damaged");
  std::vector<uint64_t> positions;
  positions.reserve(value.size() / 8);
  for (size_t i = 0; i < value.size(); i += 8) positions.push_back(keys::get_u64(value.data() + i));
  return std::optional<std::vector<uint64_t>>(std::move(positions));
}

Status RocksEventStore::put_meta(std::string_view key, std::string_view value) {
  if (options_.read_only) return failed_precondition("event store is open read-only");
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  return from_rocks(db_->Put(wo, meta_cf_, keys::named_key(key), slice(value)),
                    "cannot write meta value " + std::string(key));
}

Result<std::optional<std::string>> RocksEventStore::get_meta(std::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_cf_, keys::named_key(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return from_rocks(s, "cannot read meta value " + std::string(key));
  return std::optional<std::string>(std::move(value));
}

Status RocksEventStore::checkpoint(const std::string& target_dir) const {
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(db_, &raw);
  if (!s.ok()) return from_rocks(s, "cannot start a checkpoint");
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  return from_rocks(cp->CreateCheckpoint(target_dir), "cannot write checkpoint to " + target_dir);
}


}  // namespace almanac::storage
