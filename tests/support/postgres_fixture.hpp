// A throwaway PostgreSQL 15 cluster on loopback for one test: initdb in a fresh /tmp folder, pg_ctl
// start on a free port, immediate stop and removal at the end. initdb and postgres refuse to run
// as root, so as root they run as the `postgres` user (created by Debian's postgresql package).
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/test_support.hpp"

namespace facekit::test {

class ThrowawayPostgres {
 public:
  static constexpr const char* kBin = "/usr/lib/postgresql/15/bin";

  // Why it cannot run here, or "" when it can.
  static std::string unavailable_reason() {
    for (const char* tool : {"initdb", "pg_ctl", "postgres"})
      if (!std::filesystem::exists(std::string(kBin) + "/" + tool))
        return std::string(kBin) + "/" + tool + " is not installed (Debian: apt-get install postgresql-15)";
    if (::geteuid() == 0 && run_command("id -u postgres").status != 0)
      return "running as root and there is no 'postgres' user to run the server as";
    return "";
  }

  ThrowawayPostgres() {
    char tmpl[] = "/tmp/facekit-pg-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    as_user_ = ::geteuid() == 0 ? "runuser -u postgres -- " : "";
    if (!as_user_.empty()) run_command("chown postgres '" + dir_ + "'");
    port_ = free_port();
    must("initdb", as_user_ + kBin + "/initdb --no-sync -A trust -U facekit -D '" + dir_ + "/data'");
    must("pg_ctl start", as_user_ + kBin + "/pg_ctl -w -t 60 -D '" + dir_ + "/data' -l '" + dir_ + "/log' -o \"-k '" +
                             dir_ + "' -p " + std::to_string(port_) + " -c listen_addresses=127.0.0.1\" start");
    started_ = true;
  }
  ~ThrowawayPostgres() {
    if (started_) run_command(as_user_ + kBin + "/pg_ctl -D '" + dir_ + "/data' -m immediate -w stop");
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string url() const { return "postgresql://facekit@127.0.0.1:" + std::to_string(port_) + "/postgres"; }

 private:
  void must(const std::string& what, const std::string& cmd) {
    const CommandResult r = run_command(cmd);
    if (r.status != 0) {
      const std::string log = read_file(dir_ + "/log");
      throw std::runtime_error(what + " failed (" + std::to_string(r.status) + "): " + r.err + r.out + log);
    }
  }

  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  std::string dir_, as_user_;
  int port_ = 0;
  bool started_ = false;
};

}  // namespace facekit::test
