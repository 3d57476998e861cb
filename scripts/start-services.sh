# Sourced by the scripts that need the project's helper services: `start_services s3 pgvector …`
# runs scripts/<name>.sh start for each. Each prints `started` only when it launched the service
# itself; those are stopped again when the sourcing script exits, however it exits, and services
# that were already up are left alone. (The outcome is assigned first, so that set -e stops the
# script when a start fails.)
started_services=()
stop_started_services() {
  for service in "${started_services[@]}"; do scripts/"$service".sh stop || true; done
}
trap stop_started_services EXIT
start_services() {
  local service outcome
  for service in "$@"; do
    outcome=$(scripts/"$service".sh start)
    if [ "$outcome" = started ]; then started_services+=("$service"); fi
  done
}
