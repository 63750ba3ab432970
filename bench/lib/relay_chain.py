"""relay_chain.py - several relays in a row, measured as one.

A Chain of relays (peers.Postfix, peers.SecureMail or anything with the same
pid/cpu_seconds/queue_size/log_tail methods) looks to
relay_bench.run_load like one relay: mail goes in at the first hop's port,
the CPU is the sum over every hop's processes, the queue is empty only when
every hop's queue is. It starts and stops nothing itself: the hops are
started (and stopped) one by one by the benchmark, last hop first, so each
hop's next hop answers before mail can reach it.
"""

import proctools as pt


class Chain:
    def __init__(self, name, hops):
        self.name = name
        self.hops = list(hops)

    @property
    def port(self):
        return self.hops[0].port

    def pids(self):
        return [h.pid() for h in self.hops]

    def pid(self):
        return self.hops[0].pid()

    def cpu_seconds(self):
        total = 0.0
        for h in self.hops:
            c = h.cpu_seconds()
            if c is None:
                raise pt.RunFailed(f"{self.name}: {getattr(h, 'label', h.name)} is no longer running\n"
                                   f"{h.log_tail()}")
            total += c
        return total

    def queue_size(self):
        return sum(h.queue_size() for h in self.hops)

    def log_tail(self):
        return "\n".join(f"--- {getattr(h, 'label', h.name)} log ---\n{h.log_tail()}" for h in self.hops)
