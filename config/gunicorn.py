"""Gunicorn settings for the production image (Dockerfile: `gunicorn -c config/gunicorn.py config.asgi:application`).

Forwarded headers (X-Forwarded-For, -Proto) are believed only from FORWARDED_ALLOW_IPS, default 127.0.0.1:
every per-client budget (login failures, API throttles, page limits) keys on the client address, and a
server trusting anyone's header would hand a fresh budget to each made-up value. Behind a reverse proxy,
set FORWARDED_ALLOW_IPS to the proxy's address (comma-separated; never "*" on a published port).
"""
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "uvicorn.workers.UvicornWorker"  # passes forwarded_allow_ips on to uvicorn's proxy-headers middleware
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
