import FlowCore
import FlowEvents
import FlowFaults
import NIOCore

/// Headless control: carries out the commands read from standard input (``ControlCommand``,
/// one JSON object a line) on the live sessions of an ``Inspector``, as the UI's keys do.
///
/// Each command is answered by the events its effect produces (`pause`, `resume`, `step`,
/// `drop`, `edit`, `inject`, `data`, `eof`, `shutdown`, `fault`, `close`, …). A command that is
/// refused, or that would change nothing (pausing a paused direction, stepping a flowing one),
/// is answered by one `control_error` event with the reason and the command's line number, and
/// changes nothing; the next line is read as usual. When the input ends (``inputEnded(_:)``),
/// every session is resumed and new sessions are no longer paused, since nothing could resume
/// them any more; a `note` says so.
///
/// The calls return at once (what must wait, an injection or a FIN, runs in a task of its
/// own), so they may be made from any thread, e.g. the one reading standard input.
public final class HeadlessControl: Sendable {
    private let inspector: Inspector

    /// Control of `inspector`'s sessions.
    public init(inspector: Inspector) {
        self.inspector = inspector
    }

    /// Parses and carries out line number `number` (from 1, without its newline); a refusal is
    /// reported as `control_error`.
    public func handle<Bytes: Collection<UInt8>>(line: Bytes, number: Int) {
        do throws(ControlCommandError) {
            guard let command = try ControlCommand.parse(line) else { return }
            try perform(command, line: number)
        } catch {
            refuse(error.reason, line: number)
        }
    }

    /// Reports that line number `number` is longer than `limit` bytes (and was skipped).
    public func lineTooLong(number: Int, limit: Int) {
        refuse("line longer than \(ByteFormat.bytes(limit)): skipped", line: number)
    }

    /// The input ended: at end-of-file (`error` nil) or because reading failed. Every session
    /// is resumed, new ones start flowing, and a `note` says so.
    public func inputEnded(_ error: String? = nil) {
        inspector.stopPausingNewSessions()
        inspector.control.resumeAll()
        let why = error.map { "cannot read stdin (\($0))" } ?? "stdin ended"
        inspector.emit(
            SessionEvent(
                conn: nil, .note("\(why): every session resumed, new sessions are not paused any more")))
    }

    private func refuse(_ reason: String, line: Int) {
        inspector.emit(SessionEvent(conn: nil, .controlError(reason, line: line)))
    }

    /// Carries out `command`; throws the reason it cannot or would change nothing.
    func perform(_ command: ControlCommand, line: Int) throws(ControlCommandError) {
        if case .breakpoint(let edit) = command.action {
            try change(inspector.control.breakpoints, edit)
            return
        }
        guard let id = command.conn else {
            throw ControlCommandError("\(command.name) needs \"conn\" (the session number)")
        }
        guard let session = inspector.control.session(id) else {
            throw ControlCommandError(
                id > inspector.control.currentSessionCount
                    ? "no session #\(id) yet" : "session #\(id) is not live (ended, or still connecting)")
        }
        let directions = command.directions
        func each(_ act: (Direction) -> Bool, else reason: String) throws(ControlCommandError) {
            var changed = false
            for direction in directions where act(direction) { changed = true }
            if !changed { throw ControlCommandError("#\(id) \(Self.named(directions)) \(reason)") }
        }
        switch command.action {
        case .pause: try each({ session.pause($0) }, else: "already paused")
        case .resume: try each({ session.resume($0) }, else: "not paused")
        case .step:
            try each(
                { session.step($0) }, else: "not paused: step lets one chunk of a paused direction through")
        case .drop: try each({ session.dropNext($0) }, else: "not paused: drop acts on held chunks")
        case .replace(let bytes):
            try each(
                { session.replaceNext($0, with: bytes) }, else: "not paused: replace acts on held chunks")
        case .inject(let bytes):
            let direction = directions[0]
            inspector.control.inject(session: id, direction: direction, bytes) { [self] reason in
                refuse("inject into #\(id) \(direction): \(reason)", line: line)
            }
        case .fin:
            Task { for direction in directions { await session.passFIN(direction) } }
        case .kill:
            Task { await session.kill() }
        case .breakpoint: break
        case .fault(let edit):
            for direction in directions {
                let active = session.faults(direction)
                var faults = active
                switch edit {
                case .add(let fault): faults.append(fault)
                case .clear:
                    if active.isEmpty {
                        throw ControlCommandError("#\(id) \(direction) has no fault to clear")
                    }
                    faults = []
                case .remove(let fault):
                    let seeded = Inspector.seeded(fault, session: id, direction: direction)
                    guard let index = faults.firstIndex(where: { $0 == fault || $0 == seeded }) else {
                        let list = active.isEmpty ? "none" : active.map(\.description).joined(separator: ", ")
                        throw ControlCommandError(
                            "#\(id) \(direction) has no fault \(fault) (active: \(list))")
                    }
                    faults.remove(at: index)
                }
                inspector.control.setFaults(session: id, direction: direction, faults)
            }
        }
    }

    /// Adds or removes a breakpoint and reports the whole set in a `breakpoints` event; throws
    /// when the change would change nothing.
    private func change(_ set: BreakpointSet, _ edit: ControlCommand.BreakpointEdit)
        throws(ControlCommandError)
    {
        switch edit {
        case .add(let breakpoint):
            guard set.add(breakpoint) else {
                throw ControlCommandError("breakpoint \(breakpoint) is set already")
            }
        case .remove(let breakpoint):
            guard set.remove(breakpoint) else {
                let list = set.all.map(\.description)
                throw ControlCommandError(
                    "no breakpoint \(breakpoint) (set: \(list.isEmpty ? "none" : list.joined(separator: ", ")))"
                )
            }
        }
        inspector.emit(SessionEvent(conn: nil, .breakpoints(set.all.map(\.description))))
    }

    /// `c2s`, `s2c`, or `both ways`.
    private static func named(_ directions: [Direction]) -> String {
        directions.count == 1 ? directions[0].rawValue : "both ways"
    }
}
