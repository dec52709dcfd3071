# Waypoint Journeys worker image.
#
#   docker build -t waypoint-journeys-worker .
#   docker compose up -d            # the whole stack: see docker-compose.yml
#
# The code runs from /app (not from site-packages): messaging/render.py reads templates/ (and
# translations/ reads locale/) relative to the source tree, so they must sit next to the packages.
# The dependencies are exactly those of requirements.lock (pinned, every file's hash checked;
# `make lock` regenerates it); `python worker.py` started in /app imports the packages from /app.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONTZPATH="" \
    WAYPOINT_OUTBOX_DIR=/data/outbox

WORKDIR /app

# An unprivileged user owns only the data volume; the code stays root-owned and read-only to it.
RUN groupadd --system --gid 10001 waypoint \
    && useradd --system --uid 10001 --gid waypoint --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin waypoint \
    && mkdir -p /data/outbox \
    && chown -R waypoint:waypoint /data

# The locked dependencies first (a layer that changes only with the lock).
COPY requirements.lock /app/requirements.lock
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock

# The whole project (see .dockerignore), templates/ and locale/ included; the catalogs compiled.
COPY . /app
RUN test -d /app/templates \
    && PYBABEL=pybabel bash scripts/catalogs.sh compile

VOLUME ["/data"]
USER waypoint

# SIGTERM (docker stop) makes the worker stop polling and lets in-flight activities finish
# (graceful_shutdown_timeout 20s; compose gives it stop_grace_period 30s).
STOPSIGNAL SIGTERM
CMD ["python", "worker.py"]
