# minidfs in a container: a Debian build stage, and a slim Debian runtime
# that holds only the binaries and the shared libraries they need; and an
# etcd image (Debian's etcd-server) for the high-availability profile of
# docker-compose.yml, and a Prometheus image (Debian's) for its
# monitoring profile. The servers run as the unprivileged user minidfs.
#   docker build -t minidfs .
#   docker run --rm minidfs --help
#   docker build --target etcd -t minidfs-etcd .

FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libmicrohttpd-dev libcurl4-openssl-dev \
      libjansson-dev libssl-dev libcmocka-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMINIDFS_WERROR=ON \
 && cmake --build build -j"$(nproc)" \
 && (cd build && ctest -L unit --output-on-failure)

FROM debian:12-slim AS etcd
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends etcd-server \
 && rm -rf /var/lib/apt/lists/*
ENTRYPOINT ["etcd"]

FROM debian:12-slim AS prometheus
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o nobody /prometheus
USER nobody
ENTRYPOINT ["prometheus"]

FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libmicrohttpd12 libcurl4 libjansson4 libssl3 curl \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/bin/minidfs /src/build/bin/minidfs-master \
     /src/build/bin/minidfs-chunkserver /src/build/bin/minidfs-client /usr/local/bin/
# Named volumes mounted on these start out owned by minidfs.
RUN useradd --system --home-dir /work --shell /usr/sbin/nologin minidfs \
 && install -d -o minidfs -g minidfs /work /meta /data
USER minidfs
WORKDIR /work
ENTRYPOINT ["minidfs"]
CMD ["--help"]
