import Foundation

/// Ends a worker whose coordinator died. The worker's loop notices the new parent
/// between jobs and stops cleanly; but a job in flight may be waiting on the dead
/// coordinator's embedded broker (a reply's delivery waits up to librdkafka's
/// `message.timeout.ms`, 5 minutes by default), so once `grace` has passed after the
/// parent's exit the process exits at once. The job, never committed, is redone by
/// whichever worker takes its partition next.
public enum ParentWatch {
    /// Checks every `interval` on a thread of its own that `parent` is still the parent.
    public static func start(parent: Int32, stop: StopSignal, grace: Duration = .seconds(3),
                             interval: Duration = .milliseconds(200)) {
        Thread.detachNewThread {
            while getppid() == parent { sleep(for: interval) }
            stop.request(reason: "parent process \(parent) exited")
            sleep(for: grace)
            Log.warn("parent process exited; leaving without finishing the job in flight", ["parent": .integer(Int64(parent))])
            // _exit: nothing is left to flush to a broker that died with the parent, and
            // exit handlers could wait on the threads still blocked on it.
            _exit(ExitCode.success.rawValue)
        }
    }

    private static func sleep(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        usleep(useconds_t(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
    }
}
