# Comptoir: one image with both binaries (comptoir-api, comptoir-worker).
#   docker build -t comptoir .
#   docker run --rm comptoir comptoir-worker --queues email

# ---- builder -------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
WORKDIR /src

# 1. Dependencies only: the real manifests and lock file, with stub sources, so this layer
#    stays cached until a Cargo.toml or Cargo.lock changes.
COPY Cargo.toml Cargo.lock ./
COPY api/Cargo.toml api/Cargo.toml
COPY worker/Cargo.toml worker/Cargo.toml
COPY jobs/Cargo.toml jobs/Cargo.toml
COPY domain/Cargo.toml domain/Cargo.toml
COPY testkit/Cargo.toml testkit/Cargo.toml
RUN set -eux; \
    for crate in api worker jobs domain testkit; do \
        mkdir -p "$crate/src"; \
        : > "$crate/src/lib.rs"; \
    done; \
    echo 'fn main() {}' > api/src/main.rs; \
    echo 'fn main() {}' > worker/src/main.rs; \
    cargo build --release --locked -p comptoir-api -p comptoir-worker

# 2. The real sources. migrations/ must be here: domain embeds it with sqlx::migrate!, and the
#    worker embeds worker/src/templates/* with include_str!.
COPY api api
COPY worker worker
COPY jobs jobs
COPY domain domain
COPY testkit testkit
COPY migrations migrations
COPY config config
# COPY keeps the files' original mtimes, which can be older than the stub build: touch them
# so cargo rebuilds the workspace crates (dependencies stay cached).
RUN set -eux; \
    find api worker jobs domain testkit -name '*.rs' -exec touch {} +; \
    cargo build --release --locked -p comptoir-api -p comptoir-worker; \
    cp target/release/comptoir-api target/release/comptoir-worker /usr/local/bin/

# ---- runtime -------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

# ca-certificates: TLS to SMTP/Postgres/Redis; curl: the compose healthcheck of the API;
# fonts-dejavu-core, fonts-droid-fallback: the TrueType fonts PDFs embed for non-Latin text
# (the second for Chinese, Japanese and Korean).
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl fonts-dejavu-core fonts-droid-fallback; \
    rm -rf /var/lib/apt/lists/*; \
    groupadd --system --gid 10001 comptoir; \
    useradd --system --uid 10001 --gid comptoir --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin comptoir; \
    mkdir -p /data/storage; \
    chown -R comptoir:comptoir /data

WORKDIR /app
COPY config /app/config
COPY --from=builder /usr/local/bin/comptoir-api /usr/local/bin/comptoir-api
COPY --from=builder /usr/local/bin/comptoir-worker /usr/local/bin/comptoir-worker

# Configuration: /app/config/default.toml, then /app/config/$COMPTOIR_ENV.toml, then
# COMPTOIR__SECTION__KEY environment variables (e.g. COMPTOIR__DATABASE__URL).
ENV COMPTOIR_CONFIG_DIR=/app/config
# Files the workers write (snapshots, later imports, images, reports); mount a volume here.
ENV COMPTOIR__STORAGE__ROOT=/data/storage

USER comptoir
# 8080: HTTP API; 9464: Prometheus /metrics.
EXPOSE 8080 9464
CMD ["comptoir-api"]
