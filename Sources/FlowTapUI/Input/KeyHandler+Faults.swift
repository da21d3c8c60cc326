import FlowEvents
import FlowFaults
import FlowTapKit

/// The fault menu's keys: `t` (the selected session), `T` (every session, live and new), and
/// Tab inside the menu between the two (see ``FaultMenu`` for the edits).
extension KeyHandler {
    /// What `T` (or Tab in the menu) says without an engine that can change new sessions.
    static let needsEngine = "faults for every session need the proxy's engine"

    /// `T`: the fault menu of the focused direction of every session, live and new (clients
    /// like `redis-cli CMD` open a session a command), when the engine can change what new
    /// sessions get.
    static func everySessionFaultMenu(_ view: ViewState) -> (ViewState, [Command]) {
        var next = view
        guard view.live else { return offline(next) }
        guard view.newSessionFaults != nil else {
            next.message = needsEngine
            return (next, [])
        }
        guard let direction = view.pane.direction else {
            next.message = "T: focus one direction first (tab)"
            return (next, [])
        }
        next.prompt = everySessionPrompt(view, direction)
        return (next, [])
    }

    /// The fault menu of `direction` for every session, listing what new sessions get, with
    /// `text` typed; `nil` without an engine that can change it.
    static func everySessionPrompt(_ view: ViewState, _ direction: Direction, text: String = "") -> Prompt? {
        guard let all = view.newSessionFaults else { return nil }
        return Prompt(.faults(session: nil, direction: direction, active: all[direction] ?? []), text: text)
    }

    /// `t`: the fault menu of the focused direction of the selected live session.
    static func faultMenu(_ view: ViewState, _ session: SessionSnapshot?) -> (ViewState, [Command]) {
        var menu: Prompt?
        var (next, _) = control(view, session) { id, s in
            guard let direction = view.pane.direction else {
                return .failure(.init("t: focus one direction first (tab)"))
            }
            switch activeFaults(s, direction) {
            case .success(let active):
                menu = Prompt(.faults(session: id, direction: direction, active: active))
                return .success([])
            case .failure(let error): return .failure(error)
            }
        }
        next.prompt = menu
        return (next, [])
    }

    /// The faults active on `direction` of `session`, read back from their texts.
    static func activeFaults(
        _ session: SessionSnapshot, _ direction: Direction
    ) -> Result<[Fault], SearchSyntaxError> {
        var active: [Fault] = []
        for text in session[direction].faults {
            do {
                active.append(try FaultSpec.parse("\(direction.rawValue):\(text)").fault)
            } catch {
                return .failure(.init("t: cannot read the active fault \(text): \(error.problem)"))
            }
        }
        return .success(active)
    }

    /// Tab in the fault menu: from one session's faults to every session's, and back (to the
    /// selected session, while it is live). What was typed stays.
    static func switchFaultScope(
        _ view: ViewState, _ prompt: Prompt, session: Int?, direction: Direction,
        _ snapshot: InspectorSnapshot
    ) -> ViewState {
        var next = view
        if session != nil {
            guard let every = everySessionPrompt(view, direction, text: prompt.text) else {
                next.message = needsEngine
                next.messageIsError = true
                return next
            }
            next.prompt = every
            return next
        }
        guard let selected = view.session(in: snapshot), selected.closed == nil else {
            next.message = "no live session selected: these faults are for every session"
            next.messageIsError = true
            return next
        }
        switch activeFaults(selected, direction) {
        case .success(let active):
            next.prompt = Prompt(
                .faults(session: selected.id, direction: direction, active: active), text: prompt.text)
        case .failure(let error):
            next.message = error.message
            next.messageIsError = true
        }
        return next
    }

    static func applyFaults(
        _ view: ViewState, _ prompt: Prompt, session: Int?, direction: Direction, active: [Fault],
        _ snapshot: InspectorSnapshot
    ) -> (ViewState, [Command]) {
        var next = view
        let faults: [Fault]
        do {
            faults = try FaultMenu.apply(prompt.text, to: active, direction: direction)
        } catch {
            next.prompt = prompt
            next.message = error.description
            next.messageIsError = true
            return (next, [])
        }
        guard faults != active else {
            next.message = "faults unchanged"
            return (next, [])
        }
        let list = faults.isEmpty ? "none" : faults.map(\.description).joined(separator: ", ")
        guard let session else {
            // Every session: what new ones start with, and the same on each live one.
            let live = snapshot.sessions.filter { $0.closed == nil }.map(\.id)
            next.message =
                "faults on \(direction.title(ascii: view.ascii)) of new sessions"
                + (live.isEmpty ? "" : " and \(live.count) live one\(live.count == 1 ? "" : "s")")
                + ": \(list)"
            return (
                next,
                [.setNewSessionFaults(direction: direction, faults: faults)]
                    + live.map { .setFaults(session: $0, direction: direction, faults: faults) }
            )
        }
        let place = "\(direction.title(ascii: view.ascii)) #\(session)"
        next.message = faults.isEmpty ? "no faults on \(place)" : "faults on \(place): \(list)"
        return (next, [.setFaults(session: session, direction: direction, faults: faults)])
    }
}
