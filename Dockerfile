# syntax=docker/dockerfile:1
# The kaze-policy image: the scanner, `serve` (the admission webhook) and `snapshot`, with the
# kustomize that renders kustomizations. Build context: the root of this repository.
#
#   docker build -t kaze-policy .
#   docker run --rm --read-only --tmpfs /tmp -v "$PWD:/work:ro" kaze-policy scan infra
#
# Every base image is pinned by digest (KZ-SUP-06; `kaze-policy scan Dockerfile` checks it).
# Each is the multi-architecture index digest of the tag beside it, as Renovate and other
# projects pin it; to move one, read the tag's current digest (`docker buildx imagetools
# inspect <image>:<tag>`) and change the tag and the digest together.
#
# - rust:1.95.0-slim-bookworm: Debian 12 with the Rust that `make venv` builds the regorus
#   binding with; its python3 is Debian 12's 3.11, the very interpreter of the runtime image,
#   so the virtual environment built here runs there unchanged.
# - golang:1.26.4-alpine: builds kustomize from tools/go.mod and go.sum (the version the tests
#   pin), as a static binary.
# - gcr.io/distroless/python3-debian12:nonroot: Debian 12's python3 and its libraries, no shell,
#   no package manager; user nonroot, uid 65532.

FROM golang:1.26.4-alpine@sha256:3ad57304ad93bbec8548a0437ad9e06a455660655d9af011d58b993f6f615648 AS kustomize
WORKDIR /src/tools
COPY tools/go.mod tools/go.sum ./
# The toolchain of the image, not one downloaded at build time; no cgo: a static binary.
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-trimpath
RUN go build -ldflags="-s -w" -o /out/kustomize sigs.k8s.io/kustomize/kustomize/v5

FROM rust:1.95.0-slim-bookworm@sha256:d7482085ff5b415f84dba5647ae71606650bdef00db7aeb69f4b3d170c3e4082 AS build
ARG SOURCE_DATE_EPOCH
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
 && apt-get install --yes --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY native ./native
COPY rego ./rego
COPY features ./features
COPY kaze_policy ./kaze_policy
COPY tools/sbom.py ./tools/sbom.py
# maturin in a throw-away environment: a build tool, not part of the image.
RUN python3 -m venv /tmp/maturin \
 && /tmp/maturin/bin/pip install "maturin>=1.7,<2" \
 && /tmp/maturin/bin/maturin build --release --locked --interpreter python3 -o /wheels
# The runtime environment: the wheel and its dependencies, as wheels wherever the index has
# one (--prefer-binary: an older wheel over a newer sdist). pip writes the bytecode now, so
# that nothing is written at run time. pip and setuptools leave: nothing installs at run time.
RUN python3 -m venv /opt/kaze-policy \
 && /opt/kaze-policy/bin/pip install --prefer-binary /wheels/kaze_policy-*.whl \
 && /opt/kaze-policy/bin/pip uninstall --yes pip setuptools \
 && /opt/kaze-policy/bin/python /src/tools/sbom.py --wheels /wheels \
        --output /opt/kaze-policy/share/kaze-policy/kaze-policy.cdx.json

FROM gcr.io/distroless/python3-debian12:nonroot@sha256:7d1042ce588ab97019fe95c24ffca7bc5a82ccdac572511d5e09bda4435c89c5
COPY --from=build /opt/kaze-policy /opt/kaze-policy
COPY --from=kustomize /out/kustomize /usr/local/bin/kustomize
# A read-only root filesystem works: bytecode is compiled, and whatever needs a home or a
# cache (kustomize, sigstore's trust root) gets /tmp, the one writable mount it needs.
ENV PATH=/opt/kaze-policy/bin:/usr/local/bin:/usr/bin:/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    TMPDIR=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    KAZE_KUSTOMIZE=/usr/local/bin/kustomize
USER 65532:65532
WORKDIR /work
EXPOSE 8443 9090
ENTRYPOINT ["kaze-policy"]
CMD ["--help"]
