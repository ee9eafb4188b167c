# Sourced by the benchmark scripts (bench-broadcast, bench-sync): starting and stopping the server
# under test. The caller defines `server_cmd <name> <port>` (the command line, {port} filled in) and
# sets PORT (the last port used), RESULTS (where the servers' logs go) and START_WAIT_SECS (how long
# a server may take to listen). A measurement always gets a fresh server on a new port.

SERVER_PID=""

stop_server() {
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

# Starts server $1 on the next port and waits until it accepts connections.
start_server() {
  PORT=$((PORT + 1))
  local cmd
  cmd=$(server_cmd "$1" "$PORT")
  # exec: the pid we hold is the server itself, whose memory and CPU are measured.
  bash -c "exec $cmd" >>"$RESULTS/$1.server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq $((START_WAIT_SECS * 10))); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      wait "$SERVER_PID" 2>/dev/null || true
      SERVER_PID=""
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  stop_server
  return 1
}
