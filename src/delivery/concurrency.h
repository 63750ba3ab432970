// concurrency.h - how many connections to open to one destination at once:
// the concurrency window of Postfix's qmgr (SCHEDULER_README, "Postfix 2.5
// concurrency feedback"), as a small value type the delivery agent keeps
// per destination.
//
// A destination starts at a small window (initial, Postfix's
// initial_destination_concurrency = 5), never the full limit: a backlog that
// falls due at once must not open 20 connections in the same instant to a
// peer whose accept queue may overflow. Then:
//
//   positive  each delivery over a working session adds 1/window; a whole
//             window's worth (a "cohort") raises the window by one, up to
//             the limit and never further than `initial` ahead of the
//             sessions actually open (it must stay close to real use, or
//             negative feedback would take long to matter).
//   negative  each connection or handshake failure (refused, time-out, no
//             greeting, 421) subtracts 1/window; the first failure of a
//             cycle lowers the window by one at once, never below 1.
//   dead      failures also count "failed pseudo-cohorts" (+1/window each,
//             reset by any delivery). When they reach the cohort limit AND
//             no session to the destination is open at that moment, the
//             destination is dead: the caller defers what is queued for it
//             and suspends it for a while. A time-out on one of several
//             parallel connections while others deliver never kills it.
//
// This file must never do I/O or look at the clock: the agent feeds it
// events and asks it for the window.
#pragma once

#include <chrono>
#include <cstddef>

namespace sm::delivery {

class DestinationConcurrency {
 public:
  // initial is clamped to 1..limit; failed_cohort_limit 0 disables "dead".
  DestinationConcurrency(std::size_t initial, std::size_t limit, double failed_cohort_limit = 1.0);

  // Connections the destination may have open now (0 while dead).
  std::size_t window() const { return dead_ ? 0 : window_; }
  bool dead() const { return dead_; }

  // A delivery went through a working session; open_sessions: sessions to
  // this destination established right now (including this one).
  void delivered(std::size_t open_sessions);
  // A connection or handshake failed. open_sessions: sessions to this
  // destination that are established right now. Returns true when this
  // failure declared the destination dead.
  bool failed(std::size_t open_sessions);
  // A session came up after all: the destination is alive again (a dead
  // one comes back at its open sessions, or the initial window).
  void session_opened(std::size_t open_sessions);
  // The suspension is over: try again from the initial window.
  void revive();

 private:
  std::size_t initial_, limit_;
  double failed_cohort_limit_;
  std::size_t window_;
  double success_ = 0;       // positive feedback gathered towards the next +1
  double failure_ = 0;       // negative feedback left in this cycle (0: the next failure lowers the window)
  double fail_cohorts_ = 0;  // failed pseudo-cohorts since the last delivery
  bool dead_ = false;
};

// The time to wait for a server's 220 greeting. RFC 5321 4.5.3.2.1 asks
// for 5 minutes, which is what `configured` normally is; but while mail
// for the destination is backing up (more jobs waiting than its window
// lets connections carry at once) a peer that accepted the TCP connection
// and says nothing (a full accept queue answered with SYN cookies, a
// tarpit) holds a slot the backlog needs: then kBacklogGreetingTimeout at
// most, the time-out the Postfix SMTP server uses under stress being 10 s
// and greet delays of well-run servers staying under a minute.
constexpr std::chrono::milliseconds kBacklogGreetingTimeout{60'000};
std::chrono::milliseconds greeting_timeout(std::chrono::milliseconds configured, std::size_t jobs_waiting,
                                           std::size_t window);

}  // namespace sm::delivery
