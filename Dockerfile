# headroom's container image: a static binary (CGO off; SQLite is modernc.org/sqlite, pure Go) on
# distroless's static base, run as the non-root user 65532 that deploy/deployment.yaml expects.
#   docker build -t headroom:latest --build-arg VERSION=$(git describe --always) .
# cmd/headroom's TestStaticBuildHasNoDynamicLinking builds the same way and checks the result.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/headroom ./cmd/headroom

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/headroom /usr/local/bin/headroom
COPY examples /etc/headroom/examples
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/headroom"]
CMD ["serve", "--config", "/etc/headroom/headroom.yaml", "--listen", "0.0.0.0:8080"]
