// gateway/journal/journal_io.h — the POSIX calls the journal makes, with errors as
// Status values ("journal/00000000000000000001.seg: No space left on device").
// Internal to journal.cpp and journal_recovery.cpp. Any thread; no exceptions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace edgegw::gateway::journal_io {

Status sys_error(std::string context, int err);

// mkdir -p with mode 0700 for every directory it creates.
Status make_dirs(const std::string& dir);

// Writes all of `data`, looping on partial writes and EINTR. Returns 0 or
// the errno (no Status: the append path builds no strings unless it fails).
int write_all(int fd, std::string_view data);

// Reads up to n bytes at `offset`, looping on short reads; `got` < n only at
// EOF. Returns 0 or the errno.
int pread_full(int fd, char* buf, size_t n, uint64_t offset, size_t& got);

// Creates (or replaces) the segment file for `first_seq` in `dir_fd` with its
// header, mode 0600, opened O_WRONLY|O_APPEND|O_CLOEXEC. With `sync` the file
// and the directory entry are synced too. On failure nothing is left behind.
Result<int> create_segment(int dir_fd, uint64_t first_seq, bool sync, const std::string& dir);

}  // namespace edgegw::gateway::journal_io
