# Build: docker build -t workspace_exporter .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 make build

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/workspace_exporter /bin/workspace_exporter
COPY config.example.yml /etc/workspace_exporter/config.example.yml
EXPOSE 10078
USER nonroot
ENTRYPOINT ["/bin/workspace_exporter"]
CMD ["--config.file=/etc/workspace_exporter/workspace_exporter.yml"]
