# Hearth's one image: `serve` (the default), `worker` or `migrate` is the command.
#   docker build -t hearth .
#   docker run -p 8080:8080 -v hearth-data:/data hearth
# Stages: the web UI (npm and Vite); the release build, which embeds it; ONNX Runtime's CPU library
# from its PyPI wheel (the faster local embedding engine, RAG_EMBEDDING_ONNX_RUNTIME); a slim runtime
# as an unprivileged user.

FROM node:20-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build -- --outDir /web-dist --emptyOutDir

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
COPY --from=web /web-dist /web-dist
# The UI is built in the stage above; crates/hearth-web embeds it from HEARTH_WEB_DIST.
ENV HEARTH_WEB_DIST=/web-dist
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p hearth \
    && cp target/release/hearth /usr/local/bin/hearth

FROM python:3.12-slim-bookworm AS onnxruntime
ARG ORT_VERSION=1.32.0
WORKDIR /ort
RUN pip download --no-cache-dir --no-deps --only-binary=:all: "onnxruntime==${ORT_VERSION}" \
    && python -m zipfile -e onnxruntime-*.whl wheel \
    && cp wheel/onnxruntime/capi/libonnxruntime.so.* /ort/libonnxruntime.so

FROM debian:bookworm-slim
# CA certificates: model servers, S3 and Redis over TLS are verified against the system's roots.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 hearth \
    && useradd --system --uid 10001 --gid hearth --home-dir /data --shell /usr/sbin/nologin hearth \
    && mkdir -p /data /opt/hearth/lib \
    && chown hearth:hearth /data
COPY --from=build /usr/local/bin/hearth /usr/local/bin/hearth
COPY --from=onnxruntime /ort/libonnxruntime.so /opt/hearth/lib/libonnxruntime.so
ENV DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8080 \
    LOG_FORMAT=json \
    RAG_EMBEDDING_ONNX_RUNTIME=/opt/hearth/lib/libonnxruntime.so
VOLUME ["/data"]
EXPOSE 8080
USER 10001:10001
WORKDIR /data
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 CMD ["hearth", "healthcheck"]
ENTRYPOINT ["hearth"]
CMD ["serve"]
