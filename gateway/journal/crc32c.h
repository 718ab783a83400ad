// gateway/journal/crc32c.h — CRC-32C (Castagnoli), the checksum of journal records.
//
// Same polynomial and conventions as iSCSI, ext4 and LevelDB's crc32c:
// crc32c("123456789") == 0xE3069283. Pure functions, any thread, no failure.
// On x86-64 CPUs with SSE4.2 the crc32 instruction is used (picked once at
// run time); every other target, arm64 included, uses a slicing-by-8 table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace edgegw::gateway {

// Returns the CRC-32C of `crc`'s input followed by data[0, n): pass the value a
// previous call returned (or 0 to start) to checksum a buffer in pieces.
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t n);

inline uint32_t crc32c(const void* data, size_t n) { return crc32c_extend(0, data, n); }
inline uint32_t crc32c(std::string_view s) { return crc32c_extend(0, s.data(), s.size()); }

namespace detail {
// The table path, always available; exposed so tests can compare it with the
// hardware path on the same input.
uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t n);
// True when crc32c_extend() uses the CPU's crc32 instruction.
bool crc32c_hardware();
}  // namespace detail

}  // namespace edgegw::gateway
