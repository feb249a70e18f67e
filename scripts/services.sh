#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1; starts them when they are installed
# but stopped. Under CI=true a service that cannot be reached is a failure.
set -uo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if ! redis_up && command -v redis-server >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/gogaek-redis.log || true
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
fi

status=0
if ! pg_up; then echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; status=1; fi
if ! redis_up; then echo "Redis is not reachable on 127.0.0.1:6379" >&2; status=1; fi
if [ "$status" != 0 ] && [ "${CI:-}" = "true" ]; then
  echo "CI=true: PostgreSQL and Redis are required" >&2
  exit 1
fi
exit 0
