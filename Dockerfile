# redeno as a container: one self-contained executable on a glibc-only base.
#
#   docker build -t redeno .
#   docker run -p 6379:6379 redeno [--name value ...]
#
# The build stage installs the bun binary pinned in package.json from npm and
# compiles main.ts with `bun build --compile`. The executable links nothing but
# glibc (libc, libm, libdl, libpthread) and reads its own code through
# /proc/self/exe, so the final image needs no Node, Deno or Bun.

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Not `npm ci`: it refuses the lock npm writes for the deno and bun packages
# (their other-platform optional packages are not in it); install works.
RUN npm install --no-audit --no-fund
COPY . .
RUN node_modules/.bin/bun build --compile --minify --outfile /out/redeno main.ts \
 && /out/redeno --version \
 && mkdir /out/data

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/redeno /usr/local/bin/redeno
# The working directory is where RDB and AOF files go, owned by the image's
# nonroot user (65532).
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
VOLUME /data
EXPOSE 6379
ENTRYPOINT ["/usr/local/bin/redeno"]
