#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A mutex and a condition variable for one thread that sleeps until it is signalled or a
/// timeout passes (``EventQueue``'s reader): what Foundation's `NSCondition` gave, on POSIX
/// threads directly. Timeouts run on the monotonic clock where the system allows it.
final class WakeSignal: @unchecked Sendable {
    // Allocated once and never moved: POSIX mutexes and conditions must keep their address.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if os(Linux)
            pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Takes the mutex.
    func lock() { pthread_mutex_lock(mutex) }

    /// Releases the mutex.
    func unlock() { pthread_mutex_unlock(mutex) }

    /// Wakes the waiting thread (if any); call holding the mutex, or not.
    func signal() { pthread_cond_signal(condition) }

    /// Holding the mutex: releases it until signalled (or woken spuriously), then takes it again.
    func wait() { pthread_cond_wait(condition, mutex) }

    /// Holding the mutex: ``wait()``, but for at most `seconds`.
    func wait(seconds: Double) {
        var deadline = timespec()
        #if os(Linux)
            clock_gettime(CLOCK_MONOTONIC, &deadline)
        #else
            clock_gettime(CLOCK_REALTIME, &deadline)
        #endif
        let whole = seconds.rounded(.down)
        var nanoseconds = Int(deadline.tv_nsec) + Int((seconds - whole) * 1e9)
        var secondsPart = Int(deadline.tv_sec) + Int(whole)
        if nanoseconds >= 1_000_000_000 {
            nanoseconds -= 1_000_000_000
            secondsPart += 1
        }
        deadline.tv_sec = time_t(secondsPart)
        deadline.tv_nsec = type(of: deadline.tv_nsec).init(nanoseconds)
        _ = pthread_cond_timedwait(condition, mutex, &deadline)
    }
}
