# Sourced by the benchmark scripts (never by tests, which listen on port 0 and read it back).
# free_port: prints a random TCP port in 20000–59999 nobody listens on now (there is a window
# before the caller binds it; a benchmark that loses that race fails loudly and is run again).
free_port() {
    local port
    while true; do
        port=$((20000 + RANDOM % 40000))
        if [ -z "$(ss -Htln "sport = :$port")" ]; then
            echo "$port"
            return
        fi
    done
}
