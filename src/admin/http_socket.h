// http_socket.h - socket settings every SecureMail HTTP listener on
// cpp-httplib uses (the admin listener, `securemail directory serve`).
#pragma once

#include <httplib.h>
#include <sys/socket.h>

namespace sm::admin {

// TCP_NODELAY: without it Nagle plus delayed ACK add ~40 ms to every
// keep-alive answer. Only SO_REUSEADDR: cpp-httplib's default SO_REUSEPORT
// lets a second server bind a port already in use and share its
// connections, so a mistaken second start would go unnoticed.
inline void tune_listener(httplib::Server& server) {
  server.set_tcp_nodelay(true);
  server.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
}

}  // namespace sm::admin
