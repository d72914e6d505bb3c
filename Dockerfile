# Multi-stage build: a static binary in a small, non-root image.
FROM golang:1.26-bookworm AS build
WORKDIR /src
# Dependencies first, so code changes do not re-download them.
COPY go.mod go.sum ./
RUN go mod download && go mod verify
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/hocvuso ./cmd/hocvuso \
 && /out/hocvuso check

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hocvuso /hocvuso
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/hocvuso"]
CMD ["serve"]
