extension ScreenRenderer {
    /// The columns the editor's text is wrapped at on a screen `screenWidth` columns wide (a
    /// margin of one column each side, at least 1): the width to pass to
    /// ``ChunkEditor/setWidth(_:)`` so that Up and Down move by one displayed line.
    public static func editorTextWidth(screenWidth: Int) -> Int {
        max(1, screenWidth - 2)
    }

    /// Draws `editor` over rows `y..<y+height` (clipped to the grid), full width, after
    /// clearing them.
    ///
    /// Top to bottom: a title line (reverse video) with ``ChunkEditor/title``, the mode
    /// (`text mode` or `hex mode`) and ``ChunkEditor/summary``; the text, wrapped at
    /// ``editorTextWidth(screenWidth:)`` from column 1 and scrolled so that the cursor's line
    /// shows (the last body row when it is below the first screenful), the cursor's cell in
    /// reverse video (a reverse space at the end); the ``ChunkEditor/error``, if any; the key
    /// help. When rows are short the help goes first, then the error, then the title: the
    /// text always keeps a row. Everything is made terminal-safe by the grid; an ASCII grid
    /// gets ASCII arrows.
    public static func drawEditor(_ grid: inout CellGrid, _ editor: ChunkEditor, y: Int, height: Int) {
        guard height > 0 else { return }
        for row in y..<(y + height) { grid.fill(y: row) }
        let ascii = grid.ascii
        var bodyRows = height
        let hasTitle = bodyRows >= 2
        if hasTitle { bodyRows -= 1 }
        let hasError = editor.error != nil && bodyRows >= 2
        if hasError { bodyRows -= 1 }
        let hasHelp = bodyRows >= 2
        if hasHelp { bodyRows -= 1 }
        let bodyTop = y + (hasTitle ? 1 : 0)

        if hasTitle { drawEditorTitle(&grid, editor, y: y) }

        let width = editorTextWidth(screenWidth: grid.width)
        let layout = editor.lines(width: width, ascii: ascii)
        let first = max(0, layout.cursorLine - bodyRows + 1)
        let shown = layout.lines[first..<min(layout.lines.count, first + bodyRows)]
        for (offset, line) in shown.enumerated() {
            grid.put(line, x: 1, y: bodyTop + offset, limit: 1 + width)
        }
        let cursorX = 1 + layout.cursorColumn
        let cursorWidth =
            editor.cursor < editor.text.count
            ? ChunkEditor.columns(of: editor.text[editor.cursor], ascii: ascii) : 1
        grid.setStyle(
            CellStyle(reverse: true), y: bodyTop + layout.cursorLine - first, from: cursorX,
            to: min(1 + width, cursorX + cursorWidth))

        var row = bodyTop + bodyRows
        if hasError, let error = editor.error {
            grid.put(
                " " + DisplayText.fit(error, grid.width - 2, ascii: ascii), x: 0, y: row,
                style: CellStyle(bold: true, role: .error))
            row += 1
        }
        if hasHelp {
            let items = [
                "Enter send", "Esc cancel", "Tab hex/text", ascii ? "<- -> move" : "←→ move",
                editor.mode == .text ? "\\r \\n \\xNN escapes" : "hex digits, spaces ignored",
            ]
            var text = ""
            for item in items {
                guard DisplayText.width(text + " " + item, ascii: ascii) <= grid.width - 1 else { break }
                text += " " + item + " "
            }
            grid.put(text, x: 0, y: row, style: CellStyle(role: .help))
        }
    }

    /// The editor's title line: the title on the left, the mode and the summary on the right.
    private static func drawEditorTitle(_ grid: inout CellGrid, _ editor: ChunkEditor, y: Int) {
        let ascii = grid.ascii
        let style = CellStyle(bold: true, reverse: true, role: .title)
        grid.fill(y: y, style: style)
        let mode = editor.mode == .text ? "text mode" : "hex mode"
        let right = DisplayText.fit(
            "\(mode)  \(editor.summary(ascii: ascii)) ", max(0, grid.width - 1), ascii: ascii)
        let rightX = grid.width - DisplayText.width(right, ascii: ascii)
        grid.put(" " + DisplayText.fit(editor.title, rightX - 3, ascii: ascii), x: 0, y: y, style: style)
        grid.put(right, x: rightX, y: y, style: style)
    }
}
