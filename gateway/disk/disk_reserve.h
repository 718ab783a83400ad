// gateway/disk/disk_reserve.h — a file of reserved space in the state_dir.
//
// On a full disk SQLite cannot delete a row: a delete writes WAL frames, and
// the checkpoint that would let the WAL be reused grows the database file
// (reliability reference §2.4: "DELETE also fails"). The reserve is space
// taken up front with fallocate and given back when SQLite reports
// SQLITE_FULL, so the drain's deletes and the checkpoint get through; it is
// taken again once there is room (DiskBudget::can_restore_reserve).
//
// Threads: one (the engine's). Failures are Status values; a reserve that
// cannot be made whole (the disk is already full at start) is kept at the
// size it reached and counted as debt by the budget.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace edgegw::gateway {

class DiskReserve {
 public:
  DiskReserve(std::string path, uint64_t target) : path_(std::move(path)), target_(target) {}

  // Brings the file to its target size (fallocate, so the blocks are really
  // taken, also on tmpfs). On ENOSPC it keeps what it got and fails.
  Status restore();
  // Truncates the file to 0 bytes; returns the bytes given back.
  uint64_t release();
  // The file's allocated size now (0 when missing).
  uint64_t held() const;
  uint64_t target() const { return target_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  uint64_t target_;
};

}  // namespace edgegw::gateway
