# syntax=docker/dockerfile:1.7
# Airlock container image.
#   docker build -t airlock:0.1.0 .                      # production: no demo-only dependency
#   docker build --target demo -t airlock-demo:0.1.0 .   # the demo: adds the embedded PGlite database
#   docker run --rm -p 6432:6432 -p 8080:8080 airlock-demo:0.1.0
# Without arguments the production image runs `serve --config /etc/airlock/airlock.yaml`,
# the path the Kubernetes manifests mount their ConfigMap on; with no file there it
# refuses to start (no silent fallback to the demo configuration).
#
# Node runs as PID 1 without tini: Airlock installs its own SIGTERM (drain),
# SIGINT and SIGHUP (reload) handlers, and the PostgreSQL and HTTP proxies
# spawn no child processes, so there is nothing to forward or reap. (Shell
# targets start PTY children: run those with `docker run --init` or
# shareProcessNamespace if orphans appear.)

# Pin by tag here; pin by digest (node:22.x-bookworm-slim@sha256:...) in your registry mirror.
# The major is one CI tests: .ci/run runs the suite on Node 22 as well (scripts/test-on-node.sh).
ARG NODE_IMAGE=node:22.23.3-bookworm-slim

# ---- build: all dependencies, TypeScript compiled to dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY cmd ./cmd
COPY src ./src
RUN npm run build

# ---- demo: the production files plus the embedded demo database and identity provider (optional dependencies) ----
FROM ${NODE_IMAGE} AS demo
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY deploy/docker/airlock.demo.yaml ./demo/airlock.yaml
RUN mkdir -p /var/lib/airlock \
 && chown 10001:10001 /var/lib/airlock \
 && chmod 0700 /var/lib/airlock
USER 10001:10001
EXPOSE 6432 8080
ENTRYPOINT ["node", "dist/cmd/airlock.js"]
CMD ["serve", "--config", "/app/demo/airlock.yaml"]

# ---- runtime (the default target): production dependencies and dist/ only ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: no production dependency needs one (checked in package-lock.json).
# No optional dependencies: the only ones are the demo's embedded database and identity provider.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /src/dist ./dist
# data_dir (TLS certificate, dev keys, local audit) must be writable by the
# runtime user; Kubernetes mounts an emptyDir over it.
RUN mkdir -p /var/lib/airlock /etc/airlock \
 && chown 10001:10001 /var/lib/airlock \
 && chmod 0700 /var/lib/airlock
USER 10001:10001
EXPOSE 6432 8080
# No curl in slim images: node itself probes the control listener.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cmd/airlock.js"]
CMD ["serve", "--config", "/etc/airlock/airlock.yaml"]
