// gateway/base/base64.h — RFC 4648 base64 (standard alphabet, with padding),
// for payloads that are not UTF-8 in the events files of `edgegw test` and
// `edgegw journal export` (`payload_base64`). Pure; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace edgegw::gateway {

std::string base64_encode(std::string_view bytes);
// nullopt for anything but canonical padded base64 (no whitespace).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace edgegw::gateway
