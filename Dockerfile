# entraform in a container: for CI systems and Kubernetes CronJobs running
# scheduled reconciles. Build: `docker build -t entraform .`
# Run:   `docker run --rm -v "$PWD:/repo:ro" -e AZURE_TENANT_ID -e AZURE_CLIENT_ID \
#           -e AZURE_FEDERATED_TOKEN_FILE entraform plan /repo`

# Build stage: the release binary, from the locked dependency set.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# Workspace members: the Graph emulator (`entraform emulator`) and the shared reference tables.
COPY crates ./crates
# Cargo.toml declares the benches; the manifest does not load without them.
COPY benches ./benches
RUN cargo build --release --locked --bin entraform \
 && cp target/release/entraform /entraform

# Final stage: glibc, CA certificates and a non-root user, nothing else
# (no shell, no package manager).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /entraform /usr/local/bin/entraform
COPY LICENSE-MIT LICENSE-APACHE /usr/share/doc/entraform/
# 65532 is distroless's `nonroot` user.
USER 65532:65532
WORKDIR /repo
ENTRYPOINT ["/usr/local/bin/entraform"]
CMD ["--help"]
