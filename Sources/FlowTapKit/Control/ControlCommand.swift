import FlowCore
import FlowEvents
import FlowFaults
import NIOCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One headless control command: a JSON object on one line of flowtap's standard input (with
/// `--pause` in headless mode), e.g. `{"cmd":"step","conn":1,"dir":"c2s"}`.
///
/// | `cmd` | fields | effect | answered by |
/// |---|---|---|---|
/// | `pause` | `conn`, `dir`? | hold the direction(s) | `pause` |
/// | `resume` | `conn`, `dir`? | deliver what is held and flow again | `resume` |
/// | `step` | `conn`, `dir`? | deliver one chunk: the held one, else the next one read | `step` |
/// | `drop` | `conn`, `dir` | discard the held chunk, else the next one read | `drop` |
/// | `replace` | `conn`, `dir`, `text` or `hex` | send these bytes in place of the held chunk, else of the next one read | `edit`, `data` |
/// | `inject` | `conn`, `dir`, `text` or `hex` | write these bytes to the direction's destination now, between two chunks | `inject`, `data` |
/// | `fin` | `conn`, `dir`? | end the direction as if its source had sent FIN (what is held goes first) | `eof`, `shutdown` |
/// | `kill` | `conn` | reset both sides | `read_error`/`write_error`, `close` |
/// | `fault` | `conn`, `fault`, `dir`? | add a fault (`s2c:latency=200ms`, the form of `--fault`), remove one (`s2c:-latency=200ms`), or remove all (`s2c:clear`) | `fault` |
/// | `break` | `add` or `remove`, no `conn` | add or remove a breakpoint of every session, live and future (`"c2s:^SET"`, the form of `--break`) | `breakpoints` |
/// | `break` | `add` or `remove` (no `conn`) | add or remove a breakpoint of every session (`c2s:^SET`, the form of `--break`) | `breakpoints` |
///
/// - `conn` is the session number (a whole number from 1). `dir` is `"c2s"` or `"s2c"`;
///   omitted (or `"both"`) means both directions where marked `dir`?; a command that acts on
///   chunks or bytes needs one direction. For `fault`, the direction is the spec's `DIR:`
///   (`c2s`, `s2c`, `both`), or `dir` when the spec has none (then omitted means both).
/// - `text` is bytes in the escapes of ``ByteEscapes`` (`"PING\r\n"` written in JSON as
///   `"PING\\r\\n"`, any byte as `\xNN`); `hex` is bytes as hex digits (`"50494e470d0a"`).
/// - A drop, step or replacement given while nothing is held applies to the next chunk read,
///   in the order given (a `resume` cancels those not applied yet).
/// - Unknown commands and fields, a field of the wrong type, a missing field and a field
///   that does not fit the command are refused, naming it. Blank lines are skipped; a line may
///   end in CR LF.
public struct ControlCommand: Sendable, Equatable {
    /// What the command does.
    public enum Action: Sendable, Equatable {
        /// Hold the directions (``Session/pause(_:)``).
        case pause
        /// Flow again (``Session/resume(_:)``).
        case resume
        /// Deliver one chunk (``Session/step(_:)``).
        case step
        /// Discard the held or next chunk (``Session/dropNext(_:)``).
        case drop
        /// Send these bytes in place of the held or next chunk (``Session/replaceNext(_:with:)``).
        case replace(ByteBuffer)
        /// Write these bytes between two chunks (``Session/inject(_:_:)``).
        case inject(ByteBuffer)
        /// Pass a FIN on (``Session/passFIN(_:)``).
        case fin
        /// Reset both sides (``Session/kill()``).
        case kill
        /// Change the faults (``Session/setFaults(_:for:)``).
        case fault(FaultEdit)
        /// Change the breakpoints of every session (``BreakpointSet``).
        case breakpoint(BreakpointEdit)
    }

    /// A change to the breakpoints.
    public enum BreakpointEdit: Sendable, Equatable {
        /// Add the breakpoint after the others.
        case add(Breakpoint)
        /// Remove the breakpoint that reads the same.
        case remove(Breakpoint)
    }

    /// A change to the faults of a direction.
    public enum FaultEdit: Sendable, Equatable {
        /// Add the fault after the active ones.
        case add(Fault)
        /// Remove the first active fault equal to this one.
        case remove(Fault)
        /// Remove every active fault.
        case clear
    }

    /// The command's names, in the order help lists them.
    public static let names = [
        "pause", "resume", "step", "drop", "replace", "inject", "fin", "kill", "fault", "break",
    ]

    /// What to do.
    public var action: Action
    /// The session, from 1; `nil` for a command that acts on every session (`break`).
    public var conn: Int?
    /// The directions acted on (both when the command allows and none was named).
    public var directions: [Direction]

    /// A command doing `action` to `directions` of session `conn`.
    public init(_ action: Action, conn: Int?, directions: [Direction]) {
        self.action = action
        self.conn = conn
        self.directions = directions
    }

