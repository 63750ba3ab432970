// api_submission.h - POST /v1/messages on the running gateway (admin/api.h
// MessageSubmission): the message an application handed in over HTTP goes
// the way the relay listener would take it from that [[application]]: the
// envelope sender checked against its senders, each recipient as at RCPT
// (a refused one is answered as refused, the rest go on), then DATA's
// processing (opened when encrypted to us, From: checked, policy, the
// sealed, plain, pickup and held copies) committed before the answer.
// Called on an HTTP thread; the commit runs on the gateway's event loop
// (`loop`), as an SMTP session's does, and the caller waits for it.
#pragma once

#include <asio/any_io_executor.hpp>

#include "admin/api.h"
#include "config/config.h"

namespace sm::gateway {

class Receiver;

admin::SubmissionAnswer submit_message(const config::Config& config, Receiver& receiver, asio::any_io_executor loop,
                                       const admin::MessageSubmission& submission);

}  // namespace sm::gateway
