// server.cpp - serve_session(): runs one Session on a strand of the
// socket's executor and makes sure nothing escapes.
#include "smtp/server.h"

#include "smtp/session.h"
#include "util/log.h"

namespace sm::smtp {

asio::awaitable<void> serve_session(asio::ip::tcp::socket socket, const ServerOptions& options,
                                    TransactionHandler& handler) {
  try {
    auto strand = asio::make_strand(socket.get_executor());
    auto session = std::make_shared<Session>(std::move(socket), options, handler, strand);
    co_await asio::co_spawn(strand, session->run(), asio::use_awaitable);
  } catch (const std::exception& e) {
    log::error("smtpd: session failed: {}", e.what());
  } catch (...) {
    log::error("smtpd: session failed: unknown exception");
  }
}

}  // namespace sm::smtp
