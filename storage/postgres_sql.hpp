// The SQL of the PostgreSQL event log: the one place in code that names its
// tables and columns. docs/storage-format.md §6 describes the same layout; a
// change here is a change of the format and must be made there too (and
// raise kFormat when old logs no longer read).
//
// Statements run with binary parameters and results (storage/pg_client.hpp),
// prepared once per connection. Tables are unqualified: they live in the
// connection's search_path, so one database can hold several logs, one per
// schema (options=-csearch_path=... in the conninfo).
#pragma once

#include <cstdint>

namespace almanac::storage::sql {

inline constexpr int32_t kFormat = 1;

// Creates the tables when missing, one creator at a time.
inline constexpr const char* kCreateTables = R"sql(
BEGIN;
SELECT pg_advisory_xact_lock(6151312346719405056);
CREATE TABLE IF NOT EXISTS almanac_control (
  id             smallint    PRIMARY KEY CHECK (id = 1),
  format         integer     NOT NULL,
  epoch          bigint      NOT NULL,
  head           bigint      NOT NULL,
  writer_node    text        NOT NULL DEFAULT '',
  writer_address text        NOT NULL DEFAULT '',
  writer_since   timestamptz
);
CREATE TABLE IF NOT EXISTS almanac_log (
  position  bigint   PRIMARY KEY,
  category  smallint NOT NULL,
  stream_id bigint   NOT NULL,
  version   bigint   NOT NULL,
  envelope  bytea    NOT NULL,
  CONSTRAINT almanac_log_stream_version UNIQUE (category, stream_id, version)
);
CREATE TABLE IF NOT EXISTS almanac_idempotency (
  actor_id  bigint NOT NULL,
  key       bytea  NOT NULL,
  positions bytea  NOT NULL,
  PRIMARY KEY (actor_id, key)
);
CREATE TABLE IF NOT EXISTS almanac_meta (
  name  bytea PRIMARY KEY,
  value bytea NOT NULL
);
INSERT INTO almanac_control (id, format, epoch, head) VALUES (1, 1, 0, 0) ON CONFLICT (id) DO NOTHING;
COMMIT;
)sql";

// The control table's oid (NULL: no log here).
inline constexpr const char* kTableOid = "SELECT to_regclass('almanac_control')::oid::int8";
inline constexpr const char* kFormatOf = "SELECT format FROM almanac_control WHERE id = 1";

// The control row, and whether a session holds the writer's lock ($1, $2:
// the high and low halves of its key, as pg_locks shows an int8 key).
inline constexpr const char* kControl =
    "SELECT epoch, head, writer_node, writer_address, "
    "coalesce((extract(epoch FROM writer_since) * 1000000)::int8, 0), "
    "EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::int8::oid "
    "AND objid = $2::int8::oid AND objsubid = 1 AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) "
    "FROM almanac_control WHERE id = 1";

inline constexpr const char* kLastPosition = "SELECT coalesce(max(position), 0)::int8 FROM almanac_log";
inline constexpr const char* kLastEntry =
    "SELECT position, envelope FROM almanac_log ORDER BY position DESC LIMIT 1";

inline constexpr const char* kStreamVersion =
    "SELECT coalesce(max(version), 0)::int8 FROM almanac_log "
    "WHERE category = $1 AND stream_id = $2 AND position <= $3";

inline constexpr const char* kReadPositions =
    "SELECT position, envelope FROM almanac_log WHERE position = ANY($1) ORDER BY position";

inline constexpr const char* kScan =
    "SELECT position, envelope FROM almanac_log WHERE position >= $1 AND position <= $2 "
    "ORDER BY position LIMIT $3";

inline constexpr const char* kReadStream =
    "SELECT position, envelope FROM almanac_log "
    "WHERE category = $1 AND stream_id = $2 AND version >= $3 AND position <= $4 "
    "ORDER BY version LIMIT $5";

inline constexpr const char* kFindIdempotent =
    "SELECT positions FROM almanac_idempotency WHERE actor_id = $1 AND key = $2";

inline constexpr const char* kPutMeta =
    "INSERT INTO almanac_meta (name, value) VALUES ($1, $2) "
    "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value";
inline constexpr const char* kInsertMetaIfAbsent =
    "INSERT INTO almanac_meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";
