# medkg service image (API and CLI). Build: docker compose build
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MEDKG_DATA_DIR=/var/lib/medkg
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir ".[nlp]" \
    && useradd --system --home /var/lib/medkg medkg && mkdir -p /var/lib/medkg \
    && chown medkg /var/lib/medkg
USER medkg
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --retries=10 \
    CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)" || exit 1
CMD ["medkg", "serve", "--host", "0.0.0.0", "--port", "8000"]
