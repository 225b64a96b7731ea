# The realign image: `realign` (coordinator) and `realign-worker` on Debian 12.
# Build: docker build -t realign:latest .   (no container engine runs on the development
# machines: this recipe is kept plain and is not built by `make test`).
#
# Stage 1 builds the release binaries with the Swift 6.3 toolchain (the one the project
# is developed with) on Debian 12, against the -dev packages of the three system
# libraries (librdkafka, OpenBLAS, OpenSSL's libcrypto). The Swift runtime and Foundation are linked statically, so stage 2 needs
# only those libraries' runtime packages. The release build targets x86-64-v3 (AVX2, FMA:
# Package.swift passes `-target-cpu haswell`), so the image runs on x86-64-v3 servers only.
FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        librdkafka-dev libopenblas-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
RUN swift build -c release --static-swift-stdlib \
    && install -D -m 0755 .build/release/realign /out/realign \
    && install -D -m 0755 .build/release/realign-worker /out/realign-worker

FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        librdkafka1 libopenblas0 libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 realign \
    && useradd --system --uid 10001 --gid realign --no-create-home --shell /usr/sbin/nologin realign
COPY --from=build /out/ /usr/local/bin/
# The numeric user lets Kubernetes check runAsNonRoot without reading /etc/passwd.
USER 10001:10001
# The worker is PID 1 in its container and handles SIGTERM itself (finishes or hands
# back its job, commits, leaves the group).
ENTRYPOINT ["realign-worker"]
