# The Pub/Sub worker: `uvicorn main_pubsub:app` on $PORT (Cloud Run sets it; 8080 otherwise)
# takes push deliveries at /pubsub/push and runs one simulation per request.

# python:3.11.14-slim-bookworm, pinned to the digest of its multi-architecture index.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /build
# Dependencies first, from the lock alone (scripts/lock writes it from pyproject.toml): every
# version and file hash fixed, and a source change keeps this layer.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY src/ src/
RUN pip install --no-cache-dir --no-deps .

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    PORT=8080 \
    FLEETSIM_CONFIG_DIR=/app/config \
    MPLCONFIGDIR=/tmp/matplotlib
RUN groupadd --system --gid 10001 fleetsim \
    && useradd --system --no-log-init --uid 10001 --gid fleetsim \
        --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin fleetsim
WORKDIR /app
# Owned by root and read-only to the service user: the code cannot be changed at run time.
COPY --from=builder /opt/venv /opt/venv
COPY config/ config/
COPY main_pubsub.py ./
USER 10001:10001
EXPOSE 8080
# Cloud Run ignores HEALTHCHECK; docker and docker compose use it.
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8080'), timeout=2)"]
# Cloud Run sends SIGTERM and kills the container 10 s later: a delivery still running after
# 8 s is cut off (its job is released or its lease runs out, and Pub/Sub redelivers it), and
# the lifespan shutdown gets the rest. exec: uvicorn is PID 1 and gets the signal itself.
CMD ["sh", "-c", "exec uvicorn main_pubsub:app --host 0.0.0.0 --port \"${PORT:-8080}\" --proxy-headers --forwarded-allow-ips='*' --timeout-graceful-shutdown 8"]
