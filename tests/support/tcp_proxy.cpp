#include "support/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace edgegw::testing {
namespace {

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

TcpProxy::~TcpProxy() {
  if (thread_.joinable()) {
    char c = 0;
    (void)!::write(stop_pipe_[1], &c, 1);
    thread_.join();
  }
  for (int fd : {listen_fd_, stop_pipe_[0], stop_pipe_[1]}) {
    if (fd >= 0) ::close(fd);
  }
}

Status TcpProxy::start() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0 || ::pipe2(stop_pipe_, O_CLOEXEC) != 0) {
    return Status::error("tcp proxy", std::strerror(errno));
  }
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { run(); });
  return Status();
}

// Pairs of (client, server) fds; a closed side closes the pair.
void TcpProxy::run() {
  std::vector<std::pair<int, int>> pairs;
  char buf[64 * 1024];
  for (;;) {
    std::vector<pollfd> fds = {{stop_pipe_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (auto [c, s] : pairs) {
      fds.push_back({c, POLLIN, 0});
      fds.push_back({s, POLLIN, 0});
    }
    ::poll(fds.data(), fds.size(), 200);
    if (fds[0].revents) break;
    // Only the pairs polled above have entries in fds: one accepted below
    // waits for the next round (reading past fds was an ASan finding).
    const size_t polled = pairs.size();
    if (fds[1].revents & POLLIN) {
      int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0 && cut_) {
        ::close(c);
      } else if (c >= 0) {
        int s = connect_to(target_port_);
        if (s < 0) {
          ::close(c);
        } else {
          pairs.emplace_back(c, s);
          ++accepted_;
        }
      }
    }
    if (cut_) {
      for (auto [c, s] : pairs) {
        ::close(c);
        ::close(s);
      }
      pairs.clear();
      continue;
    }
    std::vector<size_t> dead;
    for (size_t i = 0; i < polled; ++i) {
      auto [c, s] = pairs[i];
      for (int side = 0; side < 2; ++side) {
        const pollfd& p = fds[2 + 2 * i + side];
        if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::read(p.fd, buf, sizeof buf);
        if (n <= 0) {
          dead.push_back(i);
          break;
        }
        if (silent_) continue;  // swallowed: no reply, no RST
        const int to = side == 0 ? s : c;
        for (ssize_t off = 0; off < n;) {
          ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
          if (w <= 0) break;
          off += w;
        }
      }
    }
    for (auto it = dead.rbegin(); it != dead.rend(); ++it) {
      ::close(pairs[*it].first);
      ::close(pairs[*it].second);
      pairs.erase(pairs.begin() + static_cast<std::ptrdiff_t>(*it));
    }
  }
  for (auto [c, s] : pairs) {
    ::close(c);
    ::close(s);
  }
}

}  // namespace edgegw::testing
