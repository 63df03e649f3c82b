"""gunicorn settings for production: `gunicorn directory.wsgi` reads this file from the working directory.

Every value can be changed from the environment; see docs/deploy.md.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# gunicorn's rule of thumb: two workers per core, plus one.
workers = int(os.environ.get("GUNICORN_WORKERS") or 2 * multiprocessing.cpu_count() + 1)
# A worker silent for longer than this is restarted. Generous, because an admin import of the
# largest allowed file (20,000 rows) runs inside one request: about a minute on PostgreSQL.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Workers are replaced now and then, so that a slow leak in any library never grows for long.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Request line and headers: gunicorn's own limits, stated here so that nobody raises them by accident.
limit_request_line = 8190
limit_request_fields = 100

# X-Forwarded-* headers are trusted only from these addresses (the proxy or load balancer).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The access log is the application's own JSON request log (programmes.middleware), which
# knows the user and leaves out query strings; gunicorn's would repeat it with them.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# gunicorn's own messages (start, worker restarts, timeouts) as JSON lines like the application's.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "programmes.logs.JSONFormatter"}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": [], "propagate": False},
    },
    "root": {"handlers": ["stdout"], "level": loglevel.upper()},
}


def post_worker_init(worker):
    """Once the application is loaded in a worker, its objects (Django, the code, the settings:
    about 125,000) leave the garbage collector's view: they live as long as the worker, yet
    every full collection walked them all, about 70 ms, which landed on one request in twenty
    (docs/benchmarks.md; the Python documentation recommends this for pre-fork servers)."""
    import gc

    gc.collect()
    gc.freeze()
