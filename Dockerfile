# minidfs in a container: a Debian build stage, and a slim Debian runtime
# that holds only the binaries and the shared libraries they need; and an
# etcd image (Debian's etcd-server) for the high-availability profile of
# docker-compose.yml.
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

FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libmicrohttpd12 libcurl4 libjansson4 libssl3 curl \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/bin/minidfs /src/build/bin/minidfs-master \
     /src/build/bin/minidfs-chunkserver /src/build/bin/minidfs-client /usr/local/bin/
WORKDIR /work
ENTRYPOINT ["minidfs"]
CMD ["--help"]
