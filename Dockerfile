# syntax=docker/dockerfile:1
# The tintri-jobs container image, for those who build with Docker (BuildKit):
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) \
#     --build-arg COMMIT=$(git rev-parse --short HEAD) -t tintri-jobs .
#
# CI builds the same image without a container daemon: `make image` (build/image, see
# docs/container.md). Both give a static binary as entrypoint, the user nonroot (65532),
# Debian's CA certificates, /tmp, and no shell. build/image's tests check that this file
# and that builder agree on the user, working directory, entrypoint, accounts and labels.

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
# Set by BuildKit from --platform (e.g. linux/arm64); empty means the build host's.
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=none
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=$VERSION -X main.commit=$COMMIT" \
      -o /rootfs/tintri-jobs ./cmd/tintri-jobs
# /rootfs is owned by root; /owned holds the directories nonroot writes to.
RUN mkdir -p /rootfs/etc/ssl/certs /rootfs/home /rootfs/tmp /rootfs/var/lib \
      /owned/home/nonroot /owned/var/lib/tintri-jobs \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ca-certificates.crt \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >/rootfs/etc/passwd \
 && printf 'root:x:0:\nnonroot:x:65532:\n' >/rootfs/etc/group \
 && chmod 1777 /rootfs/tmp

FROM scratch
ARG VERSION=dev
ARG COMMIT=none
COPY --from=build /rootfs/ /
COPY --from=build --chown=65532:65532 /owned/ /
USER 65532:65532
WORKDIR /home/nonroot
ENTRYPOINT ["/tintri-jobs"]
LABEL org.opencontainers.image.title="tintri-jobs" \
      org.opencontainers.image.description="Declarative batch job runner for Tintri storage" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$COMMIT" \
      org.opencontainers.image.source="https://github.com/tintri-jobs/tintri-jobs"
