# kha-drill in a container: for CI schedules and Kubernetes CronJobs (examples/cronjob.yaml).
#
#   docker build -t kha-drill:0.1.0 .
#   docker run --rm -v "$PWD/secrets:/etc/kha-drill:ro" -v "$PWD/reports:/data/reports" \
#     kha-drill:0.1.0 run game-days/quarterly.yaml --lock --out /data/reports
#
# The image holds the CLI, the built-in drills and the example suites. Inventory, SSH key,
# known_hosts, kubeconfig and etcd certificates are mounted at run time, never baked in.
# Needs package-lock.json in the build context (npm ci installs exactly what it pins).

# ---- build: compile TypeScript, then keep only the runtime dependencies ----------------------
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would compile before the sources are copied; ssh2's optional
# native crypto binding is not needed (it falls back to Node's crypto)
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm ci --omit=dev --ignore-scripts \
 && npm cache clean --force

# ---- runtime ---------------------------------------------------------------------------------
FROM node:20-bookworm-slim
# openssh-client: ssh/ssh-keyscan for checking access and building known_hosts from the pod;
# tini: forwards SIGTERM (a CronJob's deadline, a cancelled CI job) so restore always runs
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssh-client ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/kha-drill
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json inventory.example.yaml ./
COPY bin ./bin
COPY drills ./drills
COPY schema ./schema
COPY game-days ./game-days
RUN ln -s /opt/kha-drill/bin/kha-drill.js /usr/local/bin/kha-drill \
 && mkdir -p /data/reports /data/state \
 && chown -R node:node /data

ENV NODE_ENV=production \
    KHA_INVENTORY=/etc/kha-drill/inventory.yaml \
    KHA_STATE_DIR=/data/state \
    NO_COLOR=1

# the image's unprivileged user (uid 1000); mount secrets readable by it (fsGroup 1000)
USER node
WORKDIR /data
VOLUME ["/data"]
ENTRYPOINT ["/usr/bin/tini", "--", "kha-drill"]
CMD ["--help"]
