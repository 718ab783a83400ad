// tests/bench/mqtt_wire.h — just enough MQTT 3.1.1 over a blocking TCP
// socket for the load generator and sink: CONNECT, PUBLISH QoS 1, PUBACK,
// SUBSCRIBE. Reads and writes go through 256 KiB buffers, so one syscall
// carries hundreds of packets: on this machine (a PVM guest, where a syscall
// costs microseconds) libmosquitto's one send() per PUBLISH and three recv()
// per incoming packet made the generator, not the broker, the bottleneck.
// Single thread; any protocol or socket error ends the process (benchmark).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace edgegw::bench {

class MqttWire {
 public:
  // Called for each PUBLISH received (sink) and each PUBACK (generator).
  struct Handler {
    virtual ~Handler() = default;
    virtual void on_publish(std::string_view topic, std::string_view payload) = 0;
    virtual void on_puback(uint16_t id) = 0;
  };

  MqttWire(const std::string& host, int port, const std::string& client_id, bool clean, Handler& h) : h_(h) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    if (fd_ < 0 || inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1 ||
        ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      fail("connect to " + host + ":" + std::to_string(port));
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // latency runs: no Nagle delay
    std::string body;
    put_str(body, "MQTT");
    body += char(4);                   // protocol level 3.1.1
    body += char(clean ? 0x02 : 0);    // connect flags
    body += char(0), body += char(0);  // keepalive 0: off (runs are short, the socket is loopback)
    put_str(body, client_id);
    packet(0x10, body);
    flush();
    while (!connacked_) read_some(-1);
  }
  ~MqttWire() {
    out_.append("\xe0\x00", 2);  // DISCONNECT
    flush();
    ::close(fd_);
  }

  void publish(std::string_view topic, std::string_view payload, uint16_t id) {
    std::string& b = scratch_;
    b.clear();
    put_str(b, topic);
    b += char(id >> 8), b += char(id & 0xff);
    b.append(payload);
    packet(0x32, b);  // PUBLISH, QoS 1
    if (out_.size() > kFlushAt) flush();
  }
  void subscribe(const std::string& filter) {
    std::string b;
    b += char(0), b += char(1);  // packet id 1
    put_str(b, filter);
    b += char(1);  // QoS 1
    packet(0x82, b);
    flush();
    while (!subacked_) read_some(-1);
  }

  void flush() {
    size_t off = 0;
    while (off < out_.size()) {
      ssize_t n = ::send(fd_, out_.data() + off, out_.size() - off, MSG_NOSIGNAL);
      if (n <= 0) fail("send");
      off += size_t(n);
    }
    out_.clear();
  }
  // Waits up to timeout_ms (-1: forever) for bytes, handles every complete
  // packet, and sends the PUBACKs they asked for. False on timeout.
  bool read_some(int timeout_ms) { return read_some_us(timeout_ms < 0 ? -1 : int64_t(timeout_ms) * 1000); }
  // The same to the microsecond: a fixed-rate generator waits well under
  // 1 ms between messages, and poll()'s 0 ms would make it spin a core.
  bool read_some_us(int64_t timeout_us) {
    pollfd p{fd_, POLLIN, 0};
    const timespec ts{time_t(timeout_us / 1000000), long(timeout_us % 1000000) * 1000};
    int r = ::ppoll(&p, 1, timeout_us < 0 ? nullptr : &ts, nullptr);
    if (r == 0) return false;
    if (r < 0) fail("poll");
    if (in_.size() - in_end_ < 65536) in_.resize(in_.size() * 2 + 65536);
    ssize_t n = ::recv(fd_, in_.data() + in_end_, in_.size() - in_end_, 0);
    if (n <= 0) fail("connection closed by the broker");
    in_end_ += size_t(n);
    parse();
    if (!out_.empty()) flush();
    return true;
  }

 private:
  static constexpr size_t kFlushAt = 256 * 1024;

  [[noreturn]] static void fail(const std::string& what) {
    std::fprintf(stderr, "loadgen: %s\n", what.c_str());
    std::exit(2);
  }
  static void put_str(std::string& b, std::string_view s) {
    b += char(s.size() >> 8), b += char(s.size() & 0xff);
    b.append(s);
  }
  void packet(uint8_t type, std::string_view body) {
    out_ += char(type);
    size_t len = body.size();
    do {  // remaining length, 7 bits per byte
      uint8_t byte = len % 128;
      len /= 128;
      out_ += char(len > 0 ? byte | 0x80 : byte);
    } while (len > 0);
    out_.append(body);
  }

  void parse() {
    size_t pos = 0;
    for (;;) {
      if (in_end_ - pos < 2) break;
      size_t len = 0, mult = 1, i = pos + 1;
      bool complete = false;
      for (; i < in_end_ && i < pos + 5; ++i) {
        len += (uint8_t(in_[i]) & 0x7f) * mult;
        mult *= 128;
        if (!(uint8_t(in_[i]) & 0x80)) {
          complete = true;
          ++i;
          break;
        }
      }
      if (!complete || in_end_ - i < len) break;
      handle(uint8_t(in_[pos]), std::string_view(in_.data() + i, len));
      pos = i + len;
    }
    std::memmove(in_.data(), in_.data() + pos, in_end_ - pos);
    in_end_ -= pos;
  }

  void handle(uint8_t type, std::string_view body) {
    switch (type >> 4) {
      case 2:  // CONNACK
        if (body.size() < 2 || body[1] != 0) fail("connection refused");
        connacked_ = true;
        break;
      case 3: {  // PUBLISH
        const int qos = (type >> 1) & 3;
        const size_t tlen = (uint8_t(body[0]) << 8) | uint8_t(body[1]);
        std::string_view topic = body.substr(2, tlen);
        size_t off = 2 + tlen;
        if (qos > 0) {
          out_ += char(0x40), out_ += char(2), out_ += body[off], out_ += body[off + 1];  // PUBACK
          off += 2;
        }
        h_.on_publish(topic, body.substr(off));
        break;
      }
      case 4:  // PUBACK
        h_.on_puback(uint16_t((uint8_t(body[0]) << 8) | uint8_t(body[1])));
        break;
      case 9:  // SUBACK
        if (body.size() < 3 || uint8_t(body[2]) == 0x80) fail("subscription refused");
        subacked_ = true;
        break;
      default: break;
    }
  }

  int fd_ = -1;
  Handler& h_;
  std::string out_, scratch_;
  std::vector<char> in_;
  size_t in_end_ = 0;
  bool connacked_ = false, subacked_ = false;
};

}  // namespace edgegw::bench
