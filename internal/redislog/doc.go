// Package redislog is an hclog.Logger that writes Redis's own log line format, so that tools
// which parse redis-sentinel's log keep working:
//
//	<pid>:<role> <DD Mon YYYY HH:MM:SS.mmm> <level> <message>[ key=value ...]
//	9982:X 26 Nov 2026 18:33:01.834 # +odown master mymaster 127.0.0.1 7100 #quorum 2/2
//
// hclog levels map onto Redis's four: Trace is Redis's debug (.), Debug is verbose (-), Info
// is notice (*), Warn and Error are warning (#). ParseLevel maps the loglevel names of
// redis.conf the same way.
//
// With syslog-enabled yes, Redis also sends each record to syslog (serverLogRaw): Syslog
// does that as glibc's syslog(3) would after redis-sentinel's openlog(ident,
// LOG_PID|LOG_NDELAY|LOG_NOWAIT, facility), with debug, verbose, notice and warning at
// LOG_DEBUG, LOG_INFO, LOG_NOTICE and LOG_WARNING. Options.Syslog hooks it to this format;
// Syslog.Tee to hclog's text and JSON formats. One difference: redis-sentinel logs its
// first three lines (starting, version, "Configuration loaded") before initServer calls
// openlog, so glibc sends those with the program's name, LOG_USER and no pid; ours carry
// the configured ident and facility from the first line on.
//
// Invariants:
//   - One record is one Write call on the output, made under a lock shared by every logger
//     derived from the same New, so lines never interleave.
//   - The level is shared the same way: SetLevel on any of them changes all, as hclog's
//     default is.
//   - The message is written as given, as Redis writes it, cut after 1023 bytes as
//     serverLog cuts it; key/value pairs, which Redis
//     never has, follow it as " key=value", the value quoted (Go syntax) when it is empty or
//     holds a space, a quote, a control or a non-printable character, so they stay on the line.
package redislog
