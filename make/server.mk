# A team's MLflow tracking server on this machine: PostgreSQL (backend store, users), MLflow with an
# artifact proxy and logins (basic-auth). State under data/server/ (SERVER_DIR); docs/server.md.
# Included from the main Makefile (PY and VENV_STAMP come from there).
# Usage: make server [SERVER_HOST=127.0.0.1] [SERVER_PORT=5000]; make server-stop; make server-status
#        make migrate-store FROM=sqlite:///mlflow.db [TO=$MLFLOW_TRACKING_URI]

PG_INITDB = $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb))
FROM ?=
TO ?=

.PHONY: server server-stop server-status setup-postgres migrate-store

server: $(VENV_STAMP) setup-postgres ## Start PostgreSQL + the MLflow tracking server with logins (data/server/); prints the exports to use it
	@$(PY) -m pipeline.tracking.server start

server-stop: $(VENV_STAMP) ## Stop the tracking server and its PostgreSQL (the PIDs recorded in data/server/)
	@$(PY) -m pipeline.tracking.server stop

server-status: $(VENV_STAMP) ## Show whether the tracking server and its PostgreSQL run
	@$(PY) -m pipeline.tracking.server status

migrate-store: $(VENV_STAMP) ## Copy a store into the server: make migrate-store FROM=sqlite:///mlflow.db [TO=http://127.0.0.1:5000]
	@$(PY) -m pipeline.tracking.migrate --from "$(FROM)" $(if $(TO),--to "$(TO)")

setup-postgres: ## Install PostgreSQL (Debian package postgresql) for make server and its tests
	@if [ -n "$(PG_INITDB)" ] && [ -x "$(PG_INITDB)" ]; then exit 0; fi; \
	echo "Installing postgresql with apt-get (make server and its tests run a PostgreSQL cluster)"; \
	if [ "$$(id -u)" -eq 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO="sudo -n"; else SUDO=none; fi; \
	if [ "$$SUDO" = none ] || ! command -v apt-get >/dev/null || \
		! { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql; }; then \
		echo "error: could not install postgresql (needs apt-get as root or passwordless sudo);" >&2; \
		echo "       install it yourself (apt-get install postgresql): make server needs /usr/lib/postgresql/*/bin/initdb" >&2; \
		exit 1; \
	fi; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "error: /usr/lib/postgresql/*/bin/initdb still missing after apt-get" >&2; exit 1; }
