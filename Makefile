# The full test suite: regenerate templ code (and fail if the committed code
# was stale), vet, then every test with the race detector.
.PHONY: test generate run

test:
	go tool templ generate
	@if [ -n "$$(git status --porcelain -- '*_templ.go')" ]; then \
		echo "generated templ code differs from what is committed:"; \
		git status --porcelain -- '*_templ.go'; \
		echo "run 'go tool templ generate' and commit the *_templ.go files"; \
		exit 1; \
	fi
	go vet ./...
	go test -race -count=1 ./...

generate:
	go tool templ generate

run:
	go run ./cmd/asyncplay
