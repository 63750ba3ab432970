// verdict_report.h - a smime::Verdict as people read it (one "name: value"
// line per fact, the verdict first) and as JSON for scripts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "smime/verdict.h"

namespace sm::app {

// "verdict: pass" or "verdict: fail (bad-signature): <describe>", then
// detail, encryption, key, signature, signer, domains, chain, revocation,
// from, content-type, headers, output. Every line ends in "\n".
std::string verdict_text(const smime::Verdict& v);
nlohmann::json verdict_json(const smime::Verdict& v);

}  // namespace sm::app
