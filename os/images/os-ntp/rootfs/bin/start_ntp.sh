#!/bin/sh
# Keeps the clock with OpenNTPD in the foreground, logging to stderr. The
# servers are the arguments, else $NTP_SERVERS (separated by spaces or
# commas), else the pool. The clock is stepped at start when it is far off
# (-s), then slewed.
set -e

servers="$*"
[ -n "$servers" ] || servers=$(echo "${NTP_SERVERS:-}" | tr ',' ' ')
[ -n "$servers" ] || servers="pool.ntp.org"

conf=/etc/openntpd/ntpd.conf
: >"$conf"
for server in $servers; do
    echo "servers $server" >>"$conf"
done
# The unprivileged half of ntpd chroots into its user's home; /run may be
# the host's.
mkdir -p /var/run/openntpd
exec ntpd -d -s -f "$conf"
