#include "app/control_loop.h"

#include <chrono>

#include "common/log.h"
#include "store/zone_repo.h"
#include "zone/snapshot_builder.h"

namespace fodns::app {

ControlLoop::ControlLoop(ControlLoopConfig config, server::Publisher& publisher)
    : config_(std::move(config)), publisher_(publisher) {
  uv_loop_init(&loop_);
  uv_timer_init(&loop_, &poll_);
  poll_.data = this;
}

ControlLoop::~ControlLoop() {
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&poll_)))
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_), nullptr);
  uv_run(&loop_, UV_RUN_NOWAIT);
  uv_loop_close(&loop_);
}

Status ControlLoop::load_initial() {
  try {
    db_ = std::make_unique<store::Db>(config_.db_path);
  } catch (const std::exception& e) {
    return make_error("{}", e.what());
  }
  return rebuild("start");
}

void ControlLoop::start() { uv_timer_start(&poll_, on_poll, config_.poll_ms, config_.poll_ms); }

void ControlLoop::stop() { uv_timer_stop(&poll_); }

void ControlLoop::on_poll(uv_timer_t* t) {
  auto* self = static_cast<ControlLoop*>(t->data);
  try {
    int64_t v = self->db_->data_version();
    if (v != self->data_version_) (void)self->rebuild("database changed");
  } catch (const std::exception& e) {
    std::string msg = e.what();
    if (msg != self->last_error_) {
      log::error("msg=\"cannot read database; still serving the last snapshot\" error=\"{}\"", msg);
      self->last_error_ = msg;
    }
  }
}

Status ControlLoop::rebuild(const char* why) {
  auto t0 = std::chrono::steady_clock::now();
  try {
    // Read the version before the data: a commit racing with the load is seen next poll.
    int64_t version = db_->data_version();
    std::vector<dns::ZoneContent> zones;
    {
      // One read transaction, so all zones come from the same commit.
      db_->exec("BEGIN");
      try {
        zones = store::load_all_zones(*db_);
      } catch (...) {
        db_->exec("ROLLBACK");
        throw;
      }
      db_->exec("COMMIT");
    }
    auto t1 = std::chrono::steady_clock::now();
    auto built = zone::SnapshotBuilder::build(zones, ++generation_);
    if (!built) {
      if (built.error().message != last_error_) {
        log::error("msg=\"cannot build snapshot; still serving the last one\" error=\"{}\"",
                   built.error().message);
        last_error_ = built.error().message;
      }
      data_version_ = version;
      return built.error();
    }
    current_ = *built;
    publisher_.publish(current_);
    data_version_ = version;
    last_error_.clear();
    auto t2 = std::chrono::steady_clock::now();
    using ms = std::chrono::duration<double, std::milli>;
    log::info("msg=\"snapshot published\" reason=\"{}\" generation={} zones={} records={} "
              "load_ms={:.1f} build_ms={:.1f} bytes={}",
              why, current_->generation(), current_->zone_count(), current_->record_count(),
              ms(t1 - t0).count(), ms(t2 - t1).count(), current_->memory_bytes());
    return ok_status();
  } catch (const std::exception& e) {
    std::string msg = e.what();
    if (msg != last_error_) {
      log::error("msg=\"cannot read database; still serving the last snapshot\" error=\"{}\"", msg);
      last_error_ = msg;
    }
    return make_error("{}", msg);
  }
}

}  // namespace fodns::app
