# counternet's tor: Debian's tor package installed once, when the image is
# built, not at every start. compose builds it; for Kubernetes build and
# push it as counternet-tor (deploy/kubernetes/collector.yaml).
#   docker build -t counternet-tor -f deploy/compose/tor.Dockerfile deploy/compose
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends tor \
 && rm -rf /var/lib/apt/lists/*
USER debian-tor
ENTRYPOINT ["/usr/bin/tor"]
CMD ["-f", "/etc/tor/torrc"]
