# syntax=docker/dockerfile:1
# check=error=true;experimental=all

# codex-review: the GitHub App server in a small Debian image.
#
#   docker build --build-arg VERSION=v1.2.3 -t codex-review:v1.2.3 .
#
# The build stage compiles a static binary; the runtime stage carries only
# what `codex-review serve` needs at run time. No secret is ever copied or
# passed as a build argument: settings arrive as environment variables (or
# a mounted key file) when the container starts.

# GO_VERSION is the Go toolchain of the build, matching go.mod's go line.
ARG GO_VERSION=1.26.8
# DEBIAN_RELEASE is the Debian release both stages are based on.
ARG DEBIAN_RELEASE=bookworm

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-${DEBIAN_RELEASE} AS build
ARG TARGETOS
ARG TARGETARCH
# VERSION is what `codex-review version` prints and GitHub requests carry.
ARG VERSION=dev
WORKDIR /src
# Dependencies first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# CGO off: the SQLite driver is pure Go, so the binary has no libc
# dependency. -trimpath and -buildvcs=false keep build paths and VCS state
# out of the binary, so the same source and VERSION give the same bytes.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/codex-review ./cmd/codex-review

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# bubblewrap runs repository tests in the sandbox; ca-certificates lets the
# server reach GitHub and the model endpoint over TLS. Nothing else: the
# health check below uses bash, which the base image already has.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      bubblewrap ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# A fixed numeric id, so Kubernetes can check runAsNonRoot and volume
# ownership (fsGroup) without reading /etc/passwd.
RUN groupadd --system --gid 10001 codex \
    && useradd --system --uid 10001 --gid codex --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin codex \
    && mkdir -p /data \
    && chown codex:codex /data
COPY --from=build /out/codex-review /usr/local/bin/codex-review

# The embedded SQLite database lives on the volume; point CODEX_DATABASE_URL
# at Postgres to run several replicas instead.
ENV CODEX_ADDR=:8080 \
    CODEX_DATABASE_URL=/data/codex-review.db
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 8080

# /healthz answers 200 while the process serves. bash's /dev/tcp speaks the
# request, so the image needs no curl or wget and the binary no extra mode;
# the port follows CODEX_ADDR.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["bash", "-c", "exec 3<>\"/dev/tcp/127.0.0.1/${CODEX_ADDR##*:}\" && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && read -r _ status _ <&3 && [ \"$status\" = 200 ]"]

ENTRYPOINT ["codex-review"]
CMD ["serve"]
