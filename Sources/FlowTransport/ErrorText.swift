import FlowCore
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns SwiftNIO's and the system's errors into the short, lowercased reasons users read:
/// `connection reset by peer`, `broken pipe`, `connection refused`.
enum ErrorText {
    /// The system's text for an `errno`, lowercased: 104 → `connection reset by peer`.
    static func reason(errno code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text).lowercased()
    }

    /// The reason and errno of any error met on a socket, or nil for NIO's "the channel is
    /// closed" family, which says nothing about why.
    static func socketFailure(_ error: any Error) -> FlowError? {
        switch error {
        case let error as IOError:
            return FlowError(reason(errno: error.errnoCode), errno: error.errnoCode)
        case let error as ChannelError:
            switch error {
            case .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed, .eof:
                return nil
            case .connectTimeout:
                return FlowError(reason(errno: ETIMEDOUT), errno: ETIMEDOUT)
            default:
                return FlowError("\(error)")
            }
        case let error as FlowError:
            return error
        default:
            return FlowError("\(error)")
        }
    }

    /// The reason and errno of a failed connect, bind or accept.
    static func setupFailure(_ error: any Error) -> (reason: String, errno: Int32?) {
        switch error {
        case let error as NIOConnectionError:
            // Several addresses may have been tried: report the first real system error.
            for attempt in error.connectionErrors {
                let (reason, code) = setupFailure(attempt.error)
                if code != nil { return (reason, code) }
            }
            if let first = error.connectionErrors.first { return setupFailure(first.error) }
            if error.dnsAError != nil || error.dnsAAAAError != nil {
                return ("unknown host \"\(error.host)\"", nil)
            }
            return ("no address found for \"\(error.host)\"", nil)
        case let error as SocketAddressError.UnknownHost:
            return ("unknown host \"\(error.host)\" (\(error.errorDescription.lowercased()))", nil)
        case let error as SocketAddressError:
            switch error {
            case .unknown(let host, _): return ("unknown host \"\(host)\"", nil)
            case .unixDomainSocketPathTooLong: return ("path too long", nil)
            default: return ("\(error)", nil)
            }
        case let error as ChannelError:
            if case .connectTimeout = error { return (reason(errno: ETIMEDOUT), ETIMEDOUT) }
            return ("\(error)", nil)
        default:
            if let failure = socketFailure(error) { return (failure.message, failure.errno) }
            return ("\(error)", nil)
        }
    }
}
