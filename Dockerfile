# syntax=docker/dockerfile:1
# Multi-stage: build wheels once, run as an unprivileged user.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends build-essential libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY requirements/ requirements/
RUN python -m venv /venv && /venv/bin/pip install -r requirements/production.txt

FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production STATIC_ROOT=/app/var/staticfiles MEDIA_ROOT=/data/media
# chromium drives the AOTY fetcher (AOTY_FETCHER=playwright); libsndfile for audio features.
RUN apt-get update && apt-get install -y --no-install-recommends chromium libsndfile1 libpq5 curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system stylus && useradd --system --gid stylus --home /app --shell /usr/sbin/nologin stylus \
    && mkdir -p /data/media && chown stylus:stylus /data/media
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=stylus:stylus . .
# collectstatic needs settings but no real secrets or services.
RUN SECRET_KEY=build DATABASE_URL=postgres://x@localhost/x REDIS_URL=redis://localhost:6379/0 \
    FIELD_ENCRYPTION_KEYS=MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA= \
    python manage.py collectstatic --noinput -v0 && chown -R stylus:stylus /app/var
USER stylus
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD curl -fsS http://127.0.0.1:8000/health || exit 1
# Forwarded headers are trusted only from FORWARDED_ALLOW_IPS (config/gunicorn.py); set it to your reverse
# proxy's address, never "*": per-client budgets key on the client address.
ENV FORWARDED_ALLOW_IPS=127.0.0.1
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.asgi:application"]
