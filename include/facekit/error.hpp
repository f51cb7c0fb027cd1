// Errors facekit reports. Every failure a user can cause (bad file, missing model, no face) is an
// Error with a code, so the CLI can map it to a message and an exit status and the server to an HTTP status.
#pragma once
#include <stdexcept>
#include <string>

namespace facekit {

enum class ErrorCode {
  InvalidArgument,   // a bad option, name or value
  FileNotFound,      // an input file does not exist or cannot be read
  DecodeFailed,      // an input file is empty, truncated or not an image
  ImageTooLarge,     // the image header announces more pixels than allowed
  NoFace,            // detection found no face and enforce_detection is on
  ModelMissing,      // a model file is absent
  ModelCorrupt,      // a model file is present but damaged (size, header, checksum)
  Unsupported,       // a model or file uses something facekit cannot do
  Internal,
};

const char* to_string(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace facekit
