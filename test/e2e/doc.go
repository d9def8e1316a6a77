// Package e2e tests a whole sparkplane server as users drive it: the real AWS
// Go SDK and AWS CLI as clients, the embedded SQLite store, and real Apache
// Spark jobs on the local runtime. Run `scripts/setup.sh --test` first (make
// test does).
package e2e
