import NIOCore

/// A `TaskExecutor` that runs a task's jobs on one NIO event loop.
///
/// A task that prefers it (`withTaskExecutorPreference(flow.taskExecutor) { … }`) runs its
/// non-isolated code on the event loop of the channel it reads and writes, so a read that
/// finds data already queued, and a write into the channel, cost no hop between threads.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
