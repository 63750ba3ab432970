// facility_listeners.cpp - the facility's strip and badtls endpoints
// (facility_listeners.h): a recording handler on an ordinary Listener.
#include "gateway/facility_listeners.h"

#include <ctime>

#include "certify/observations.h"
#include "net/tls.h"
#include "util/log.h"

namespace sm::gateway {
namespace {

// Records what a client does, takes MAIL and RCPT (so a leak shows in
// full) and refuses DATA: no content is ever taken in.
class Recorder : public smtp::TransactionHandler {
 public:
  Recorder(std::string where, std::filesystem::path log) : where_(std::move(where)), log_(std::move(log)) {}
  void record(const std::string& client, const std::string& event, const std::string& tls) {
    certify::Observation o{static_cast<std::int64_t>(std::time(nullptr)), where_, client, "", "", event, tls};
    if (auto r = certify::record_observation(log_, o); !r) log::warn("facility: observation not recorded: {}", r.error().text);
  }
  Result<void> on_mail(const smtp::SessionInfo& s, const mail::Envelope& env) override {
    log::warn("facility {} listener: MAIL FROM:<{}> from {}: recorded as a leak", where_, env.sender, s.peer_address);
    record(s.peer_address, "MAIL FROM:<" + env.sender + ">", tls_of(s));
    return {};
  }
  Result<void> on_rcpt(const smtp::SessionInfo& s, const mail::Envelope&, const mail::Recipient& r) override {
    record(s.peer_address, "RCPT TO:<" + r.address + ">", tls_of(s));
    return {};
  }
  Result<std::unique_ptr<smtp::MessageSink>> on_data(const smtp::SessionInfo& s, const mail::Envelope&) override {
    record(s.peer_address, "DATA", tls_of(s));
    return fail(554, "5.7.0", "this is a certification decoy (" + where_ + "): no mail is taken here");
  }

 private:
  static std::string tls_of(const smtp::SessionInfo& s) { return s.tls ? s.tls_version : ""; }
  std::string where_;
  std::filesystem::path log_;
};

}  // namespace

struct FacilityListeners::Decoy {
  std::unique_ptr<Recorder> recorder;
  std::unique_ptr<Listener> listener;
};

FacilityListeners::~FacilityListeners() = default;

Result<std::unique_ptr<FacilityListeners>> FacilityListeners::open(asio::io_context& io, const config::Config& config,
                                                                   const smtp::ServerLimits& limits, Receiver& receiver,
                                                                   std::map<std::string, std::string>& bound) {
  auto out = std::make_unique<FacilityListeners>();
  out->io_ = &io;
  const auto log = certify::observations_file(config.data_dir);
  for (auto [name, at] : {std::pair{"strip", config.facility.strip}, std::pair{"badtls", config.facility.badtls}}) {
    if (!at.enabled()) continue;
    std::shared_ptr<asio::ssl::context> tls;  // strip: STARTTLS never offered
    if (std::string_view(name) == "badtls") {
      auto folder = config.data_dir / "certify" / "badtls";
      std::error_code ec;
      std::filesystem::create_directories(folder, ec);
      if (auto made = net::ensure_self_signed(folder / "cert.pem", folder / "key.pem", "badtls." + config.domain); !made)
        return std::unexpected(made.error());
      auto ctx = net::server_tls_context(folder / "cert.pem", folder / "key.pem");
      if (!ctx) return std::unexpected(ctx.error());
      tls = *ctx;
    }
    auto decoy = std::make_unique<Decoy>();
    decoy->recorder = std::make_unique<Recorder>(name, log);
    decoy->listener = std::make_unique<Listener>(io, smtp::ServerOptions{config.hostname, name, limits, tls},
                                                 config.limits, receiver, *decoy->recorder, 0);
    auto ep = decoy->listener->bind(at);
    if (!ep) return std::unexpected(ep.error());
    decoy->listener->on_accept([r = decoy->recorder.get()](const std::string& ip) { r->record(ip, "connect", ""); });
    bound[name] = config::Endpoint{ep->address().to_string(), ep->port()}.str();
    log::info("facility: {} listener on {}", name, bound[name]);
    out->decoys_.push_back(std::move(decoy));
  }
  return out;
}

void FacilityListeners::start() {
  for (auto& d : decoys_) asio::co_spawn(*io_, d->listener->accept_loop(), asio::detached);
}

}  // namespace sm::gateway
