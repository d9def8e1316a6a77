// Package multiserver tests several sparkplane server processes sharing one
// PostgreSQL database (a throwaway one from internal/testenv/pgenv, or
// SPARKPLANE_TEST_POSTGRES) and one data directory: real binaries built by
// the test, real Spark runs on the local runtime, a server killed with
// SIGKILL in the middle. Run `scripts/setup.sh --test` first (make test does).
package multiserver
