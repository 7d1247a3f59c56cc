package sentinel_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-go/sentinel/e2e/realredis"
)

// TestScripts: the notification script runs for every warning event with <type> <message>,
// and the client-reconfig script once at the promotion with <master> leader start <from> <to>,
// on ours as on redis-sentinel.
func TestScripts(t *testing.T) {
	for _, kind := range []string{real, ours} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			top := startTopology(t, nil)
			dir := t.TempDir()
			notifyOut, reconfOut := filepath.Join(dir, "notify.out"), filepath.Join(dir, "reconf.out")
			notify := writeScript(t, dir, "notify.sh", notifyOut)
			reconf := writeScript(t, dir, "reconf.sh", reconfOut)
			port := realredis.FreePort(t)
			p := startSentinel(t, kind, port, sentinelConf(port, top.Master.Port(), 1,
				fmt.Sprintf("sentinel notification-script %s %s", masterName, notify),
				fmt.Sprintf("sentinel client-reconfig-script %s %s", masterName, reconf)))
			waitDiscovery(t, top, p)
			rec := record(t, p)
			oldPort := top.Master.Port()
			top.Master.Kill()
			sw := rec.wait(t, 30*time.Second, "+switch-master", hasPrefix(masterName+" "))
			f := strings.Fields(sw.Payload)
			wantReconf := fmt.Sprintf("%s leader start 127.0.0.1 %d %s %s", masterName, oldPort, f[3], f[4])
			waitFor(t, 10*time.Second, "the client-reconfig script's run", func() bool {
				return slices.Contains(readLinesIfAny(reconfOut), wantReconf)
			})
			wantNotify := []string{
				fmt.Sprintf("+sdown master %s 127.0.0.1 %d", masterName, oldPort),
				fmt.Sprintf("+odown master %s 127.0.0.1 %d #quorum 1/1", masterName, oldPort),
				fmt.Sprintf("+try-failover master %s 127.0.0.1 %d", masterName, oldPort),
				fmt.Sprintf("+elected-leader master %s 127.0.0.1 %d", masterName, oldPort),
				"+switch-master " + sw.Payload,
			}
			waitFor(t, 10*time.Second, "the notification script's runs", func() bool {
				lines := readLinesIfAny(notifyOut)
				for _, w := range wantNotify {
					if !slices.Contains(lines, w) {
						return false
					}
				}
				return true
			})
			for _, l := range readLinesIfAny(notifyOut) {
				if strings.HasPrefix(l, "+slave-reconf") || strings.HasPrefix(l, "+failover-state-send-slaveof-noone") {
					t.Errorf("notice-level event %q ran the notification script", l)
				}
			}
		})
	}
}

// writeScript writes an executable script appending its arguments, as one line, to out.
func writeScript(t *testing.T, dir, name, out string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	body := fmt.Sprintf("#!/bin/sh\necho \"$*\" >> %s\n", out)
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func readLinesIfAny(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}
