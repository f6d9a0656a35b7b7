# Build: make docker (or: docker build -t workspace_exporter .)
# Run:   docker run -p 10078:10078 \
#          -v "$PWD/workspace_exporter.yml:/etc/workspace_exporter/workspace_exporter.yml:ro" \
#          -e HW_ACCESS_KEY -e HW_SECRET_KEY workspace_exporter [flags…]
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Stamped like `make build` (make docker passes the build args); without
# them: the VERSION file's version, "unknown" revision and branch.
ARG VERSION
ARG REVISION=unknown
ARG BRANCH=unknown
ARG BUILD_USER=docker
ARG BUILD_DATE
RUN CGO_ENABLED=0 make build ${VERSION:+VERSION=$VERSION} REVISION="$REVISION" BRANCH="$BRANCH" \
      BUILD_USER="$BUILD_USER" ${BUILD_DATE:+BUILD_DATE=$BUILD_DATE} \
 && ./workspace_exporter --version

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/workspace_exporter /workspace_exporter
COPY config.example.yml /etc/workspace_exporter/config.example.yml
# The default --config.file is workspace_exporter.yml in the working
# directory: mount the configuration at
# /etc/workspace_exporter/workspace_exporter.yml. The entry point carries no
# flag, so flags after the image name are the exporter's whole command line
# (kingpin refuses a repeated flag, so a --config.file here could not be
# overridden); --config.file=… still points elsewhere. No CMD: setting
# ENTRYPOINT clears any CMD inherited from the base image.
WORKDIR /etc/workspace_exporter
EXPOSE 10078
USER nonroot
ENTRYPOINT ["/workspace_exporter"]
