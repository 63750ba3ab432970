// control_socket.h - the gateway's control socket (DATA/run/control.sock,
// mode 0600): how `securemail queue`, `securemail reload` and the console's
// queue actions reach a running gateway. One line per connection ("ready",
// "flush", "rescan", "reload", "hold ID", "release ID", "retry ID",
// "delete ID"), one reply line ("ok", "error WHY" or "unknown command").
#pragma once

#include <asio.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "util/error.h"

namespace sm::queue {
class Spool;
}

namespace sm::gateway {

class DeliveryAgent;

// Path of the control socket of the gateway using this data folder.
std::filesystem::path control_socket_path(const std::filesystem::path& data_dir);

// Tell a running gateway something ("flush", "rescan"). False when no
// gateway is listening or it did not answer "ok".
bool notify_running_gateway(const std::filesystem::path& data_dir, const std::string& command);

// Ask a running gateway to change its queue: "hold ID", "release ID",
// "delete ID". Its reply line ("ok", or "error TEXT" saying why not, such
// as "no such message in the queue: ID"); nullopt when no gateway answers.
std::optional<std::string> ask_running_gateway(const std::filesystem::path& data_dir, const std::string& command);

// The daemon's end: bound (replacing a stale socket file left by a crash)
// before the gateway says it is ready, served on the event loop, closed
// when it winds down, and its file removed when destroyed.
class ControlSocket {
 public:
  // Errors name the path (and say when data_dir is too long for a Unix
  // socket path).
  static Result<std::unique_ptr<ControlSocket>> bind(asio::io_context& io, const std::filesystem::path& data_dir);
  ~ControlSocket();

  // Answer requests until close(). `reload` begins a reload and returns ""
  // or why not. Queue changes are synced before the reply; a released or
  // retried message goes to delivery at once.
  void serve(DeliveryAgent& agent, queue::Spool& spool, std::function<std::string()> reload);
  void close();

 private:
  ControlSocket(asio::io_context& io, std::filesystem::path path);
  asio::local::stream_protocol::acceptor acceptor_;
  std::filesystem::path path_;
};

}  // namespace sm::gateway
