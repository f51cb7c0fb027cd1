// Errors a request handler reports to the client: an HTTP status and a message that says what was
// wrong. facekit::Error codes map onto statuses in one place (http_status_of).
#pragma once
#include <stdexcept>
#include <string>

#include "facekit/error.hpp"

namespace facekit::server {

class HttpError : public std::runtime_error {
 public:
  HttpError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// The status that fits a library error: the client's fault (4xx) unless the server's models are broken.
int http_status_of(ErrorCode code);

// The reason phrase for the statuses the server sends ("Bad Request", ...).
const char* status_text(int status);

}  // namespace facekit::server
