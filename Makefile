# The full test suite: regenerate templ code (and fail if the committed code
# was stale), vet, then every test with the race detector.
.PHONY: test generate run check-tools bench fuzz

test: check-tools
	go tool templ generate
	@if [ -n "$$(git status --porcelain -- '*_templ.go')" ]; then \
		echo "generated templ code differs from what is committed:"; \
		git status --porcelain -- '*_templ.go'; \
		echo "run 'go tool templ generate' and commit the *_templ.go files"; \
		exit 1; \
	fi
	go vet ./...
	# One package at a time: the scenario tests time real Python runs, and on
	# a 2-core machine packages racing each other for the CPU skew them.
	# The server package's browser and classroom tests take several minutes
	# under -race on 2 cores; the default 10-minute limit is too tight.
	go test -race -count=1 -p 1 -timeout 30m ./...

generate:
	go tool templ generate

run:
	go run ./cmd/asyncplay

# Say loudly which tests will skip on this machine (go test hides skip
# messages of passing packages). Under CI=true those tests fail instead.
check-tools:
	@python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || \
		echo "*** WARNING: no python3 >= 3.11: the Python tests will SKIP (apt-get install python3) ***"
	@[ -x /usr/bin/chromium ] || \
		echo "*** WARNING: no /usr/bin/chromium: the browser tests will SKIP (apt-get install chromium) ***"

# Benchmarks that print figures (not part of the test suite).
bench:
	go test -run '^$$' -bench . -benchtime 1x ./scenarios/timeline/ ./scenarios/
	go test -run '^$$' -bench . -benchtime 3x ./server/
	# The server as a child process under load from this machine's loopback:
	# pages, 200 concurrent runs, 5,000 idle sockets, each against a baseline.
	go run ./cmd/asyncplay-bench

# Fuzz every fuzz target in turn for FUZZTIME each (make fuzz FUZZTIME=5m).
# make test runs only their seed inputs; go test -fuzz takes one target at
# a time. A failing input is saved under the package's testdata/fuzz and
# then fails make test until it is fixed.
FUZZTIME ?= 30s
fuzz:
	@set -e; for pkg in $$(go list ./...); do \
		for t in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$t"; \
			go test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done
