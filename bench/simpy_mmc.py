"""SimPy 3 model of the M/M/c scenario that bench/simpy_compare.sh also runs in torta-sim:
Poisson arrivals at rate lambda into one FCFS queue served by c servers with exponential service
(mean 1 s). Prints requests simulated, wall seconds and requests per second, events scheduled
(SimPy's event counter) per second, and the mean response time (to check both simulate the same
system). Debian's python3-simpy3.
Usage: /usr/bin/python3 bench/simpy_mmc.py RATE SERVERS DURATION_S SEED"""
import random
import sys
import time

import simpy


def main():
    rate, c, duration, seed = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    stats = {"n": 0, "sum": 0.0}

    def request(env):
        arrival = env.now
        with servers.request() as req:
            yield req
            yield env.timeout(rng.expovariate(1.0))
        stats["n"] += 1
        stats["sum"] += env.now - arrival

    def source(env):
        while True:
            yield env.timeout(rng.expovariate(rate))
            if env.now >= duration:
                return
            env.process(request(env))

    env.process(source(env))
    t0 = time.perf_counter()
    env.run()
    wall = time.perf_counter() - t0
    events = next(env._eid)  # ids handed out to scheduled events (SimPy 3 has no public counter)
    print(f"simpy requests={stats['n']} wall_s={wall:.3f} req_per_s={stats['n'] / wall:.0f} "
          f"events_per_s={events / wall:.0f} mean_response_s={stats['sum'] / stats['n']:.4f}")


if __name__ == "__main__":
    main()
