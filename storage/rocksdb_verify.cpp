// RocksEventStore, the checks of what is on disk: check_tail(), which open()
// runs so that a torn or damaged tail is refused as DataLoss instead of
// served, and verify(), the full check of the log, the stream index and the
// meta records against one snapshot. docs/storage-format.md §4 lists what
// each of them checks.

#include "storage/rocksdb_event_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/keys.hpp"
#include "storage/rocksdb_internal.hpp"
#include "storage/transaction_check.hpp"

namespace almanac::storage {

Status RocksEventStore::check_tail() {
  const std::string where = "event store at " + dir_ + ": ";
  rocksdb::ReadOptions ro;
  std::string record;
  rocksdb::Status s = db_->Get(ro, meta_cf_, slice(keys::kHeadRecord), &record);
  uint64_t batch_first = 0, batch_last = 0;
  if (s.ok()) {
    if (record.size() != 16) return data_loss(where + "last-batch record is damaged");
    batch_first = keys::get_u64(record.data());
    batch_last = keys::get_u64(record.data() + 8);
    if (batch_first == 0 || batch_first > batch_last)
      return data_loss(where + "last-batch record is damaged");
  } else if (!s.IsNotFound()) {
    return from_rocks(s, where + "cannot read the last-batch record");
  }

  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_cf_));
  it->SeekToLast();
  if (!it->Valid()) {
    if (!it->status().ok()) return from_rocks(it->status(), where + "cannot read the log");
    if (batch_last != 0)
      return data_loss(where + "the log is empty but the last committed batch ended at position " +
                       std::to_string(batch_last) + " (entries missing at the tail)");
    head_.store(0);
    return Status::ok();
  }
  if (it->key().size() != keys::kPositionSize)
    return data_loss(where + "log key of " + std::to_string(it->key().size()) +
                     " bytes at the tail (expected 8)");
  const uint64_t last = keys::get_u64(it->key().data());
  it.reset();

  if (batch_last == 0)
    return data_loss(where + "log ends at position " + std::to_string(last) +
                     " but no batch was ever recorded as committed");
  if (last > batch_last)
    return data_loss(where + "log position " + std::to_string(last) +
                     " is past the last committed batch, which ended at position " +
                     std::to_string(batch_last) + " (torn tail)");
  if (last < batch_last)
    return data_loss(where + "log ends at position " + std::to_string(last) +
                     " but the last committed batch ended at position " +
                     std::to_string(batch_last) + " (entries missing at the tail)");

  // Every entry of the last batch: it verifies, carries its position, is
  // indexed at it, and no index entry of its stream points past the head.
  for (uint64_t p = batch_first; p <= last; ++p) {
    const std::string pos_text = "log position " + std::to_string(p);
    std::string bytes;
    s = db_->Get(ro, log_cf_, keys::position_key(p), &bytes);
    if (s.IsNotFound())
      return data_loss(where + pos_text + " of the last committed batch is missing (torn tail)");
    if (!s.ok()) return from_rocks(s, where + "cannot read " + pos_text);
    if (Status v = verify_bytes(bytes); !v)
      return data_loss(where + pos_text + " does not verify (torn tail): " + v.message());
    const auto* env = ev::GetEventEnvelope(bytes.data());
    if (env->position() != p)
      return data_loss(where + pos_text + " holds an envelope for position " +
                       std::to_string(env->position()));
    const StreamId stream{env->category(), env->stream_id()};
    const std::string what = pos_text + " (stream " + stream_text(stream) + " version " +
                             std::to_string(env->version()) + ")";
    std::string indexed;
    s = db_->Get(ro, streams_cf_, keys::stream_key(stream, env->version()), &indexed);
    if (s.IsNotFound()) return data_loss(where + what + " has no stream index entry (torn tail)");
    if (!s.ok()) return from_rocks(s, where + "cannot read the stream index for " + what);
    if (indexed.size() != 8 || keys::get_u64(indexed.data()) != p)
      return data_loss(where + "the stream index maps " + what.substr(pos_text.size() + 1) +
                       " to another position");

    std::unique_ptr<rocksdb::Iterator> next(db_->NewIterator(ro, streams_cf_));
    next->Seek(keys::stream_key(stream, env->version() + 1));
    const std::string prefix = keys::stream_prefix(stream);
    if (next->Valid() && next->key().starts_with(prefix)) {
      const uint64_t q = next->value().size() == 8 ? keys::get_u64(next->value().data()) : 0;
      if (q <= p || q > last)
        return data_loss(where + "the stream index entry after " + what + " points to position " +
                         std::to_string(q) + ", past the head " + std::to_string(last));
    } else if (!next->status().ok()) {
      return from_rocks(next->status(), where + "cannot read the stream index");
    }
  }
  head_.store(last);
  return Status::ok();
}

