# xmpp-gateway container image.
#   docker build -t xmpp-gateway .
#   docker run -v ./gateway.yaml:/etc/xmpp-gateway/config.yaml:ro -e SMS_SECRET=... xmpp-gateway
# The config's http.host must be 0.0.0.0 for the published port to reach it.

# --- build: compile TypeScript, then keep only production dependencies ---
# Node 22 (LTS into 2027): Node 20 reached its end of life in April 2026. CI
# still tests on Node 20.19+, the oldest the dependencies accept (package.json engines).
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY adapters ./adapters
COPY types ./types
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- runtime ---
FROM node:22-slim
# GATEWAY_HEALTH_URL is what the HEALTHCHECK polls: change it if http.port is not 8080.
ENV NODE_ENV=production \
    GATEWAY_HEALTH_URL=http://127.0.0.1:8080/healthz
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The sandbox console's page, script and stylesheet (plain files, served as they are).
COPY src/http/console ./src/http/console
COPY config ./config
RUN mkdir -p /etc/xmpp-gateway
# The node image's unprivileged user (uid 1000).
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.GATEWAY_HEALTH_URL).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node as PID 1 gets SIGTERM from `docker stop` and shuts down gracefully. The heap flag is the one
# `npm start` passes (package.json; README "Memory" says why).
CMD ["node", "--max-old-space-size=1024", "dist/src/main.js", "--config", "/etc/xmpp-gateway/config.yaml"]
