# Flet Chat web server: `flet-chat serve` on port 8000, SQLite data on the volume /data.
# fly.toml matches this file; tests/unit/test_deploy_config.py checks that they agree.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed uid/gid, so files on the volume keep one owner across image rebuilds.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin app

WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY src/ ./src/
COPY assets/ ./assets/
RUN pip install --no-cache-dir .
# The web client's fallback fonts (emoji, CJK, Arabic, ...), pinned in fonts.lock.json and
# checked against their sha512; served at /assets/fonts/ from /app/web-fonts.
RUN python -m flet_chat.web_client.fetch_fonts /app/web-fonts

# The SQLite file chat.db lives here; the directory belongs to the non-root user alone (0700).
ENV FLET_CHAT_DATA_DIR=/data
RUN mkdir -p /data && chown app:app /data && chmod 700 /data
VOLUME /data

USER app
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

CMD ["flet-chat", "serve", "--host", "0.0.0.0", "--port", "8000"]
