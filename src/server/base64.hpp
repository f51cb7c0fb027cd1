// Base64 (RFC 4648, standard alphabet) for images sent in JSON bodies and faces sent back.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace facekit::server {

// Decodes standard base64; whitespace is ignored, padding optional. nullopt for any other character
// or an impossible length.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);
std::string base64_encode(const std::uint8_t* data, std::size_t size);

}  // namespace facekit::server
