# syntax=docker/dockerfile:1
# Node 24, the active LTS (Node 20 reached end of life on 2026-04-30). Node 22 works too:
# docker build --build-arg NODE_IMAGE=node:22-alpine .
ARG NODE_IMAGE=node:24-alpine

# 1. TypeScript to plain JavaScript: no source maps, no declarations, no build record. Compiling needs
#    no native addon, so install scripts are skipped here.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json server.ts ./
COPY lib ./lib
RUN npx tsc -p tsconfig.build.json --sourceMap false --declaration false --tsBuildInfoFile /tmp/tsbuildinfo

# 2. Production dependencies only. better-sqlite3 fetches its prebuilt addon (or compiles it with the
#    tools installed here); then the build leftovers go: the addon's C++ sources, SQLite's amalgamation
#    and the object files (the .node addon stays). TypeScript is left out: the lock file marks it
#    devOptional (our dev dependency and valibot's optional peer), which only --omit=optional next to
#    --omit=dev leaves out (no runtime dependency is optional). So are the type declarations, source
#    maps, TypeScript sources and READMEs that packages publish. (prebuild-install and its small dependencies, about 2 MB, stay: they are
#    better-sqlite3's declared dependencies.)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
RUN apk add --no-cache python3 make g++
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund \
 && cd node_modules/better-sqlite3 \
 && mv build/Release/better_sqlite3.node /tmp/ \
 && rm -rf build deps src binding.gyp \
 && mkdir -p build/Release && mv /tmp/better_sqlite3.node build/Release/ \
 && cd /app \
 && find node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' -o -iname 'README*' -o -iname 'CHANGELOG*' \) -delete \
 && rm -rf node_modules/chrono-node/src node_modules/.package-lock.json node_modules/.bin

# 3. The image: JavaScript, production modules and the chat page, owned by root and read-only to the
#    server, which runs as the image's non-root `node` user (uid 1000, gid 1000) and writes only /data.
FROM ${NODE_IMAGE}
# HOST=:: accepts IPv6 and, through IPv4-mapped addresses, IPv4 too (set HOST=0.0.0.0 on a host whose
# kernel has IPv6 switched off entirely).
ENV NODE_ENV=production HOST=:: PORT=8000 MEETINGMUSE_DB=/data/meetingmuse.db
WORKDIR /app
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY web ./web
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
  CMD wget -q -O /dev/null "http://127.0.0.1:${PORT}/health" || exit 1
CMD ["node", "dist/server.js"]
