#!/usr/bin/env bash
# Load test: gunicorn with production settings on PostgreSQL, 10,000 synthetic programmes, locust.
#
#   benchmarks/load_test.sh                 # per-process memory cache
#   benchmarks/load_test.sh --redis         # shared page cache in Redis (REDIS_URL below)
#
# Environment (defaults in brackets):
#   LOAD_DATABASE_URL  [postgres://postgres@127.0.0.1:5432/directory_load]  created if missing
#   PROGRAMMES [10000] synthetic programmes (added or removed to reach the number)
#   USERS [50]  SPAWN_RATE [10]  DURATION [60s]  PORT [8000]
#   LOAD_REDIS_URL [redis://127.0.0.1:6379/5]  used with --redis; flushed before the run
#   GUNICORN_WORKERS  unset: gunicorn.conf.py decides (2 x cores + 1)
#   RESULTS [benchmarks/results]  locust's CSV files and gunicorn's log go there
#   SKIP_SETUP=1  reuse the database as it is (no migrate, load or generate)
#
# Prints requests/s, p50/p95/p99 and failures, overall and per kind of page (as locust saw them,
# and inside Django from the request log), the CPU the workers used and how busy the machine was;
# exits non-zero when any request failed or gunicorn logged an error. Only talks to 127.0.0.1.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=.venv/bin
REDIS=0
[[ "${1:-}" == "--redis" ]] && REDIS=1

export DATABASE_URL="${LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/directory_load}"
PROGRAMMES="${PROGRAMMES:-10000}"
USERS="${USERS:-50}"
SPAWN_RATE="${SPAWN_RATE:-10}"
DURATION="${DURATION:-60s}"
PORT="${PORT:-8000}"
RESULTS="${RESULTS:-benchmarks/results}"

# Production settings: DEBUG off, a secret key, plain HTTP on the loopback (no TLS to redirect to).
unset DEBUG
export SECRET_KEY="load-test-$(date +%s)-not-a-production-secret-0123456789abcdefghijklmnop"
export ALLOWED_HOSTS=127.0.0.1,localhost
export SECURE_SSL_REDIRECT=0
export GUNICORN_BIND="127.0.0.1:${PORT}"
export LOG_LEVEL=INFO  # as in production: one JSON line per request
if [[ $REDIS == 1 ]]; then
    export REDIS_URL="${LOAD_REDIS_URL:-redis://127.0.0.1:6379/5}"
else
    unset REDIS_URL
fi

if [[ "$DATABASE_URL" =~ /directory$ ]]; then
    echo "Refusing to use the database named 'directory' (the 100,000-row benchmark)." >&2
    exit 2
fi

mkdir -p "$RESULTS"
label="$(date +%Y%m%d-%H%M%S)-$([[ $REDIS == 1 ]] && echo redis || echo locmem)-u${USERS}"
prefix="$RESULTS/$label"

if [[ "${SKIP_SETUP:-0}" != 1 ]]; then
    name="${DATABASE_URL##*/}"
    createdb -h 127.0.0.1 -U postgres "$name" 2>/dev/null || true
    $BIN/python manage.py migrate --noinput >/dev/null
    $BIN/python manage.py load_demo_content
    have=$($BIN/python manage.py shell --no-imports -c \
        "from programmes.models import Programme; print(Programme.objects.filter(slug__startswith='synthetic-').count())" | tail -1)
    if ((have > PROGRAMMES)); then
        $BIN/python manage.py generate_programmes --remove
        have=0
    fi
    # In steps of 2,000: each run ends with ANALYZE. Where autovacuum is off (as on the
    # benchmark machine), a single run of 10,000 plans its later search-document updates on
    # statistics of empty tables and slows down batch after batch (16 minutes and counting,
    # against 12 s per 2,000 with fresh statistics).
    while ((have < PROGRAMMES)); do
        step=$((PROGRAMMES - have < 2000 ? PROGRAMMES - have : 2000))
        $BIN/python manage.py generate_programmes $step
        echo
        have=$((have + step))
    done
fi
$BIN/python manage.py collectstatic --noinput >/dev/null

# Slugs for the programme and organisation pages, sampled from the database.
$BIN/python manage.py shell --no-imports -c "
from programmes.models import Organisation, Programme
for slug in Programme.objects.published().order_by('?').values_list('slug', flat=True)[:3000]:
    print('programme', slug)
for slug in Organisation.objects.filter(programmes__state='published').distinct().values_list('slug', flat=True):
    print('organisation', slug)
" | grep -E '^(programme|organisation) ' >"$prefix-slugs.txt"
export LOADTEST_SLUGS="$prefix-slugs.txt"
published=$($BIN/python manage.py shell --no-imports -c \
    "from programmes.models import Programme; print(Programme.objects.published().count())" | tail -1)

if [[ $REDIS == 1 ]]; then
    # Every run starts with an empty cache, like the per-process one.
    $BIN/python manage.py shell --no-imports -c "from django.core.cache import cache; cache.clear()"
fi

if curl -s -o /dev/null "http://127.0.0.1:${PORT}/healthz"; then
    echo "Something already answers on port ${PORT}; set PORT." >&2
    exit 2
