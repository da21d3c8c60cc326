#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A system thread of its own, for the work that must not run on the event loops or the Swift
/// concurrency pool because it blocks (the printed log, the capture writer, stdin, the curses
/// UI): a detached POSIX thread, without Foundation's `Thread` (which links all of Foundation,
/// ICU included: about 8 MiB of resident memory).
public enum DetachedThread {
    /// Starts `body` on a new detached thread named `name` (at most 15 bytes are kept, the
    /// system's limit). The thread ends when `body` returns; nobody joins it.
    /// - Precondition: the system can create a thread (a failure to do so is a crash, as with
    ///   Foundation's `Thread`, not an error to handle).
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Context(name: name, body: body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        #if canImport(Glibc)
            var thread = pthread_t()
        #else
            var thread: pthread_t?
        #endif
        let result = pthread_create(
            &thread, &attributes,
            { raw in
                guard let raw else { return nil }
                let context = Unmanaged<Context>.fromOpaque(raw).takeRetainedValue()
                DetachedThread.nameCurrentThread(String(context.name.utf8.prefix(15))!)
                context.body()
                return nil
            }, context)
        precondition(result == 0, "cannot start thread \(name): \(String(cString: strerror(result)))")
    }

    /// Names the calling thread (shown by `top -H`, `ps -L`, debuggers). Glibc's module does not
    /// import `pthread_setname_np` (a GNU extension), so it is looked up at run time; without it
    /// the thread keeps its inherited name.
    private static func nameCurrentThread(_ name: String) {
        #if canImport(Glibc)
            typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32
            guard let symbol = dlsym(nil, "pthread_setname_np") else { return }
            _ = unsafeBitCast(symbol, to: SetName.self)(pthread_self(), name)
        #elseif canImport(Darwin)
            _ = pthread_setname_np(name)
        #endif
    }

    /// What the new thread runs, handed over as one retained object.
    private final class Context: Sendable {
        let name: String
        let body: @Sendable () -> Void

        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
}
