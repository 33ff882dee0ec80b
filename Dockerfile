# syntax=docker/dockerfile:1
# One image for every service of the distributed deployment: `node bin/hf.mjs service <name>` (api, ws, ingest,
# strategy, risk, router, ledger, reconciler, news and the workers). TypeScript runs unbuilt through tsx, so the
# build stage type-checks (the same tsc as CI) and the runtime stage keeps only production dependencies.
#   docker build -t your-registry/hedgefund-api:$(git rev-parse --short HEAD) .
#   docker run --env-file .env your-registry/hedgefund-api:<tag> service router

ARG NODE_IMAGE=node:20-slim

# ---- build: install from the lockfile, type-check, then drop dev dependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY configs ./configs
# The example secrets: in production (NODE_ENV=production) a service refuses to start with one of them.
COPY .env.example ./
COPY tests ./tests
COPY bench ./bench
COPY examples ./examples
# TYPECHECK=false skips it (e.g. a quick local image); CI images keep the default.
ARG TYPECHECK=true
RUN if [ "$TYPECHECK" = "true" ]; then npx tsc -p tsconfig.json --noEmit; fi
# The operator dashboard, built by Vite (a dev dependency) into frontend/dist, which the API serves at /.
COPY frontend ./frontend
RUN npx vite build --config frontend/vite.config.ts
RUN npm prune --omit=dev

# ---- runtime: production dependencies, sources, configs; an unprivileged user ----
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    HF_HOME=/var/lib/hf \
    HF_CONFIG_DIR=/app/configs \
    HF_LOG_LEVEL=info
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/src ./src
COPY --from=build /app/configs ./configs
COPY --from=build /app/frontend/dist ./frontend/dist
COPY --from=build /app/.env.example ./
RUN mkdir -p /var/lib/hf && chown node:node /var/lib/hf
USER node
# API 8000, WebSocket gateway 8765, per-service health and /metrics 9101-9110, ws metrics 9120.
EXPOSE 8000 8765 9101 9102 9103 9104 9105 9106 9107 9108 9109 9110 9120
# SIGTERM reaches node directly (exec form): each service finishes in-flight work, acks and closes.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/hf.mjs"]
CMD ["service", "api"]
