# stockdb in a container: a build stage with the Rust toolchain, a slim runtime stage with
# only the binary and the fixtures (used by the compose `seed` service).
# Pinned to the Rust release the project is built and tested with.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY queries queries
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN useradd --create-home --uid 10001 stockdb
COPY --from=build /src/target/release/stockdb /usr/local/bin/stockdb
COPY fixtures /app/fixtures
WORKDIR /app
USER stockdb
ENTRYPOINT ["stockdb"]
CMD ["--help"]
