# psd2-gateway container image: Node 20 slim, production dependencies only, runs as the unprivileged
# `node` user. Key material and the trust anchor are mounted at run time (see README "Packaging").

# Build: the TypeScript compiler is a dev dependency, so the build runs in its own stage.
FROM node:20-slim AS build
WORKDIR /app
# better-sqlite3 compiles when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Production dependencies, compiled for this image.
FROM node:20-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

FROM node:20-slim
ENV NODE_ENV=production \
    GATEWAY_MODE=production \
    GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=8443 \
    GATEWAY_ADMIN_PORT=9090
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY openapi ./openapi
# The OpenSSL settings the node flags name (package.json config.nodeFlags).
COPY src/tls/openssl.cnf ./src/tls/openssl.cnf
COPY fixtures/sandbox_bank.json ./fixtures/sandbox_bank.json
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8443 9090
# Liveness from the admin listener (inside the container, so its loopback default is enough).
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9090/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains (GATEWAY_SHUTDOWN_GRACE_SECONDS, default 25): give `docker stop` a longer timeout (-t 35).
STOPSIGNAL SIGTERM
CMD ["node", "--max-semi-space-size=8", "--openssl-config=src/tls/openssl.cnf", "dist/main.js"]
