import Testing

/// The fault tests of the fleet (issue 5): teacher runs under injected faults, a worker's
/// SIGTERM, and a load of 1,000 jobs. One serialized suite, so that no two of them share
/// the two cores or the broker ports at once: they measure times and print them as
/// `[faults]` lines (docs/faults.md keeps the measured matrix). They start the release
/// binaries: `swift build -c release`, then
/// `swift test -c release --disable-xctest --filter FaultTests`.
@Suite(.serialized) enum FaultTests {}
