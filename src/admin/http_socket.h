// http_socket.h - settings every SecureMail HTTP listener on cpp-httplib
// uses (the admin listener, the HTTPS web listeners, `securemail directory
// serve`): socket options and the one rule for request bodies.
#pragma once

#include <httplib.h>
#include <sys/socket.h>

namespace sm::admin {

// A request body must say its length. httplib 0.11 holds a body to
// set_payload_max_length only through Content-Length (a longer one it
// reads and drops, so the client still gets the 413); a chunked body it
// reads whole into memory, however large. So any Transfer-Encoding gets
// 411 Length Required (RFC 9110 15.5.12) before a byte of it is read.
inline httplib::Server::HandlerResponse refuse_unsized_body(const httplib::Request& req, httplib::Response& res) {
  if (!req.has_header("Transfer-Encoding")) return httplib::Server::HandlerResponse::Unhandled;
  res.status = 411;
  res.set_header("Connection", "close");
  res.set_content("a request body needs a Content-Length\n", "text/plain; charset=utf-8");
  return httplib::Server::HandlerResponse::Handled;
}

// TCP_NODELAY: without it Nagle plus delayed ACK add ~40 ms to every
// keep-alive answer. Only SO_REUSEADDR: cpp-httplib's default SO_REUSEPORT
// lets a second server bind a port already in use and share its
// connections, so a mistaken second start would go unnoticed. And the
// body rule above.
inline void tune_listener(httplib::Server& server) {
  server.set_tcp_nodelay(true);
  server.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server.set_pre_routing_handler(refuse_unsized_body);
}

}  // namespace sm::admin
