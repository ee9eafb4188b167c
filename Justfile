# Shortcuts for people who have `just`; every recipe calls a script that works without it.

# Build the example handlers and run the host on them
run *args:
    scripts/dev {{args}}

# Same as run
dev *args:
    scripts/dev {{args}}

# Run every test (what CI runs)
test:
    scripts/test

# Build the example handlers into build/plugins
build-plugins:
    scripts/build-plugins build/plugins

# Plugin runtime micro-benchmarks
bench:
    cargo bench -p synchost --bench plugins

# Broadcast benchmark against Node socket.io and socketioxide
bench-broadcast:
    scripts/bench-broadcast

# Fuzz the Socket.IO packet decoders
fuzz *args:
    scripts/fuzz {{args}}
