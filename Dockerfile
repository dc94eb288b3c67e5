# Turnout: a slim image that runs `turnout serve` (migrations are applied at start).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot bot
COPY flows flows
COPY messages messages
COPY scheduler scheduler
COPY migrations migrations
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////data/turnout.db
COPY --from=build /install /usr/local
RUN useradd --system --create-home --uid 10001 turnout \
    && mkdir -p /data && chown turnout /data
USER turnout
WORKDIR /home/turnout
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["turnout", "serve", "--host", "0.0.0.0", "--port", "8000"]
