#!/usr/bin/env bash
# Times the anonymous pages that read many rows (sitemap, feed, calendar, exports) through
# gunicorn with production settings, each asked twice (built, then from the cache), and the home
# page while six sitemap sections are asked at once (issue #13; docs/benchmarks.md).
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/directory_bench python manage.py migrate
#   DATABASE_URL=… python manage.py load_demo_content && DATABASE_URL=… python manage.py generate_programmes 10000
#   DATABASE_URL=… benchmarks/expensive_pages.sh [port]          # REDIS_URL=… to share the cache
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${1:-8613}
export SECRET_KEY="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" DEBUG=0 SECURE_SSL_REDIRECT=0 \
  ALLOWED_HOSTS=127.0.0.1 PLAIN_STATIC_FILES=1 LOG_LEVEL=WARNING GUNICORN_BIND="127.0.0.1:$PORT" \
  GUNICORN_WORKERS="${GUNICORN_WORKERS:-3}"
.venv/bin/gunicorn -c gunicorn.conf.py directory.wsgi >/tmp/expensive-pages-gunicorn.log 2>&1 &
GUNICORN=$!
trap 'kill $GUNICORN 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 1; done

time_it() {  # label path → "label | status seconds bytes"
  echo "$1 | $(curl -s -o /dev/null -w '%{http_code} %{time_total} %{size_download}' "http://127.0.0.1:$PORT$2")"
}
for page in "/sitemap.xml" "/sitemap-programmes.xml" "/sitemap-programmes.xml?p=5" "/sitemap-organisations.xml" \
  "/ru/programmes/feed.atom" "/ru/programmes/calendar.ics" "/ru/programmes/export.csv" \
  "/ru/programmes/export.xlsx?sector=film"; do
  time_it "$page (built)" "$page"
  time_it "$page (again)" "$page"
done
pids=()
for i in 1 2 3 4 5 6; do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/sitemap-programmes.xml?p=$((i + 10))" &
  pids+=($!)
done
sleep 0.3
time_it "/ru/ while six sitemap sections are built" "/ru/"
wait "${pids[@]}"
