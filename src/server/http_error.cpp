#include "server/http_error.hpp"

namespace facekit::server {

int http_status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument:
    case ErrorCode::DecodeFailed:
    case ErrorCode::Unsupported:
      return 400;
    case ErrorCode::FileNotFound:
      return 404;
    case ErrorCode::ImageTooLarge:
      return 413;
    case ErrorCode::NoFace:
      return 422;  // well-formed, but there is nothing to work on
    case ErrorCode::ModelMissing:
    case ErrorCode::ModelCorrupt:
      return 503;  // the server's installation, not the request
    case ErrorCode::Internal:
      break;
  }
  return 500;
}

const char* status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

}  // namespace facekit::server
