// directory_serve.cpp - `securemail directory serve`: the authority's
// publication point. GET (and HEAD) /feed.cms, /authority.pem, /crl.pem
// over plain HTTP on cpp-httplib, each with a strong ETag (SHA-256 of the
// bytes) and Last-Modified, answering 304 to a matching If-None-Match (or,
// without one, an If-Modified-Since not older than the file).
//
// Files are read again on every request, so a new `publish` or CRL is
// served at once with no restart. Plain HTTP is enough: the feed is a
// signed CMS object that every gateway verifies against the authority
// certificate it already holds, and nothing served is secret. It must never
// serve any other file of AUTH (ca.key lives there).
//
// With port 0 the OS chooses; the first line on stdout is always
// "listening on HOST:PORT" (flushed) so scripts and tests can read it.
// SIGTERM or SIGINT stops it (exit 0).
#include <httplib.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <iostream>
#include <thread>

#include "admin/http_server.h"
#include "admin/http_socket.h"
#include "util/hex.h"
#include "app/directory_parts.h"
#include "config/config.h"
#include "directory/registry.h"
#include "pki/key.h"

namespace sm::app::dir {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxServedFile = std::size_t{256} << 20;

struct ServedFile {
  const char* route;
  fs::path path;
  const char* content_type;
};

std::string http_date(std::time_t t) {
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::time_t parse_http_date(const std::string& text) {
  struct tm tm {};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return end ? timegm(&tm) : 0;
}

std::string strong_etag(std::string_view body) {
  unsigned char md[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  if (!EVP_Q_digest(nullptr, "SHA256", nullptr, body.data(), body.size(), md, &len)) return {};
  return "\"" + to_hex(md, len) + "\"";
}

void serve_file(const ServedFile& f, const httplib::Request& req, httplib::Response& res) {
  res.set_header("Cache-Control", "no-cache");
  struct stat st {};
  if (::stat(f.path.c_str(), &st) != 0) {
    res.status = 404;
    res.set_content(f.path.filename().string() + " has not been published yet\n", "text/plain");
    return;
  }
  auto body = pki::read_file(f.path, kMaxServedFile);
  if (!body) {
    res.status = 500;
    res.set_content("cannot read " + f.path.filename().string() + "\n", "text/plain");
    std::cerr << "securemail directory serve: " << body.error().text << "\n";
    return;
  }
  std::string etag = strong_etag(*body);
  res.set_header("ETag", etag);
  res.set_header("Last-Modified", http_date(st.st_mtime));
  bool not_modified = req.has_header("If-None-Match")
                          ? admin::etag_matches(req.get_header_value("If-None-Match"), etag)
                          : req.has_header("If-Modified-Since") &&
                                parse_http_date(req.get_header_value("If-Modified-Since")) >= st.st_mtime;
  if (not_modified) {
    res.status = 304;
    return;
  }
  res.set_content(std::move(*body), f.content_type);
}

void add_routes(httplib::Server& server, const fs::path& auth) {
  const ServedFile files[] = {
      {"/feed.cms", directory::Registry::feed_file(auth), "application/pkcs7-mime; smime-type=signed-data"},
      {"/authority.pem", pki::Authority::certificate_file(auth), "application/x-pem-file"},
      {"/crl.pem", pki::Authority::crl_file(auth), "application/x-pem-file"},
  };
  for (const auto& file : files)
    server.Get(file.route, [file](const httplib::Request& req, httplib::Response& res) { serve_file(file, req, res); });
  server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    std::cerr << "securemail directory serve: " << req.remote_addr << " " << req.method << " " << req.path << " "
              << res.status << "\n";
  });
}

}  // namespace

int serve_feed(const Args& a) {
  const char* what = "directory serve";
  auto ep = config::parse_endpoint(a.listen, true);
  if (!ep) return bad_usage(what, "--listen: \"" + a.listen + "\": " + ep.error());
  fs::path auth = fs::absolute(a.authority).lexically_normal();
  std::error_code ec;
  if (!fs::exists(auth / "ca.pem", ec))
    return bad_usage(what, "--authority: " + auth.string() + " is not an authority folder (no ca.pem)");

  // Block the stop signals before any thread starts, so every thread
  // inherits the mask and this one alone takes them in sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int s : {SIGTERM, SIGINT, SIGUSR1}) sigaddset(&stop_signals, s);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  httplib::Server server;
  admin::tune_listener(server);
  add_routes(server, auth);
  int port = ep->port;
  if (port == 0) port = server.bind_to_any_port(ep->host);
  else if (!server.bind_to_port(ep->host, port)) port = -1;
  if (port <= 0) return failed(what, "cannot listen on " + a.listen + " (address in use, or not an address of this host)");
  std::cout << "listening on " << config::Endpoint{ep->host, static_cast<std::uint16_t>(port)}.str() << std::endl;
  std::cerr << "securemail " << what << ": serving /feed.cms, /authority.pem and /crl.pem from " << auth.string() << "\n";

  std::thread http([&server] {
    server.listen_after_bind();
    ::kill(::getpid(), SIGUSR1);  // wake the sigwait below if the server ends on its own
  });
  int sig = 0;
  sigwait(&stop_signals, &sig);
  server.stop();
  http.join();
  std::cerr << "securemail " << what << ": stopped (" << (sig == SIGUSR1 ? "server ended" : strsignal(sig)) << ")\n";
  return 0;
}

}  // namespace sm::app::dir
