FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/closer

# The production image uses a real MongoDB (docker-compose), so the GPL embedded server is not installed.
COPY pyproject.toml README.md requirements.lock ./
COPY app app
COPY bot bot
COPY brain brain
COPY channels channels
COPY storage storage
COPY admin_bot admin_bot
COPY bench bench
RUN pip install -r requirements.lock && pip install --no-deps . && useradd --create-home closer && mkdir -p /data && chown closer /data

USER closer
ENV DATA_DIR=/data HTTP_HOST=0.0.0.0 HTTP_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=40s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"
CMD ["closer", "serve"]
