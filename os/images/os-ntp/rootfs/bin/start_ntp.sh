#!/bin/sh
# Keeps the clock with busybox ntpd, in the foreground. The servers are the
# arguments, else $NTP_SERVERS (separated by spaces or commas), else the pool.
# ntpd steps the clock on its first answer when it is far off, then slews.
set -e

servers="$*"
[ -n "$servers" ] || servers=$(echo "${NTP_SERVERS:-}" | tr ',' ' ')
[ -n "$servers" ] || servers="0.pool.ntp.org 1.pool.ntp.org 2.pool.ntp.org 3.pool.ntp.org"

peers=""
for server in $servers; do
    peers="$peers -p $server"
done
# -n: stay in the foreground; -N: run at high priority.
exec ntpd -n -N $peers
