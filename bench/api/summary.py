#!/usr/bin/env python3
"""Prints the figures of bench/api from the samples that run.sh collected.

Usage: summary.py <samples-dir> row <metric>...   one line per metric
       summary.py <samples-dir> final             the closing table and ratios

<samples-dir> holds one file per metric and daemon, <metric>.<daemon> with
<daemon> "ours" or "dockerd", one integer sample a line: microseconds for the
timings, KiB for the resident memory. It also holds `params`, key=value lines
(count, parallel, parallel_rounds, ps_containers, ps_runs, create_jobs) for the
labels."""
import os
import statistics
import sys

# metric: (label, unit, divisor from the stored integer to the unit). Each
# figure is the median of its samples; memory has one sample.
METRICS = {
    "run": ("docker run --rm --network none IMG true, per run", "ms", 1000.0),
    "parallel": ("{parallel} parallel docker run -d ... sleep 30, wall", "s", 1e6),
    "parallel_rm": ("docker rm -f of those {parallel}, wall", "s", 1e6),
    "create": ("docker create x{ps_containers} (xargs -P {create_jobs}), wall", "s", 1e6),
    "ps": ("docker ps -a with {ps_containers} containers", "ms", 1000.0),
    "psq": ("docker ps -a -q with {ps_containers} containers", "ms", 1000.0),
    "rm_all": ("docker rm -f of the {ps_containers} (xargs -n 50 -P 4), wall", "s", 1e6),
    "rss_idle": ("daemon RSS idle, before any container", "MiB", 1024.0),
    "rss_ps": ("daemon RSS after the ps step", "MiB", 1024.0),
}
DAEMONS = ("ours", "dockerd")
RSS_TARGET_MIB = 8.0


def read_params(directory):
    params = {}
    with open(os.path.join(directory, "params")) as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            if key:
                params[key] = value
    return params


def samples(directory, metric, daemon):
    path = os.path.join(directory, "%s.%s" % (metric, daemon))
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [int(line) for line in f if line.strip()]


def figure(directory, metric, daemon):
    """The median of the samples in the metric's unit, and how many there were."""
    values = samples(directory, metric, daemon)
    if not values:
        return None, 0
    return statistics.median(values) / METRICS[metric][2], len(values)


def fmt(value, unit):
    if value is None:
        return "-"
    return ("%.1f" if unit in ("ms", "MiB") else "%.2f") % value


def row(directory, params, metric):
    label, unit, _ = METRICS[metric]
    label = label.format(**params)
    ours, n = figure(directory, metric, "ours")
    theirs, _ = figure(directory, metric, "dockerd")
    ratio = "%.2f" % (ours / theirs) if ours is not None and theirs else "-"
    spread = ""
    if n > 1:
        # The spread of the samples, so that a noisy run shows.
        spread = "  over %d:" % n
        for daemon in DAEMONS:
            values = sorted(v / METRICS[metric][2] for v in samples(directory, metric, daemon))
            if values:
                spread += " %s %s-%s" % (daemon, fmt(values[0], unit), fmt(values[-1], unit))
    return "%-58s %10s %10s %5s %8s%s" % (label, fmt(ours, unit), fmt(theirs, unit), unit, ratio, spread)


def header():
    return "%-58s %10s %10s %5s %8s" % ("median of the samples", "corralos", "dockerd", "unit", "ours/dd")


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in ("row", "final"):
        sys.exit(__doc__)
    directory = sys.argv[1]
    params = read_params(directory)
    if sys.argv[2] == "row":
        for metric in sys.argv[3:]:
            print(row(directory, params, metric))
        return
    print(header())
    for metric in METRICS:
        print(row(directory, params, metric))
    print()
    print("ratios ours/dockerd (below 1: ours is faster or smaller):")
    for metric, name in (("run", "docker run --rm, sequential"), ("ps", "docker ps -a"), ("psq", "docker ps -a -q"),
                         ("parallel", "parallel docker run -d"), ("rss_idle", "idle RSS")):
        ours, _ = figure(directory, metric, "ours")
        theirs, _ = figure(directory, metric, "dockerd")
        if ours is not None and theirs:
            print("  %-30s %6.2f" % (name, ours / theirs))
    idle, _ = figure(directory, "rss_idle", "ours")
    if idle is not None:
        verdict = "met" if idle < RSS_TARGET_MIB else "NOT met"
        print("idle RSS target: ours %.1f MiB, target < %.0f MiB: %s" % (idle, RSS_TARGET_MIB, verdict))


if __name__ == "__main__":
    main()
