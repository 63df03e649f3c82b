"""The site's WSGI application, answering with the serving process's id (tests/test_workers.py
needs to know that every worker answered). Used by tests only, never in production."""

import os

from directory.wsgi import application as site


def application(environ, start_response):
    def with_worker(status, headers, exc_info=None):
        return start_response(status, [*headers, ("X-Worker", str(os.getpid()))], exc_info)

    return site(environ, with_worker)