    /// The command's name (`"step"`).
    public var name: String {
        switch action {
        case .pause: "pause"
        case .resume: "resume"
        case .step: "step"
        case .drop: "drop"
        case .replace: "replace"
        case .inject: "inject"
        case .fin: "fin"
        case .kill: "kill"
        case .fault: "fault"
        case .breakpoint: "break"
        }
    }

    /// Parses one line (without its newline); `nil` for a blank line.
    /// - Throws: ``ControlCommandError`` saying what is wrong: not JSON, not an object, an
    ///   unknown `cmd` or field, a missing field, a field of the wrong type, a `dir` that does
    ///   not fit, bad bytes or a bad fault spec.
    public static func parse<Bytes: Collection<UInt8>>(_ line: Bytes) throws(ControlCommandError)
        -> ControlCommand?
    {
        var bytes = Array(line)
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
        let fields: [String: Value]
        do {
            fields = try JSONDecoder().decode([String: Value].self, from: Data(bytes))
        } catch {
            throw ControlCommandError(
                bytes.first == UInt8(ascii: "{")
                    ? "not valid JSON" : "not a JSON object (expected e.g. {\"cmd\":\"resume\",\"conn\":1})")
        }
        var checked = Fields(fields)
        return try checked.command()
    }

    /// A JSON value of a command's field.
    enum Value: Decodable, Sendable {
        case string(String)
        case integer(Int)
        /// Anything else, by the name of its type.
        case other(String)

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() {
                self = .other("null")
            } else if let value = try? c.decode(Bool.self) {
                self = .other(value ? "true" : "false")
            } else if let value = try? c.decode(Int.self) {
                self = .integer(value)
            } else if (try? c.decode(Double.self)) != nil {
                self = .other("a number that is not a whole number")
            } else if let value = try? c.decode(String.self) {
                self = .string(value)
            } else if (try? c.decode([Value].self)) != nil {
                self = .other("an array")
            } else {
                self = .other("an object")
            }
        }