fi
$BIN/gunicorn directory.wsgi >"$prefix-gunicorn.log" 2>&1 &
gunicorn_pid=$!
trap 'kill -TERM $gunicorn_pid 2>/dev/null; wait $gunicorn_pid 2>/dev/null || true' EXIT
for _ in $(seq 60); do
    curl -sf -o /dev/null "http://127.0.0.1:${PORT}/healthz" && break
    sleep 0.5
done
curl -sf -o /dev/null "http://127.0.0.1:${PORT}/healthz" || {
    echo "gunicorn did not answer /healthz; see $prefix-gunicorn.log" >&2
    exit 1
}
workers=$($BIN/python -c 'exec(open("gunicorn.conf.py").read()); print(workers)')

echo "Load test: ${USERS} users (+${SPAWN_RATE}/s) for ${DURATION}; ${published} published programmes;" \
    "gunicorn ${workers} workers; cache: $([[ $REDIS == 1 ]] && echo "Redis ($REDIS_URL)" || echo "per-process memory")"
# Warm-up, not measured: each worker's first request builds its URL resolver, templates and
# translations. A sort that the visitors never ask for alone, so no search page they ask for is
# cached by it.
for lang in kk ru en; do
    for path in "/$lang/" "/$lang/programmes/?sort=title" \
        "/$lang/programmes/$(awk '$1 == "programme" {print $2; exit}' "$LOADTEST_SLUGS")/" \
        "/$lang/organisations/$(awk '$1 == "organisation" {print $2; exit}' "$LOADTEST_SLUGS")/"; do
        for _ in 1 2 3 4 5; do echo "http://127.0.0.1:${PORT}$path"; done
    done
done | xargs -P 5 -n 1 curl -sf -o /dev/null
cpu_seconds() {  # user + system CPU of the workers so far
    for pid in $(pgrep -P "$gunicorn_pid"); do cat "/proc/$pid/stat"; done |
        awk -v tick="$(getconf CLK_TCK)" '{s += $14 + $15} END {printf "%.1f", s / tick}'
}
before=$(cpu_seconds)
read -r _ user nice system idle iowait _ </proc/stat
busy_before=$((user + nice + system)) all_before=$((user + nice + system + idle + iowait))
started=$(date -u +%Y-%m-%dT%H:%M:%S.%3N)
status=0
TIMEFORMAT="locust itself: %U s user + %S s system CPU"
time $BIN/locust -f benchmarks/locustfile.py --headless -u "$USERS" -r "$SPAWN_RATE" -t "$DURATION" \
    --host "http://127.0.0.1:${PORT}" --csv "$prefix" --only-summary --loglevel WARNING \
    >"$prefix-locust.log" 2>&1 || status=$?
echo "gunicorn workers: $(awk -v a="$before" -v b="$(cpu_seconds)" 'BEGIN {printf "%.1f", b - a}') s CPU" \
    "(the machine has $(nproc) cores for ${DURATION})"
read -r _ user nice system idle iowait _ </proc/stat
echo "whole machine (gunicorn, PostgreSQL, locust, anything else): CPU" \
    "$((100 * (user + nice + system - busy_before) / (user + nice + system + idle + iowait - all_before)))% busy"

$BIN/python - "$prefix" "$started" <<'EOF'
import csv, json, re, statistics, sys
rows = list(csv.DictReader(open(f"{sys.argv[1]}_stats.csv", encoding="utf-8")))
print("As locust saw them (queueing included):")
print(f"{'page':26} {'requests':>8} {'failures':>8} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}")
for row in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", -float(r["95%"] or 0))):
    print(f"{row['Name'] if row['Name'] != 'Aggregated' else 'ALL':26} {row['Request Count']:>8} "
          f"{row['Failure Count']:>8} {float(row['Requests/s']):6.1f} {row['50%']:>7} {row['95%']:>7} "
          f"{row['99%']:>7} {float(row['Max Response Time']):7.0f}")
# The application's own request log: time inside Django, without waiting for a free worker.
kinds = [("home", r"^/\w\w/$"), ("search", r"^/\w\w/programmes/$"), ("programme page", r"^/\w\w/programmes/[^/]+/$"),
         ("organisation page", r"^/\w\w/organisations/[^/]+/$")]
times = {kind: [] for kind, _ in kinds}
for line in open(f"{sys.argv[1]}-gunicorn.log", encoding="utf-8"):
    if '"directory.request"' in line:
        entry = json.loads(line)
        if entry["time"] < sys.argv[2]:  # the warm-up
            continue
        for kind, pattern in kinds:
            if re.match(pattern, entry["path"]):
                times[kind].append(entry["duration_ms"])
print("Inside Django (request log; waiting for a free worker not included):")
print(f"{'page':26} {'requests':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
for kind, values in times.items():
    if len(values) >= 2:
        cuts = statistics.quantiles(values, n=100)
        print(f"{kind:26} {len(values):>8} {cuts[49]:7.0f} {cuts[94]:7.0f} {cuts[98]:7.0f}")
EOF
if [[ -s "${prefix}_failures.csv" ]] && (($(wc -l <"${prefix}_failures.csv") > 1)); then
    echo "Failures:"
    cat "${prefix}_failures.csv"
fi
grep -q '"ERROR"' "$prefix-gunicorn.log" && echo "Errors in $prefix-gunicorn.log" && status=1
echo "CSV and logs: $prefix*"
exit $status
