#include "app/log_store.hpp"

#include <filesystem>

namespace almanac::app {

std::string LogLocation::describe() const {
  if (postgres()) return storage::describe_conninfo(log);
  std::error_code ec;
  auto p = std::filesystem::absolute(data_dir, ec);
  return ec ? data_dir : p.lexically_normal().string();
}

std::string LogStore::engine() const {
  return postgres_ ? postgres_->engine_description() : storage::RocksEventStore::engine_description();
}

Status LogStore::verify(const storage::VerifyProgress& progress) const {
  return postgres_ ? postgres_->verify(progress) : rocks_->verify(progress);
}

Result<storage::MetaValues> LogStore::meta_values() const {
  return postgres_ ? postgres_->meta_values() : rocks_->meta_values();
}

Result<std::unique_ptr<storage::LogImport>> LogStore::import() {
  return postgres_ ? postgres_->import() : rocks_->import();
}

void LogStore::set_observer(storage::AppendObserver observer) {
  if (postgres_)
    postgres_->set_observer(std::move(observer));
  else
    rocks_->set_observer(std::move(observer));
}

Result<std::unique_ptr<LogStore>> open_log(const LogLocation& where, bool read_only, bool create_if_missing,
                                           size_t connections) {
  auto opened = std::unique_ptr<LogStore>(new LogStore());
  if (where.postgres()) {
    storage::PostgresOptions o;
    o.conninfo = where.log;
    o.read_only = read_only;
    o.create_if_missing = create_if_missing && !read_only;
    o.connections = connections;
    auto store = storage::PostgresEventStore::open(o);
    if (!store) return store.status();
    opened->postgres_ = store->get();
    opened->store_ = std::move(store).value();
  } else {
    storage::RocksOptions o;
    o.read_only = read_only;
    o.create_if_missing = create_if_missing && !read_only;
    auto store = storage::RocksEventStore::open(where.data_dir, o);
    if (!store) return store.status();
    opened->rocks_ = store->get();
    opened->store_ = std::move(store).value();
  }
  return opened;
}

}  // namespace almanac::app
