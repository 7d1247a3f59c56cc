// Package script runs the notification-script and client-reconfig-script jobs of a
// sentinel the way redis-sentinel 7.0 does (sentinelScheduleScriptExecution,
// sentinelRunPendingScripts, sentinelCollectTerminatedScripts, sentinelKillTimedoutScripts,
// sentinelPendingScriptsCommand), so operators' scripts see the same arguments, retries and
// events.
//
// A Scheduler holds a queue of jobs in arrival order. Each Step does one round of Redis's
// timer, in Redis's order: start due jobs (oldest first), collect terminated ones, kill
// those running too long. Run calls Step every 100 ms, as the sentinel timer does.
//
// Invariants:
//   - The queue never holds more than MaxQueue jobs; on overflow the oldest job that is not
//     running is dropped, so a burst of events keeps the newest notifications.
//   - At most MaxRunning jobs run at once. A job is either running (it has a process, whose
//     exit Step collects exactly once) or scheduled (it starts once its start time has come;
//     a new job's start time is zero, meaning now).
//   - A job is attempted at most MaxRetry times; exit code 1 or death by a signal schedules
//     the next attempt after RetryDelay × 2^(attempt−1). Any other failure is final and
//     reported as -script-error.
//   - Every process the Scheduler starts is waited for: collected by Step, or killed and
//     waited for by Close. Nothing it starts outlives Close.
//   - Events are delivered in the order Step produced them, outside the Scheduler's lock, so
//     the callback may call Queue or WritePending.
//   - Queue, WritePending and Stats only take the lock for bookkeeping; starting processes
//     happens outside it, so callers on the monitor's goroutine never wait for fork/exec.
//
// The clock and process start are injected (Options.Now, Options.Start), so tests drive
// Step with hand-made times and fake processes.
package script
