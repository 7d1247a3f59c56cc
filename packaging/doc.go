// Package packaging holds what runs the sentinel outside a developer's shell, and tests
// that it keeps fitting the daemon:
//
//   - Dockerfile: the image, a static binary on distroless's nonroot base.
//   - sentinel.service: the systemd unit, Type=notify and sandboxed.
//   - kubernetes/sentinel.yaml: an example StatefulSet of three sentinels with its
//     ConfigMap, headless Service and PodDisruptionBudget.
//
// The package has no code; packaging_test.go holds the three files to these invariants:
//
//   - The image's final stage is distroless static nonroot with a non-root USER, VOLUME
//     /data, ENTRYPOINT ["/sentinel"] in exec form and a HEALTHCHECK through
//     `/sentinel --healthcheck` on an exposed port. The binary it copies is the build
//     stage's `go build -o` output, built with CGO_ENABLED=0 and -trimpath by the golang
//     image of go.mod's go version.
//   - The unit is Type=notify, runs /usr/local/bin/sentinel with --supervised systemd as a
//     dedicated user with NoNewPrivileges=yes, and leaves the config it rewrites writable
//     under ProtectSystem=strict. Where systemd-analyze is installed, `verify` reports
//     nothing about the unit.
//   - The manifest's objects agree: the headless Service publishes not-ready pods and is
//     the StatefulSet's serviceName; 3 replicas start in Parallel; the ConfigMap is mounted
//     read-only and the state-config-file lies on the claimed volume; the pod announces
//     its name under that Service; the probes hit /readyz and /healthz on the port of the
//     (non-loopback) metrics-address; the PodDisruptionBudget leaves a quorum and a
//     majority. Its sentinel.conf, with the container's arguments, loads with package
//     config as the daemon loads it, and passes the daemon's writability check.
//
// TestDockerImage builds the image and runs `--version` in it wherever a Docker daemon
// answers, unless SENTINEL_DOCKER_BUILD=0 or -short; it skips, saying why, elsewhere.
package packaging