inline constexpr const char* kGetMeta = "SELECT value FROM almanac_meta WHERE name = $1";
inline constexpr const char* kAllMeta = "SELECT name, value FROM almanac_meta ORDER BY name";

// The highest stream id of each category, one index probe per category.
inline constexpr const char* kStreamBounds = R"sql(
WITH RECURSIVE c(category) AS (
  SELECT min(category) FROM almanac_log
  UNION ALL
  SELECT (SELECT min(l.category) FROM almanac_log l WHERE l.category > c.category)
  FROM c WHERE c.category IS NOT NULL)
SELECT category, (SELECT max(l.stream_id) FROM almanac_log l WHERE l.category = c.category)
FROM c WHERE category IS NOT NULL
)sql";

// ---- the writer's role ---------------------------------------------------------

inline constexpr const char* kTryLock = "SELECT pg_try_advisory_lock($1)";
// Gives the writer's lock back at once, rather than when the server notices
// the closed session (the next writer should not wait for that).
inline constexpr const char* kUnlock = "SELECT pg_advisory_unlock($1)";
// Waits for the row lock of a commit in flight, so that commit is in the head.
inline constexpr const char* kClaim =
    "UPDATE almanac_control SET epoch = epoch + 1, writer_node = $1, writer_address = $2, "
    "writer_since = now() WHERE id = 1 RETURNING epoch, head";
inline constexpr const char* kRenew = "SELECT 1";

// One commit: one statement, so one transaction and one WAL flush. The fence
// raises the head only where epoch ($1) and head ($2) are the writer's; every
// insert reads from it, so a fenced commit inserts nothing. The notification
// goes out when the transaction commits.
//   $1 epoch, $2 head before, $3 head after, $4..$8 the events (position,
//   category, stream id, version, envelope), $9..$11 the idempotency records
//   (actor, key, positions), $12 the channel.
inline constexpr const char* kAppend = R"sql(
WITH fence AS (
  UPDATE almanac_control SET head = $3 WHERE id = 1 AND epoch = $1 AND head = $2 RETURNING 1
), appended AS (
  INSERT INTO almanac_log (position, category, stream_id, version, envelope)
  SELECT e.position, e.category, e.stream_id, e.version, e.envelope
  FROM fence CROSS JOIN unnest($4::int8[], $5::int2[], $6::int8[], $7::int8[], $8::bytea[])
    AS e(position, category, stream_id, version, envelope)
  RETURNING 1
), keyed AS (
  INSERT INTO almanac_idempotency (actor_id, key, positions)
  SELECT k.actor_id, k.key, k.positions
  FROM fence CROSS JOIN unnest($9::int8[], $10::bytea[], $11::bytea[]) AS k(actor_id, key, positions)
  RETURNING 1
), notified AS (
  SELECT pg_notify($12, $3::text) FROM fence
)
SELECT (SELECT count(*) FROM fence), (SELECT count(*) FROM appended),
       (SELECT count(*) FROM keyed), (SELECT count(*) FROM notified)
)sql";

// ---- tools -----------------------------------------------------------------------

inline constexpr const char* kVerifyBegin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
inline constexpr const char* kVerifyScan =
    "SELECT position, category, stream_id, version, envelope FROM almanac_log "
    "WHERE position >= $1 ORDER BY position LIMIT $2";
inline constexpr const char* kVerifyIdempotency =
    "SELECT actor_id, key, positions FROM almanac_idempotency ORDER BY actor_id, key";
inline constexpr const char* kControlHead = "SELECT head FROM almanac_control WHERE id = 1";

// The bulk loader's transaction: the control row is held until COMMIT.
inline constexpr const char* kImportBegin = "BEGIN";
inline constexpr const char* kImportLock = "SELECT head FROM almanac_control WHERE id = 1 FOR UPDATE";
inline constexpr const char* kImportAnyEvent = "SELECT EXISTS (SELECT 1 FROM almanac_log)";
inline constexpr const char* kImportCopyLog =
    "COPY almanac_log (position, category, stream_id, version, envelope) FROM STDIN (FORMAT binary)";
inline constexpr const char* kImportCopyKeys =
    "COPY almanac_idempotency (actor_id, key, positions) FROM STDIN (FORMAT binary)";
inline constexpr const char* kImportHead = "UPDATE almanac_control SET head = $1 WHERE id = 1";

}  // namespace almanac::storage::sql
