/// Why a line of headless control input is not a command flowtap can carry out: the reason a
/// `control_error` event gives, e.g. `unknown command "resmue" (expected pause, resume, …)`.
public struct ControlCommandError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, in words; text that came from the input is escaped (``ByteEscapes``) and
    /// cut short, so it is safe to print.
    public var reason: String

    /// An error saying `reason`.
    public init(_ reason: String) {
        self.reason = reason
    }

    /// The reason.
    public var description: String { reason }
}
