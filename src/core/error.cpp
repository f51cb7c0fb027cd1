#include "facekit/error.hpp"

namespace facekit {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return "invalid_argument";
    case ErrorCode::FileNotFound: return "file_not_found";
    case ErrorCode::DecodeFailed: return "decode_failed";
    case ErrorCode::ImageTooLarge: return "image_too_large";
    case ErrorCode::NoFace: return "no_face";
    case ErrorCode::ModelMissing: return "model_missing";
    case ErrorCode::ModelCorrupt: return "model_corrupt";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::Internal: return "internal";
  }
  return "unknown";
}

}  // namespace facekit
