# Shortcuts for people who have `just`; every recipe calls a script that works without it.

# Build the host, the example handlers and the demo page, and run the host on them
run *args:
    scripts/dev {{args}}

# Same as run
dev *args:
    scripts/dev {{args}}

# Redis and three nodes (ports 3000-3002) with the example handlers and the demo page; Ctrl-C stops them
cluster *args:
    scripts/cluster {{args}}

# Run every test (what CI runs)
test:
    scripts/test

# Create a sync's handler crates in plugins/: `just new chess/castle [--server|--client] [--version N]`
new *args:
    cargo run -q -p synchost -- new {{args}}

# Check a component before deploying it: `just check <file.wasm> [--as <served path>]`
check *args:
    cargo run -q -p synchost -- check {{args}}

# Time saving a one-line handler change until the new version answers a sync
save-to-live *args:
    scripts/save-to-live {{args}}

# Build the example handlers into build/plugins
build-plugins:
    scripts/build-plugins build/plugins

# Build the demo page into build/demo
build-demo:
    scripts/build-demo

# Write the TypeScript types of the built example handlers to build/apiTypes.generated.ts
types:
    cargo run -p synchost -- types --root build/plugins --out build/apiTypes.generated.ts

# Plugin runtime micro-benchmarks
bench:
    cargo bench -p synchost --bench plugins

# Broadcast benchmark against Node socket.io and socketioxide
bench-broadcast:
    scripts/bench-broadcast

# Cluster benchmark: a room of 1,000 on one node against the same room over 1-3 nodes on one Redis
bench-cluster:
    scripts/bench-cluster

# Fuzz the host's decoders: `just fuzz [target|all] [runs]`
fuzz *args:
    scripts/fuzz {{args}}

# Soak: 5,000 connections syncing for 10 minutes under hot swaps and a hostile handler
soak *args:
    scripts/soak {{args}}
