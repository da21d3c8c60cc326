import FlowCore
import FlowTapKit

extension ScreenRenderer {
    /// The session list's columns for a width: narrow terminals drop the time (how long the
    /// session has run: counting while it is live, its whole duration once it has ended), then
    /// the ▼ and ▲ byte counts, so that the client and the two state words keep room.
    struct ListColumns {
        var id: Int
        var client: Int
        var state: Int
        var up: Bool
        var down: Bool
        var age: Bool

        static let bytesWidth = 10
        static let ageWidth = 6

        init(width: Int, maxID: Int) {
            id = max(1, String(maxID).count)
            up = true
            down = true
            age = true
            client = 0
            state = 0
            func flex() -> Int {
                width - (1 + id + 2) - (up ? Self.bytesWidth + 1 : 0) - (down ? Self.bytesWidth + 1 : 0)
                    - (age ? Self.ageWidth + 1 : 0) - 2
            }
            if flex() < 36 { age = false }
            if flex() < 30 { down = false }
            if flex() < 30 { up = false }
            let room = flex()
            client = max(8, min(24, room * 2 / 5))
            state = max(6, (room - client) / 2)
        }
    }

    static func drawSessions(
        _ grid: inout CellGrid, _ snapshot: InspectorSnapshot, _ view: ViewState, selected: Int?, y: Int,
        rows: Int
    ) {
        let ascii = view.ascii
        let columns = ListColumns(width: grid.width, maxID: snapshot.sessions.map(\.id).max() ?? 1)
        let header = row(
            columns, marker: " ", id: "#", client: "client", c2s: "c2s", s2c: "s2c",
            up: (ascii ? "^" : "▲") + " bytes", down: (ascii ? "v" : "▼") + " bytes", age: "time",
            ascii: ascii
        )
        grid.put(header, x: 0, y: y, style: CellStyle(bold: true, dim: true))
        guard !snapshot.sessions.isEmpty else {
            let text =
                view.filter != nil
                ? " no session matches the filter (F changes it, an empty one lists all)"
                : snapshot.listenAddress.map { " waiting for the first client on \($0)" }
                    ?? (view.live ? " waiting for the first client" : " no sessions in this capture")
            grid.put(
                DisplayText.fit(text, grid.width, ascii: ascii), x: 0, y: y + 1, style: CellStyle(dim: true))
            return
        }
        let index = snapshot.sessions.firstIndex { $0.id == selected } ?? snapshot.sessions.count - 1
        let first = min(max(0, index - rows + 1), max(0, snapshot.sessions.count - rows))
        for (row, session) in snapshot.sessions[first..<min(snapshot.sessions.count, first + rows)]
            .enumerated()
        {
            drawSession(&grid, session, columns, selected: session.id == selected, y: y + 1 + row, view)
        }
    }

    private static func drawSession(
        _ grid: inout CellGrid, _ session: SessionSnapshot, _ columns: ListColumns, selected: Bool, y: Int,
        _ view: ViewState
    ) {
        let ascii = view.ascii
        let end = session.closed ?? view.now
        let age = end > session.opened ? Int((end - session.opened) / 1_000_000_000) : 0
        func word(_ d: DirectionSnapshot) -> String {
            d.phase.word + (d.paused ? " paused" : d.held != nil ? " held" : "")
        }
        var c2s = word(session.c2s)
        var s2c = word(session.s2c)
        if let error = session.connectError {
            c2s = "connect error: \(error)"
            s2c = ""
        }
        let text = row(
            columns, marker: selected ? ">" : " ", id: String(session.id), client: listedClient(session),
            c2s: c2s,
            s2c: s2c,
            up: ByteFormat.bytes(session.c2s.seenBytes), down: ByteFormat.bytes(session.s2c.seenBytes),
            age: formatAge(age), ascii: ascii, merge: session.connectError != nil)
        let style = selected ? CellStyle(bold: true) : CellStyle.plain
        grid.put(text, x: 0, y: y, style: style)
        let stateX = 1 + columns.id + 2 + columns.client + 1
        for (index, direction) in [session.c2s, session.s2c].enumerated() {
            let x = stateX + index * (columns.state + 1)
            if session.connectError != nil {
                grid.setStyle(
                    CellStyle(bold: selected, role: .error), y: y, from: x, to: x + 2 * columns.state + 1)
                break
            }
            if direction.phase.isError {
                grid.setStyle(CellStyle(bold: selected, role: .error), y: y, from: x, to: x + columns.state)
            } else if direction.paused || direction.held != nil {
                grid.setStyle(CellStyle(bold: selected, role: .held), y: y, from: x, to: x + columns.state)
            }
        }
    }

    private static func row(
        _ c: ListColumns, marker: String, id: String, client: String, c2s: String, s2c: String, up: String,
        down: String, age: String, ascii: Bool, merge: Bool = false
    ) -> String {
        var text = marker + DisplayText.pad(id, c.id, ascii: ascii, right: true) + "  "
        text += DisplayText.pad(client, c.client, ascii: ascii) + " "
        if merge {
            text += DisplayText.pad(c2s, 2 * c.state + 1, ascii: ascii) + " "
        } else {
            text +=
                DisplayText.pad(c2s, c.state, ascii: ascii) + " "
                + DisplayText.pad(s2c, c.state, ascii: ascii) + " "
        }
        if c.up { text += DisplayText.pad(up, ListColumns.bytesWidth, ascii: ascii, right: true) + " " }
        if c.down { text += DisplayText.pad(down, ListColumns.bytesWidth, ascii: ascii, right: true) + " " }
        if c.age { text += " " + DisplayText.pad(age, ListColumns.ageWidth - 1, ascii: ascii, right: true) }
        return text
    }

    /// `mm:ss` below an hour, `HhMMm` below 100 hours, else `Hh`.
    static func formatAge(_ seconds: Int) -> String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        if seconds < 3600 { return "\(two(seconds / 60)):\(two(seconds % 60))" }
        if seconds < 360_000 { return "\(seconds / 3600)h\(two(seconds / 60 % 60))m" }
        return "\(seconds / 3600)h"
    }
}
