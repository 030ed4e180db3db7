# medkg service image (API, web explorer and CLI). Build: docker compose build
# Stage 1: the web explorer's front-end library, from the npm registry.
FROM node:20-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MEDKG_DATA_DIR=/var/lib/medkg
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY examples ./examples
COPY --from=web /web/node_modules/vis-network/standalone/umd/vis-network.min.js \
    ./src/medkg/api/static/vendor/
RUN pip install --no-cache-dir ".[nlp]" \
    && useradd --system --home /var/lib/medkg medkg && mkdir -p /var/lib/medkg \
    && chown medkg /var/lib/medkg
USER medkg
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --retries=10 \
    CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)" || exit 1
CMD ["medkg", "serve", "--host", "0.0.0.0", "--port", "8000"]
