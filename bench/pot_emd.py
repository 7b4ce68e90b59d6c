"""POT's side of bench_ot's exact-OT comparison: times ot.emd on the instances bench_ot wrote.

Usage: /usr/bin/python3 bench/pot_emd.py FILE N COUNT
FILE holds COUNT instances of N x N, each as float64 a (N), b (N), C (N*N, row-major). Prints one
line per instance: wall_ms cpu_ms cost (cost = <C, plan> with %.17g). Exit status 3 when POT is
not installed (bench_ot then prints torta-sim's figures alone).
"""
import sys
import time

try:
    import numpy as np
    import ot
except ImportError:
    sys.exit(3)


def main():
    path, n, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    data = np.fromfile(path, dtype=np.float64)
    per = 2 * n + n * n
    if data.size != per * count:
        sys.exit(f"pot_emd.py: {path} holds {data.size} values, expected {per * count}")
    # One unmeasured solve, so imports and first-call set-up are not counted.
    ot.emd(np.full(4, 0.25), np.full(4, 0.25), np.ones((4, 4)))
    for k in range(count):
        x = data[k * per:(k + 1) * per]
        a, b, C = x[:n], x[n:2 * n], x[2 * n:].reshape(n, n)
        t0, c0 = time.perf_counter(), time.thread_time()
        plan = ot.emd(a, b, C)
        wall, cpu = time.perf_counter() - t0, time.thread_time() - c0
        print(f"{wall * 1e3:.6f} {cpu * 1e3:.6f} {float(np.sum(C * plan)):.17g}")


if __name__ == "__main__":
    main()
