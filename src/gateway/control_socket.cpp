// control_socket.cpp - the control socket of a running gateway, both ends
// (see control_socket.h).
#include "gateway/control_socket.h"

#include <sys/stat.h>
#include <sys/un.h>

#include "gateway/delivery_agent.h"
#include "queue/spool.h"
#include "util/log.h"

namespace fs = std::filesystem;

namespace sm::gateway {
namespace {

// "retry ID": a deferred message is due now (a held one stays held).
Result<void> due_now(queue::Spool& spool, const std::string& id) {
  auto m = spool.load(id);
  if (!m) return std::unexpected(m.error());
  if (m->held) return local_error("message is held: " + id + "; release it first");
  m->state.next_attempt = 0;
  return spool.save_state(*m);
}

// What a control line asks of the queue: "hold ID", "release ID",
// "retry ID", "delete ID". The change is synced before the reply; a released message
// goes to delivery at once.
std::string queue_change(const std::string& line, queue::Spool& spool, DeliveryAgent& agent) {
  auto space = line.find(' ');
  std::string what = line.substr(0, space);
  std::string id = space == std::string::npos ? std::string() : line.substr(space + 1);
  Result<void> r = what == "hold"      ? spool.hold(id)
                   : what == "release" ? spool.release(id)
                   : what == "retry"   ? due_now(spool, id)
                                       : spool.remove(id);
  if (r) r = spool.sync();
  if (!r) return "error " + r.error().text + "\n";
  log::info("{}: {} by the operator", id,
            what == "delete" ? "deleted" : what == "hold" ? "held" : what == "retry" ? "retried" : "released");
  if (what == "release" || what == "retry") agent.submit(id);
  return "ok\n";
}

// One line per connection, one reply line. "reload" answers "ok" once the
// reload has begun, or "error WHY".
asio::awaitable<void> control_loop(asio::local::stream_protocol::acceptor& acceptor, DeliveryAgent& agent,
                                   queue::Spool& spool, std::function<std::string()> reload) {
  for (;;) {
    std::error_code ec;
    auto socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    std::string line;
    co_await asio::async_read_until(socket, asio::dynamic_buffer(line, 256), '\n',
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
    std::string reply = "ok\n";
    if (line == "ready") {  // answered once the loop runs: `securemail reload` waits for it
    } else if (line == "flush") agent.flush();
    else if (line == "rescan") agent.rescan();
    else if (line == "reload") reply = [&reload] { auto why = reload(); return why.empty() ? "ok\n" : "error " + why + "\n"; }();
    else if (line.starts_with("hold ") || line.starts_with("release ") || line.starts_with("delete ") ||
             line.starts_with("retry "))
      reply = queue_change(line, spool, agent);
    else reply = "unknown command\n";
    co_await asio::async_write(socket, asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace

fs::path control_socket_path(const fs::path& data_dir) { return data_dir / "run" / "control.sock"; }

bool notify_running_gateway(const fs::path& data_dir, const std::string& command) {
  auto reply = ask_running_gateway(data_dir, command);
  return reply && *reply == "ok";
}

std::optional<std::string> ask_running_gateway(const fs::path& data_dir, const std::string& command) {
  asio::io_context io;
  asio::local::stream_protocol::socket s(io);
  std::error_code ec;
  std::string path = control_socket_path(data_dir).string();
  if (path.size() >= sizeof(sockaddr_un::sun_path)) return std::nullopt;  // no gateway can listen there
  s.connect(asio::local::stream_protocol::endpoint(path), ec);
  if (ec) return std::nullopt;
  asio::write(s, asio::buffer(command + "\n"), ec);
  std::string reply;
  asio::read_until(s, asio::dynamic_buffer(reply, 1024), '\n', ec);
  auto nl = reply.find('\n');
  if (nl == std::string::npos) return std::nullopt;
  return reply.substr(0, nl);
}

ControlSocket::ControlSocket(asio::io_context& io, fs::path path) : acceptor_(io), path_(std::move(path)) {}

ControlSocket::~ControlSocket() {
  std::error_code ec;
  fs::remove(path_, ec);
}

Result<std::unique_ptr<ControlSocket>> ControlSocket::bind(asio::io_context& io, const fs::path& data_dir) {
  fs::path path = control_socket_path(data_dir);
  // A Unix socket path has a small fixed limit (sun_path): say so instead of failing obscurely.
  if (path.string().size() >= sizeof(sockaddr_un::sun_path))
    return local_error("data_dir " + data_dir.string() + " is too long: the control socket " + path.string() +
                       " must be under " + std::to_string(sizeof(sockaddr_un::sun_path)) +
                       " octets; use a shorter data_dir");
  std::error_code ec;
  fs::remove(path, ec);  // left by a gateway that did not stop cleanly
  std::unique_ptr<ControlSocket> socket(new ControlSocket(io, path));
  asio::local::stream_protocol::endpoint at(path.string());
  socket->acceptor_.open(at.protocol(), ec);
  if (!ec) socket->acceptor_.bind(at, ec);
  if (!ec) socket->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return local_error("control socket " + path.string() + ": " + ec.message());
  ::chmod(path.c_str(), 0600);
  return socket;
}

void ControlSocket::serve(DeliveryAgent& agent, queue::Spool& spool, std::function<std::string()> reload) {
  asio::co_spawn(acceptor_.get_executor(), control_loop(acceptor_, agent, spool, std::move(reload)), asio::detached);
}

void ControlSocket::close() {
  std::error_code ec;
  acceptor_.close(ec);
}

}  // namespace sm::gateway
