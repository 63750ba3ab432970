// admin_fake_queue.h - an admin::QueueControl in memory with the change
// rules of queue::Spool (held twice, release of a message not held,
// unknown ids, discreet copies hidden), for the /v1 API and console tests.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "admin/api.h"

namespace sm::test_support {

class FakeQueue final : public admin::QueueControl {
 public:
  std::vector<queue::QueuedMessage> all;
  int flushes = 0;
  std::vector<queue::QueuedMessage> messages() override {
    std::vector<queue::QueuedMessage> out;
    for (const auto& m : all)
      if (!m.envelope.discreet) out.push_back(m);
    return out;
  }
  std::optional<queue::QueuedMessage> message(const std::string& id) override {
    for (const auto& m : all)
      if (m.envelope.id == id && !m.envelope.discreet) return m;
    return std::nullopt;
  }
  admin::QueueResult change(const std::string& what, const std::string& id) override {
    for (auto it = all.begin(); it != all.end(); ++it) {
      if (it->envelope.id != id) continue;
      if (what == "delete") return all.erase(it), admin::QueueResult{};
      if (what == "retry") return it->held ? conflict("message is held: " + id) : (it->state.next_attempt = 0, admin::QueueResult{});
      bool hold = what == "hold";
      if (it->held == hold) return conflict(hold ? "message is held already: " + id : "message is not held: " + id);
      it->held = hold;
      return {};
    }
    return std::unexpected(admin::QueueRefusal{admin::Refusal::not_found, "no such message in the queue: " + id});
  }
  admin::QueueResult flush() override { return ++flushes, admin::QueueResult{}; }

 private:
  static admin::QueueResult conflict(std::string text) {
    return std::unexpected(admin::QueueRefusal{admin::Refusal::conflict, std::move(text)});
  }
};

}  // namespace sm::test_support