        var shown: String {
            switch self {
            case .string(let text): "\"\(ControlCommand.shown(text))\""
            case .integer(let value): "\(value)"
            case .other(let kind): kind
            }
        }
    }

    /// Text from the input, safe to print: escaped (``ByteEscapes/encode(_:)``) and cut to
    /// `limit` bytes.
    static func shown(_ text: String, limit: Int = 40) -> String {
        let bytes = Array(text.utf8)
        let escaped = ByteEscapes.encode(bytes.prefix(limit))
        return bytes.count > limit ? escaped + "…" : escaped
    }

    /// The fields of one command line, checked one by one.
    private struct Fields {
        var values: [String: Value]
        var used: Set<String> = ["cmd"]

        init(_ values: [String: Value]) {
            self.values = values
        }

        mutating func command() throws(ControlCommandError) -> ControlCommand {
            guard let cmdValue = values["cmd"] else {
                throw ControlCommandError(
                    "missing \"cmd\" (one of \(ControlCommand.names.joined(separator: ", ")))")
            }
            guard case .string(let cmd) = cmdValue, ControlCommand.names.contains(cmd) else {
                throw ControlCommandError(
                    "unknown command \(cmdValue.shown) (expected \(ControlCommand.names.joined(separator: ", ")))"
                )
            }
            if cmd == "break" { return try breakpoint() }
            let conn = try session()
            let action: Action
            var directions: [Direction]
            switch cmd {
            case "pause", "resume", "step", "fin":
                directions = try direction(cmd, oneOnly: false) ?? Direction.allCases
                action = ["pause": .pause, "resume": .resume, "step": .step][cmd] ?? .fin
            case "drop":
                directions = try direction(cmd, oneOnly: true)!
                action = .drop
            case "replace", "inject":
                directions = try direction(cmd, oneOnly: true)!
                let bytes = try payload(cmd)
                action = cmd == "replace" ? .replace(bytes) : .inject(bytes)
            case "kill":
                if values["dir"] != nil {
                    throw ControlCommandError("kill takes no \"dir\": it resets both sides")
                }
                directions = Direction.allCases
                action = .kill
            default:
                (action, directions) = try fault()
            }
            if let unknown = values.keys.sorted().first(where: { !used.contains($0) }) {
                throw ControlCommandError("unknown field \"\(ControlCommand.shown(unknown))\" for \(cmd)")
            }
            return ControlCommand(action, conn: conn, directions: directions)
        }

        /// A `break` command: `add` or `remove` (exactly one), a `[DIR:]REGEX` text.
        mutating func breakpoint() throws(ControlCommandError) -> ControlCommand {
            used.formUnion(["add", "remove"])
            if values["conn"] != nil {
                throw ControlCommandError("break takes no \"conn\": a breakpoint acts in every session")
            }
            if values["dir"] != nil {
                throw ControlCommandError(
                    "break takes no \"dir\": give the direction in the breakpoint, e.g. \"c2s:^SET\"")
            }
            let name: String
            let value: Value
            switch (values["add"], values["remove"]) {
            case (.some, .some): throw ControlCommandError("break takes \"add\" or \"remove\", not both")
            case (nil, nil):
                throw ControlCommandError(
                    "break needs \"add\" or \"remove\": a breakpoint as --break takes, e.g. \"c2s:^SET\"")
            case (.some(let given), nil): (name, value) = ("add", given)
            case (nil, .some(let given)): (name, value) = ("remove", given)
            }
            guard case .string(let text) = value else {
                throw ControlCommandError("\"\(name)\" must be a string, not \(value.shown)")
            }
            let parsed: Breakpoint
            do {
                parsed = try Breakpoint(parsing: text)
            } catch {
                // The description is escaped for a terminal already.
                throw ControlCommandError("\"\(name)\": \(error.description)")
            }
            if let unknown = values.keys.sorted().first(where: { !used.contains($0) }) {
                throw ControlCommandError("unknown field \"\(ControlCommand.shown(unknown))\" for break")
            }
            return ControlCommand(
                .breakpoint(name == "add" ? .add(parsed) : .remove(parsed)), conn: nil, directions: [])
        }

        mutating func session() throws(ControlCommandError) -> Int {
            used.insert("conn")
            guard let value = values["conn"] else {
                throw ControlCommandError("missing \"conn\" (the session number)")
            }
            guard case .integer(let conn) = value, conn >= 1 else {
                throw ControlCommandError(
                    "\"conn\" must be a session number (a whole number from 1), not \(value.shown)")
            }
            return conn
        }

        /// The `dir` field: `nil` when absent (or `both`) and allowed; one direction if `oneOnly`.
        mutating func direction(_ cmd: String, oneOnly: Bool) throws(ControlCommandError) -> [Direction]? {
            used.insert("dir")
            guard let value = values["dir"] else {
                if oneOnly { throw ControlCommandError("\(cmd) needs \"dir\": \"c2s\" or \"s2c\"") }
                return nil
            }
            switch value {
            case .string("c2s"): return [.c2s]
            case .string("s2c"): return [.s2c]
            case .string("both") where !oneOnly: return nil
            default:
                throw ControlCommandError(
                    "\"dir\" must be \"c2s\" or \"s2c\"\(oneOnly ? "" : " (or omitted for both)"), not \(value.shown)"
                )
            }
        }

        /// The bytes of `text` or `hex` (exactly one, at least one byte).
        mutating func payload(_ cmd: String) throws(ControlCommandError) -> ByteBuffer {
            used.formUnion(["text", "hex"])
            let bytes: [UInt8]
            switch (values["text"], values["hex"]) {
            case (.some, .some): throw ControlCommandError("\(cmd) takes \"text\" or \"hex\", not both")
            case (nil, nil):
                throw ControlCommandError(
                    "\(cmd) needs the bytes: \"text\" (with \\r, \\n, \\xNN escapes) or \"hex\"")
            case (.some(let value), nil):
                guard case .string(let text) = value else {
                    throw ControlCommandError("\"text\" must be a string, not \(value.shown)")
                }
                do {
                    bytes = try ByteEscapes.decode(text)
                } catch {
                    throw ControlCommandError("\"text\": \(error)")
                }
            case (nil, .some(let value)):
                guard case .string(let text) = value, let decoded = Hex.decode(text) else {
                    throw ControlCommandError(
                        "\"hex\" must be a string of hex digit pairs, not \(value.shown)")
                }
                bytes = Array(decoded.readableBytesView)
            }
            guard !bytes.isEmpty else { throw ControlCommandError("\(cmd) needs at least one byte") }
            return ByteBuffer(bytes: bytes)
        }

        /// The `fault` field (`[DIR:]KIND=VALUE`, `[DIR:]-KIND=VALUE`, `[DIR:]clear`) with `dir`.
        mutating func fault() throws(ControlCommandError) -> (Action, [Direction]) {
            used.formUnion(["fault", "dir"])
            guard let value = values["fault"] else {
                throw ControlCommandError(
                    "fault needs \"fault\": a spec as --fault takes, e.g. \"s2c:latency=200ms\"")
            }
            guard case .string(let text) = value else {
                throw ControlCommandError("\"fault\" must be a string, not \(value.shown)")
            }
            var target = "both"
            var body = Substring(text)
            if let colon = text.firstIndex(of: ":") {
                if values["dir"] != nil {
                    throw ControlCommandError("give the direction once: in \"dir\" or in \"fault\", not both")
                }
                target = String(text[..<colon])
                body = text[text.index(after: colon)...]
            } else if let given = try direction("fault", oneOnly: false) {
                target = given[0].rawValue
            }
            guard let spec = FaultSpec.Target(rawValue: target) else {
                throw ControlCommandError(
                    "bad direction \"\(ControlCommand.shown(target))\" in \"fault\" (expected c2s, s2c or both)"
                )
            }
            if body == "clear" { return (.fault(.clear), spec.directions) }
            let removing = body.hasPrefix("-")
            if removing { body = body.dropFirst() }
            do {
                let parsed = try FaultSpec.parse("\(target):\(body)")
                return (.fault(removing ? .remove(parsed.fault) : .add(parsed.fault)), spec.directions)
            } catch {
                throw ControlCommandError("\"fault\": \(ControlCommand.shown(error.problem, limit: 300))")
            }
        }
    }
}
