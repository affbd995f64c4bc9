# quant: a static binary on a distroless base, run as a non-root user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/quant ./cmd/quant

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/quant /quant
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/quant"]
CMD ["serve", "--addr", ":8080"]