Status RocksEventStore::verify(const VerifyProgress& progress) const {
  // One snapshot for every read, so an append running meanwhile cannot make
  // the log and the index disagree in the middle of the check.
  struct SnapshotGuard {
    rocksdb::DB* db;
    const rocksdb::Snapshot* snap;
    ~SnapshotGuard() {
      if (snap) db->ReleaseSnapshot(snap);
    }
  } guard{db_, db_->GetSnapshot()};
  rocksdb::ReadOptions ro = bulk_read_options();
  ro.snapshot = guard.snap;

  // The head as of the snapshot: the last log key.
  uint64_t head = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_cf_));
    it->SeekToLast();
    if (it->Valid()) {
      if (it->key().size() != keys::kPositionSize)
        return data_loss("log key of " + std::to_string(it->key().size()) + " bytes at the tail");
      head = keys::get_u64(it->key().data());
    } else if (!it->status().ok()) {
      return from_rocks(it->status(), "cannot read the log");
    }
  }
  const uint64_t total = head * 2;
  constexpr uint64_t kProgressEvery = 1 << 16;
  uint64_t done = 0;
  auto tick = [&] {
    if (progress && ++done % kProgressEvery == 0) progress(done, total);
  };
  if (progress) progress(0, total);

  // Pass 1: the log. Remember each position's (stream, version) for pass 2.
  struct Entry {
    StreamId stream;
    uint64_t version = 0;
    bool indexed = false;
  };
  std::vector<Entry> entries;
  entries.reserve(head);
  std::unordered_map<StreamId, uint64_t, StreamIdHash> versions;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_cf_));
    uint64_t expected = 1;
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
      if (it->key().size() != keys::kPositionSize)
        return data_loss("log key of " + std::to_string(it->key().size()) +
                         " bytes after position " + std::to_string(expected - 1));
      const uint64_t p = keys::get_u64(it->key().data());
      if (p != expected)
        return data_loss("log position " + std::to_string(expected) + " is missing (next is " +
                         std::to_string(p) + ")");
      const std::string_view bytes = view(it->value());
      if (Status v = verify_bytes(bytes); !v)
        return data_loss("log position " + std::to_string(p) + ": " + v.message());
      const auto* env = ev::GetEventEnvelope(bytes.data());
      if (env->position() != p)
        return data_loss("log position " + std::to_string(p) + " holds an envelope for position " +
                         std::to_string(env->position()));
      const StreamId stream{env->category(), env->stream_id()};
      uint64_t& version = versions[stream];
      if (env->version() != version + 1)
        return data_loss("log position " + std::to_string(p) + ": stream " + stream_text(stream) +
                         " jumps from version " + std::to_string(version) + " to " +
                         std::to_string(env->version()));
      version = env->version();
      entries.push_back({stream, version, false});
      tick();
    }
    if (!it->status().ok()) return from_rocks(it->status(), "cannot scan the log");
  }

  // Pass 2: the stream index, against the log in both directions.
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, streams_cf_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      StreamId stream;
      uint64_t version = 0;
      if (!keys::parse_stream_key(view(it->key()), &stream, &version))
        return data_loss("stream index key of " + std::to_string(it->key().size()) +
                         " bytes (expected 17)");
      const std::string what = "stream index entry " + stream_text(stream) + " version " +
                               std::to_string(version);
      if (it->value().size() != 8) return data_loss(what + " is damaged");
      const uint64_t p = keys::get_u64(it->value().data());
      if (p == 0 || p > head)
        return data_loss(what + " points to position " + std::to_string(p) + ", past the head " +
                         std::to_string(head));
      Entry& e = entries[p - 1];
      if (e.stream != stream || e.version != version)
        return data_loss(what + " points to position " + std::to_string(p) + ", which holds " +
                         stream_text(e.stream) + " version " + std::to_string(e.version));
      if (e.indexed) return data_loss(what + " duplicates the index of position " + std::to_string(p));
      e.indexed = true;
      tick();
    }
    if (!it->status().ok()) return from_rocks(it->status(), "cannot scan the stream index");
  }
  for (uint64_t p = 1; p <= head; ++p)
    if (!entries[p - 1].indexed)
      return data_loss("log position " + std::to_string(p) + " (stream " +
                       stream_text(entries[p - 1].stream) + " version " +
                       std::to_string(entries[p - 1].version) + ") has no stream index entry");

  // The meta records: last batch and idempotency.
  {
    std::string record;
    rocksdb::Status s = db_->Get(ro, meta_cf_, slice(keys::kHeadRecord), &record);
    if (s.ok()) {
      if (record.size() != 16) return data_loss("last-batch record is damaged");
      if (keys::get_u64(record.data() + 8) != head)
        return data_loss("last committed batch ended at position " +
                         std::to_string(keys::get_u64(record.data() + 8)) +
                         " but the log ends at " + std::to_string(head));
    } else if (!s.IsNotFound()) {
      return from_rocks(s, "cannot read the last-batch record");
    } else if (head != 0) {
      return data_loss("log has " + std::to_string(head) + " entries but no last-batch record");
    }

    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, meta_cf_));
    const std::string tag(1, keys::kIdempotencyTag);
    for (it->Seek(tag); it->Valid() && it->key().starts_with(tag); it->Next()) {
      const std::string_view k = view(it->key());
      if (k.size() < 9) return data_loss("idempotency record key is damaged");
      const int64_t actor = keys::from_ordered_i64(keys::get_u64(k.data() + 1));
      const std::string_view key = k.substr(9);
      const std::string_view v = view(it->value());
      const std::string what = "idempotency record of actor " + std::to_string(actor);
      if (v.empty() || v.size() % 8 != 0) return data_loss(what + " is damaged");
      for (size_t i = 0; i < v.size(); i += 8) {
        const uint64_t p = keys::get_u64(v.data() + i);
        if (p == 0 || p > head)
          return data_loss(what + " points to position " + std::to_string(p) +
                           ", past the head " + std::to_string(head));
        std::string bytes;
        s = db_->Get(ro, log_cf_, keys::position_key(p), &bytes);
        if (!s.ok()) return from_rocks(s, "cannot read log position " + std::to_string(p));
        const auto* env = ev::GetEventEnvelope(bytes.data());
        const auto* env_key = env->idempotency_key();
        if (env->actor_id() != actor || !env_key ||
            std::string_view(env_key->c_str(), env_key->size()) != key)
          return data_loss(what + " points to position " + std::to_string(p) +
                           ", an event of another actor or key");
      }
    }
    if (!it->status().ok()) return from_rocks(it->status(), "cannot scan the meta records");
  }
  if (progress) progress(total, total);
  return Status::ok();
}

}  // namespace almanac::storage
